package runtime

import (
	"strings"
	"testing"
)

// Start refuses a spec it cannot run safely before anything is spawned.
func TestCheckSpecRefusesBadSpecs(t *testing.T) {
	dir := t.TempDir()
	id := strings.Repeat("ab", 32)
	ok := Spec{ID: id, Dir: dir, Process: Process{Args: []string{"true"}, Security: Security{SeccompUnconfined: true}},
		Rootfs: Rootfs{Lower: []string{"/l"}, Upper: "/u", Work: "/w", Merged: "/m"}}
	if err := checkSpec(&ok); err != nil {
		t.Fatalf("a good spec: %v", err)
	}
	for name, edit := range map[string]func(*Spec){
		"short id":        func(s *Spec) { s.ID = id[:63] },
		"upper-case id":   func(s *Spec) { s.ID = strings.ToUpper(id) },
		"id with a slash": func(s *Spec) { s.ID = id[:62] + "/a" },
		"no command":      func(s *Spec) { s.Process.Args = nil },
		"no upper":        func(s *Spec) { s.Rootfs.Upper = "" },
		"relative lower":  func(s *Spec) { s.Rootfs.Lower = []string{"l"} },
		"comma in a path": func(s *Spec) { s.Rootfs.Work = "/w,upperdir=/etc" },
		"relative copy":   func(s *Spec) { s.Rootfs = Rootfs{Copy: "c"} },
		"no seccomp":      func(s *Spec) { s.Process.Security = Security{} },
		"bad seccomp":     func(s *Spec) { s.Process.Security = Security{Seccomp: []byte{1, 2, 3}} },
		"uid past range":  func(s *Spec) { s.Process.User = "4294967296" },
	} {
		s := ok
		edit(&s)
		if err := checkSpec(&s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	copied := ok
	copied.Rootfs = Rootfs{Copy: "/c"}
	if err := checkSpec(&copied); err != nil {
		t.Errorf("a copied root: %v", err)
	}
}

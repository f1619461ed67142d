package role

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCNames keeps the C constructors to the names documented here: every variable they
// read is one of the roles' arguments or Env itself, and every role they compare with
// is a known one.
func TestCNames(t *testing.T) {
	names := map[string]bool{Env: true, NsenterPID: true, NsenterCaps: true, NsenterCgroup: true, NsenterFilter: true,
		EarlyInit: true, EarlyCgroup: true, WaitIDMap: true, MappedTask: true, TrashDir: true}
	files, _ := filepath.Glob("../runtime/nsenter/*.c")
	more, _ := filepath.Glob("../trash/*.c")
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("found %v, want nsenter's and trash's C sources", files)
	}
	getenv := regexp.MustCompile(`getenv\("([^"]*)"\)`)
	compare := regexp.MustCompile(`strcmp\(role, "([^"]*)"\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		read := getenv.FindAllSubmatch(b, -1)
		roleRead := false
		for _, m := range read {
			if !names[string(m[1])] {
				t.Errorf("%s reads %s, which package role does not document", f, m[1])
			}
			roleRead = roleRead || string(m[1]) == Env
		}
		if len(read) > 0 && !roleRead {
			t.Errorf("%s does not read %s: a constructor must act only in its role", f, Env)
		}
		for _, m := range compare.FindAllSubmatch(b, -1) {
			if r := Role(m[1]); r == CLI || !r.Known() {
				t.Errorf("%s looks for role %q, which package role does not know", f, m[1])
			}
		}
	}
}

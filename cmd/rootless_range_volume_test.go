package cmd_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// With a subordinate id range, a bind mount of the user's folder shows the user's
// files as root's, and a container's other ids land on the host as the range's; cp
// reads and writes a volume's files of other ids as the containers' root, and -a
// keeps a copied file's owner.
func TestRootlessRangeVolumesAndCp(t *testing.T) {
	dir, uid, gid, mustRun := rangeSession(t)
	site := filepath.Join(dir, "home", "site")
	if err := os.Mkdir(site, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "mine.txt"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{site, filepath.Join(site, "mine.txt")} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun("run", "--rm", "-v", site+":/srv", "busybox", "sh", "-c",
		"stat -c %u /srv/mine.txt; echo theirs > /srv/theirs.txt && chown 1000:1000 /srv/theirs.txt && stat -c %u /srv/theirs.txt")
	if out != "0\n1000\n" {
		t.Errorf("owners inside = %q, want 0 (the user's file) and 1000", out)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(site, "theirs.txt"), &st); err != nil || st.Uid != 3400000+999 {
		t.Errorf("theirs.txt on the host: uid %d, %v: want the range's 3400999", st.Uid, err)
	}

	mustRun("run", "--name", "vol", "-v", "data:/data", "busybox", "sh", "-c", "echo secret > /data/f && chown 42:42 /data/f && chmod 600 /data/f")
	mustRun("cp", "vol:/data/f", "out.txt")
	if b, err := os.ReadFile(filepath.Join(dir, "home", "out.txt")); err != nil || string(b) != "secret\n" {
		t.Errorf("copied out of a stopped container's volume: %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "home", "in.txt"), []byte("in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("cp", "in.txt", "vol:/data/in.txt")
	tarOut := mustRun("cp", "vol:/data/in.txt", "-")
	if _, owners := tarNames(t, tarOut); owners["in.txt"] != "0:0" {
		t.Errorf("copied in without -a: owner %s, want the container's root 0:0", owners["in.txt"])
	}
}

package tierkit

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Unprivileged is the user the rootless side runs as: no passwd entry and no
// /etc/subuid range, so dockling maps it alone to root in its user namespace.
var Unprivileged = &User{UID: 41234, GID: 41234}

// Dockling returns an engine running the dockling binary that Main built, invoked as
// docker, with a data root of its own; user nil runs it as the test's user (root in
// CI), else as that unprivileged user, who owns the data root. Cleanup removes every
// container and the whole folder, also when the test fails.
func Dockling(t testing.TB, user *User) *Engine {
	t.Helper()
	if DocklingBin() == "" {
		t.Fatal("no dockling binary: the package's TestMain must call tierkit.Main")
	}
	// Not t.TempDir: its parent is private to root, and the unprivileged user must
	// reach the data root and run the binary.
	dir, err := os.MkdirTemp("", "dockling-tier-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unmountUnder(t, dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("cleanup: removing %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	home := filepath.Join(dir, "home")
	for _, d := range []string{bin, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Named docker, dockling answers as docker (usage lines, error words).
	if err := os.Symlink(DocklingBin(), filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	name := "dockling"
	if user != nil {
		name = fmt.Sprintf("dockling (uid %d)", user.UID)
		if err := os.Chown(home, int(user.UID), int(user.GID)); err != nil {
			t.Fatal(err)
		}
	}
	e := &Engine{
		Name: name,
		Bin:  filepath.Join(bin, "docker"),
		Env:  append(baseEnv(home), "DOCKLING_ROOT="+filepath.Join(home, "dockling-root")),
		User: user,
		Dir:  home,
	}
	t.Cleanup(func() { cleanupContainers(t, e) })
	return e
}

// InstallLine is the commit lecture's install line (LectureInstall) as e types it:
// unchanged as root, with RootlessApt as an unprivileged user.
func InstallLine(e *Engine) string {
	if e.User != nil {
		return RootlessApt(LectureInstall)
	}
	return LectureInstall
}

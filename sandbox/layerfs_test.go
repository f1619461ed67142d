package sandbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// layers builds three layer folders: bottom has /etc/a, /etc/b, /data/old/x and a
// symlink /bin -> usr/bin; middle deletes /etc/b (whiteout) and makes /data/old
// opaque with /data/old/y; top adds /etc/c.
func layers(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: whiteouts and trusted.overlay xattrs")
	}
	root := t.TempDir()
	bottom, middle, top := filepath.Join(root, "0"), filepath.Join(root, "1"), filepath.Join(root, "2")
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bottom, "etc/a"), "a")
	write(filepath.Join(bottom, "etc/b"), "b")
	write(filepath.Join(bottom, "data/old/x"), "x")
	write(filepath.Join(bottom, "usr/bin/tool"), "tool")
	os.Symlink("usr/bin", filepath.Join(bottom, "bin"))
	os.MkdirAll(filepath.Join(middle, "etc"), 0o755)
	if err := unix.Mknod(filepath.Join(middle, "etc/b"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(middle, "data/old/y"), "y")
	if err := unix.Setxattr(filepath.Join(middle, "data/old"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(top, "etc/c"), "c")
	return []string{top, middle, bottom}
}

func TestLayerFSHonoursWhiteoutsOpaqueDirsAndSymlinks(t *testing.T) {
	l := &layerFS{layers: layers(t)}
	for _, p := range []string{"etc/a", "etc/c", "data/old/y", "bin/tool"} {
		if _, err := fs.ReadFile(l, p); err != nil {
			t.Errorf("%s should be visible: %v", p, err)
		}
	}
	for _, p := range []string{"etc/b", "data/old/x"} {
		if _, err := fs.Stat(l, p); err == nil {
			t.Errorf("%s should be hidden", p)
		}
	}
	names := func(dir string) []string {
		es, err := fs.ReadDir(l, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	if got := names("etc"); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Errorf("etc lists %v, want [a c]", got)
	}
	if got := names("data/old"); len(got) != 1 || got[0] != "y" {
		t.Errorf("opaque data/old lists %v, want [y]", got)
	}
	if fi, err := l.Lstat("bin"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("bin should be a symlink: %v", err)
	}
	if _, err := fs.Stat(l, "../etc/a"); err == nil {
		t.Error("paths outside the tree must be refused")
	}
}

// A FIFO, socket or device in a layer is refused for reading, at once: opening a
// FIFO without a writer used to block a grading batch forever. Symlinks are still
// followed inside the merged tree, and an absolute one stays in it.
func TestLayerFSOpensRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "plain"), []byte("plain"), 0o644)
	os.Symlink("/plain", filepath.Join(dir, "abs"))
	os.Symlink("../../../../../../etc/hostname", filepath.Join(dir, "escape"))
	lfs := &layerFS{layers: []string{dir}}
	done := make(chan error, 1)
	go func() {
		_, err := fs.ReadFile(lfs, "fifo")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("reading a FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
	if b, err := fs.ReadFile(lfs, "abs"); err != nil || string(b) != "plain" {
		t.Fatalf("absolute symlink inside the tree: %q, %v", b, err)
	}
	if _, err := fs.ReadFile(lfs, "escape"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a symlink climbing out of the tree: %v, want not-exist inside the layer", err)
	}
}

// A lower layer's link where an upper layer has a folder (overlay shows the
// folder alone) is not followed: listing the folder shows nothing of where the
// link leads, such as the host's folder.
func TestLayerFSListsNothingThroughAHiddenLink(t *testing.T) {
	root := t.TempDir()
	host := filepath.Join(root, "host")
	upper, lower := filepath.Join(root, "upper"), filepath.Join(root, "lower")
	for _, d := range []string{filepath.Join(host, "sub"), filepath.Join(upper, "etc", "sub"), lower} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(host, "sub", "host-secret"), filepath.Join(upper, "etc", "sub", "mine")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(host, filepath.Join(lower, "etc")); err != nil {
		t.Fatal(err)
	}
	l := &layerFS{layers: []string{upper, lower}}
	entries, err := l.ReadDir("etc/sub")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "mine" {
		t.Errorf("etc/sub lists %v, want only mine", entries)
	}
}

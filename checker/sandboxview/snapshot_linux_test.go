package sandboxview_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dockling/dockling/checker/sandboxview"
	"golang.org/x/sys/unix"
)

// folder makes a small sandbox-shaped folder: one layer with a file, a link in
// its content, a hard-linked pair and a FIFO; the store's l/ link; records.
func folder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	diff := filepath.Join(dir, "overlay2", "abc", "diff")
	for _, d := range []string{diff + "/etc", dir + "/overlay2/l", dir + "/overlay2/abc/work/work", dir + "/overlay2/abc/merged",
		dir + "/containers/c1", dir + "/image/overlay2/layerdb", dir + "/tmp"} {
		must(t, os.MkdirAll(d, 0o755))
	}
	must(t, os.WriteFile(filepath.Join(diff, "etc", "made.txt"), []byte("mine\n"), 0o644))
	must(t, os.Symlink("/etc/shadow", filepath.Join(diff, "etc", "shadow-link")))
	must(t, os.WriteFile(filepath.Join(diff, "a"), []byte("same"), 0o755))
	must(t, os.Link(filepath.Join(diff, "a"), filepath.Join(diff, "b")))
	must(t, unix.Mkfifo(filepath.Join(diff, "pipe"), 0o644))
	must(t, os.Symlink("../abc/diff", filepath.Join(dir, "overlay2", "l", "ABC")))
	must(t, os.WriteFile(filepath.Join(dir, "overlay2", "abc", "work", "work", "junk"), []byte("x"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "containers", "c1", "config.v2.json"), []byte("{}"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "tmp", "partial"), []byte("x"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o600))
	return dir
}

func TestSnapshotCopiesWithoutFollowing(t *testing.T) {
	src := folder(t)
	dest := filepath.Join(t.TempDir(), "copy")
	if _, err := sandboxview.Snapshot(src, dest, 1<<20); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("copy's folder: %v %v, want 0700", fi.Mode(), err)
	}
	diff := filepath.Join(dest, "overlay2", "abc", "diff")
	if b, err := os.ReadFile(filepath.Join(diff, "etc", "made.txt")); err != nil || string(b) != "mine\n" {
		t.Errorf("made.txt: %q %v", b, err)
	}
	// A link in a layer is the image's: copied as a link, never read through.
	if l, err := os.Readlink(filepath.Join(diff, "etc", "shadow-link")); err != nil || l != "/etc/shadow" {
		t.Errorf("link in the layer: %q %v", l, err)
	}
	if l, err := os.Readlink(filepath.Join(dest, "overlay2", "l", "ABC")); err != nil || l != "../abc/diff" {
		t.Errorf("store link: %q %v", l, err)
	}
	var a, b unix.Stat_t
	must(t, unix.Lstat(filepath.Join(diff, "a"), &a))
	must(t, unix.Lstat(filepath.Join(diff, "b"), &b))
	if a.Ino != b.Ino {
		t.Error("hard links in a layer were copied apart")
	}
	if fi, err := os.Lstat(filepath.Join(diff, "pipe")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("FIFO in a layer: %v %v", fi, err)
	}
	for _, gone := range []string{"tmp", ".lock", "overlay2/abc/work/work"} {
		if _, err := os.Lstat(filepath.Join(dest, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was copied: %v", gone, err)
		}
	}
}

// Everything outside layer content that could lead a reader elsewhere, or block
// it, makes the folder unsafe.
func TestSnapshotRefusesWhatLeadsOutside(t *testing.T) {
	for name, plant := range map[string]func(dir string) error{
		"layer folder a link": func(d string) error {
			if err := os.RemoveAll(filepath.Join(d, "overlay2/abc/diff")); err != nil {
				return err
			}
			return os.Symlink("/etc", filepath.Join(d, "overlay2/abc/diff"))
		},
		"record a link": func(d string) error {
			p := filepath.Join(d, "containers/c1/config.v2.json")
			_ = os.Remove(p)
			return os.Symlink("/etc/passwd", p)
		},
		"records folder a link": func(d string) error {
			return os.Symlink("/etc", filepath.Join(d, "image/overlay2/layerdb/sha256"))
		},
		"l link climbing out": func(d string) error {
			return os.Symlink("../../../../etc", filepath.Join(d, "overlay2/l/EVIL"))
		},
		"l link absolute": func(d string) error {
			return os.Symlink("/etc/x/diff", filepath.Join(d, "overlay2/l/EVIL"))
		},
		"journal a FIFO": func(d string) error {
			return unix.Mkfifo(filepath.Join(d, "journal.jsonl"), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			src := folder(t)
			must(t, plant(src))
			_, err := sandboxview.Snapshot(src, filepath.Join(t.TempDir(), "copy"), 1<<20)
			var ue *sandboxview.UnsafeError
			if !errors.As(err, &ue) || !errors.Is(err, sandboxview.ErrUnsafe) {
				t.Fatalf("got %v, want an sandboxview.UnsafeError", err)
			}
		})
	}
}

// The budget counts bytes written and entries made: a sparse or huge file, or a
// great many empty ones, stops the copy.
func TestSnapshotBudget(t *testing.T) {
	src := folder(t)
	big := filepath.Join(src, "overlay2", "abc", "diff", "big")
	must(t, os.WriteFile(big, nil, 0o644))
	must(t, os.Truncate(big, 1<<40)) // sparse: a terabyte that takes no room
	if _, err := sandboxview.Snapshot(src, filepath.Join(t.TempDir(), "copy"), 1<<20); !errors.Is(err, sandboxview.ErrTooLarge) {
		t.Fatalf("sparse file: got %v, want ErrTooLarge", err)
	}
	src = folder(t)
	many := filepath.Join(src, "overlay2", "abc", "diff", "many")
	must(t, os.Mkdir(many, 0o755))
	for i := range 300 {
		must(t, os.WriteFile(filepath.Join(many, strconv.Itoa(i)), nil, 0o644))
	}
	if _, err := sandboxview.Snapshot(src, filepath.Join(t.TempDir(), "copy"), 100<<10); !errors.Is(err, sandboxview.ErrTooLarge) {
		t.Fatalf("many empty files: got %v, want ErrTooLarge", err)
	}
}

// As root: owners, set-user-ID bits and whiteouts are kept (the copy is private
// and graded roots mount nosuid); other device nodes in a layer are left out, and
// a device among the records, or a hard link to root's file in a folder root does
// not own, is unsafe.
func TestSnapshotSpecialFilesAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: device nodes and owners")
	}
	src := folder(t)
	diff := filepath.Join(src, "overlay2", "abc", "diff")
	must(t, unix.Mknod(filepath.Join(diff, "gone"), unix.S_IFCHR, 0))
	must(t, unix.Mknod(filepath.Join(diff, "mem"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 1))))
	must(t, os.Chown(filepath.Join(diff, "a"), 0, 0))
	must(t, unix.Chmod(filepath.Join(diff, "a"), 0o4755))
	dest := filepath.Join(t.TempDir(), "copy")
	if _, err := sandboxview.Snapshot(src, dest, 1<<20); err != nil {
		t.Fatal(err)
	}
	cdiff := filepath.Join(dest, "overlay2", "abc", "diff")
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(cdiff, "gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("whiteout: %+v %v", st, err)
	}
	if _, err := os.Lstat(filepath.Join(cdiff, "mem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a device node was copied: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(cdiff, "a")); err != nil || fi.Mode()&os.ModeSetuid == 0 {
		t.Errorf("set-user-ID bit: %v %v", fi, err)
	}

	t.Run("device among records", func(t *testing.T) {
		src := folder(t)
		must(t, unix.Mknod(filepath.Join(src, "containers", "c1", "hosts"), unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))))
		if _, err := sandboxview.Snapshot(src, filepath.Join(t.TempDir(), "copy"), 1<<20); !errors.Is(err, sandboxview.ErrUnsafe) {
			t.Fatalf("got %v, want sandboxview.ErrUnsafe", err)
		}
	})
	t.Run("hard link to root's file", func(t *testing.T) {
		src := folder(t)
		secret := filepath.Join(t.TempDir(), "secret")
		must(t, os.WriteFile(secret, []byte("x"), 0o600))
		p := filepath.Join(src, "overlay2", "abc", "diff", "etc", "made.txt")
		must(t, os.Remove(p))
		if err := os.Link(secret, p); err != nil {
			t.Skipf("no hard link across these folders: %v", err)
		}
		must(t, os.Chown(src, 65534, 65534))
		if _, err := sandboxview.Snapshot(src, filepath.Join(t.TempDir(), "copy"), 1<<20); !errors.Is(err, sandboxview.ErrUnsafe) {
			t.Fatalf("got %v, want sandboxview.ErrUnsafe", err)
		}
	})
}

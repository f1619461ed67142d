package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// A device keeps being the device: written into, never renamed over. The node is a
// private copy of /dev/null (c 1 3) in a temporary folder, so a failure here can
// never damage the machine's.
func TestWriteIntoDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod of a character device needs root")
	}
	null := filepath.Join(t.TempDir(), "null")
	if err := unix.Mknod(null, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("mknod: %v", err)
	}
	var before unix.Stat_t
	if err := unix.Stat(null, &before); err != nil {
		t.Fatal(err)
	}
	if f, err := os.OpenFile(null, os.O_WRONLY, 0); err != nil {
		t.Skipf("devices cannot be opened here (a nodev mount?): %v", err)
	} else {
		f.Close()
	}
	if err := Write(null, writeString("archive")); err != nil {
		t.Fatal(err)
	}
	var after unix.Stat_t
	if err := unix.Stat(null, &after); err != nil {
		t.Fatal(err)
	}
	if after.Ino != before.Ino || after.Mode&unix.S_IFMT != unix.S_IFCHR || after.Rdev != before.Rdev {
		t.Fatalf("device replaced: before ino %d mode %o, after ino %d mode %o", before.Ino, before.Mode, after.Ino, after.Mode)
	}
}

// A regular file is replaced only when the write succeeds: a failed write leaves the
// old content and no temporary file.
func TestWriteRegularIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tar")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(path, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if err := Write(path, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file holds %q, want new", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}

// A symbolic link stays, and the file it names gets the content; a dangling link
// creates its target, as a shell's ">" does. A write that fails before its first byte
// leaves the target as it was.
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	real := filepath.Join(dir, "real")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	prev := ""
	for _, content := range []string{"first longer", "second", ""} { // dangling, then existing
		if err := Write(link, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if b, _ := os.ReadFile(real); string(b) != prev {
			t.Fatalf("after a failed write the target holds %q, want %q", b, prev)
		}
		prev = content
		if err := Write(link, writeString(content)); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("link replaced: %v %v", fi, err)
		}
		if b, _ := os.ReadFile(real); string(b) != content {
			t.Fatalf("target holds %q, want %q", b, content)
		}
	}
}

func TestWriteRefusesDirectory(t *testing.T) {
	if err := Write(t.TempDir(), writeString("x")); !errors.Is(err, ErrIsDir) {
		t.Fatalf("err = %v, want ErrIsDir", err)
	}
}

package bundle

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// A container on the copying driver travels as its changes: the grader's copy reads
// like an overlay2 container, with the new file there and the deleted one gone.
func TestBundleCarriesACopiedContainersChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the extracted layer carries overlay whiteouts")
	}
	t.Setenv(sandbox.StorageDriverEnv, store.DriverVFS)
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(sandbox.CreateOptions{Image: "busybox", Name: "copied", Cmd: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil || rw.Driver != store.DriverVFS {
		t.Fatalf("layer %+v, %v: want a vfs copy", rw, err)
	}
	// What the container's shell would have done in its copy.
	os.MkdirAll(filepath.Join(rw.Copy, "home/awesome"), 0o755)
	os.WriteFile(filepath.Join(rw.Copy, "home/awesome/container.txt"), []byte("made here\n"), 0o644)
	if err := os.Remove(filepath.Join(rw.Copy, "bin/sh")); err != nil {
		t.Fatal(err)
	}

	// The built-in image travels once (its layer); the container's full copy of it
	// must not travel a second time.
	out := writeBundle(t, sb)
	alone, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alone.Image("busybox"); err != nil {
		t.Fatal(err)
	}
	image := writeBundle(t, alone)
	st, _ := os.Stat(out)
	ist, _ := os.Stat(image)
	if st.Size() > ist.Size()+64<<10 {
		t.Fatalf("bundle is %d bytes, the image alone %d: the copy of the image must not travel", st.Size(), ist.Size())
	}
	dest := t.TempDir()
	if _, err := Extract(out, dest, sourceFrom(sb), Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := sandbox.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := got.ContainerFS("copied")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "home/awesome/container.txt"); err != nil || string(b) != "made here\n" {
		t.Fatalf("the container's file after the round trip: %q, %v", b, err)
	}
	if _, err := fs.Stat(fsys, "bin/sh"); err == nil {
		t.Fatal("a file the container deleted is back after the round trip")
	}
	if _, err := fs.Stat(fsys, "bin"); err != nil {
		t.Fatalf("the image's files are missing after the round trip: %v", err)
	}
	changes, err := got.Diff("copied")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]byte{"/bin": 'C', "/bin/sh": 'D', "/home": 'C', "/home/awesome": 'A', "/home/awesome/container.txt": 'A'}
	for _, ch := range changes {
		if want[ch.Path] != ch.Kind {
			t.Errorf("diff line %c %s, want %c", ch.Kind, ch.Path, want[ch.Path])
		}
		delete(want, ch.Path)
	}
	if len(want) > 0 {
		t.Errorf("diff lacks %v", want)
	}
}

package sandbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/store"
	"golang.org/x/sys/unix"
)

// A data root on an overlay file system (dockling run inside a Docker container, say)
// is one where the kernel refuses a container's overlay: the sandbox chooses the
// copying driver by itself, says why, remembers it, and its containers run.
func TestStorageDriverFallsBackToCopyingWhereOverlayIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount the overlay the data root lives on")
	}
	t.Setenv(StorageDriverEnv, "")
	base := t.TempDir()
	for _, d := range []string{"l", "u", "w", "m"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(base, "m")
	opts := "lowerdir=" + base + "/l,upperdir=" + base + "/u,workdir=" + base + "/w"
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("cannot mount the overlay to put the data root on: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(merged, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", merged, err)
		}
	})

	sb, err := Open(filepath.Join(merged, "root"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := sb.StorageDriver()
	if err != nil {
		t.Fatal(err)
	}
	if d.Name == store.DriverOverlay {
		t.Skip("this kernel mounts a container's overlay with its upper layer on overlayfs: nothing to fall back from")
	}
	if d.Name != store.DriverVFS || !strings.Contains(d.Reason, "overlay") {
		t.Fatalf("driver %+v, want vfs with the reason overlay was refused", d)
	}
	// Remembered: the probe runs once per data root.
	b, err := os.ReadFile(filepath.Join(sb.Dir(), driverFile))
	if err != nil || !strings.HasPrefix(string(b), "vfs\n") {
		t.Fatalf("recorded choice %q, %v", b, err)
	}

	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"sh", "-c", "echo hi > /made.txt"}, Name: "copied"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Remove(c.ID, true) })
	if c.Driver != store.DriverVFS {
		t.Fatalf("container driver %q", c.Driver)
	}
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	if code, err := sb.Wait(c.ID); err != nil || code != 0 {
		t.Fatalf("wait: %d, %v", code, err)
	}
	fsys, err := sb.ContainerFS(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(fsys, "made.txt"); err != nil || string(got) != "hi\n" {
		t.Fatalf("the container's file: %q, %v", got, err)
	}
	changes, err := sb.Diff(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Kind != 'A' || changes[0].Path != "/made.txt" {
		t.Fatalf("diff %+v, want A /made.txt alone", changes)
	}
}

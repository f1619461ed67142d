package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Where the overlay module turns redirect_dir, metacopy or index on by default, the
// container's mount turns them off (as root; in a user namespace userxattr already
// keeps redirects and metacopy off, and the kernel refuses redirect_dir=off there).
func TestOverlayOptionsTurnOffWhatDiffCannotSee(t *testing.T) {
	r := &Rootfs{Lower: []string{"/l1", "/l2"}, Upper: "/u", Work: "/w"}
	on := func(string) bool { return true }
	off := func(string) bool { return false }
	for _, c := range []struct {
		rootless bool
		param    func(string) bool
		want     string
	}{
		{false, off, "lowerdir=/l1:/l2,upperdir=/u,workdir=/w"},
		{false, on, "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,redirect_dir=off,metacopy=off,index=off"},
		{true, off, "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,userxattr"},
		{true, on, "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,userxattr,index=off"},
	} {
		if got := overlayOptions(r, c.rootless, c.param); got != c.want {
			t.Errorf("rootless %v, params on %v:\n got  %s\n want %s", c.rootless, c.param("x"), got, c.want)
		}
	}
}

// This kernel takes the options together, and with them renaming a directory of the
// image fails with EXDEV (mv then copies) instead of leaving a redirect xattr, which
// the upper-dir diff would not see.
func TestOverlayWithoutRedirectsRefusesDirRename(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	r := &Rootfs{Lower: []string{filepath.Join(base, "l")}, Upper: filepath.Join(base, "u"), Work: filepath.Join(base, "w")}
	merged := filepath.Join(base, "m")
	for _, d := range []string{r.Lower[0] + "/dir", r.Upper, r.Work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Every option the module has, as where all three default to on.
	has := func(name string) bool {
		_, err := os.Stat("/sys/module/overlay/parameters/" + name)
		return err == nil
	}
	if err := unix.Mount("overlay", merged, "overlay", 0, overlayOptions(r, false, has)); err != nil {
		t.Fatalf("mounting with %q: %v", overlayOptions(r, false, has), err)
	}
	defer func() { _ = unix.Unmount(merged, unix.MNT_DETACH) }()
	err := os.Rename(filepath.Join(merged, "dir"), filepath.Join(merged, "renamed"))
	if !errors.Is(err, unix.EXDEV) {
		t.Fatalf("renaming an image directory: %v, want EXDEV", err)
	}
}

package runtime

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// errMountSource: a bind source that cannot be a mount's: a device node, a socket.
var errMountSource = errors.New("not a directory or a regular file")

// mountUser mounts the container's volumes, binds and tmpfs under root (before
// pivot_root), each nosuid and nodev. Destinations are resolved beneath root like
// the runtime's own mounts, so an image's symlink cannot point one at the host.
func mountUser(root string, mounts []Mount) error {
	for i := range mounts {
		m := &mounts[i]
		var err error
		switch m.Type {
		case "bind":
			err = bindUser(root, m)
		case "tmpfs":
			err = tmpfsUser(root, m)
		default:
			err = fmt.Errorf("unknown mount type %q", m.Type)
		}
		if err != nil {
			return fmt.Errorf("mounting %s: %w", m.Destination, err)
		}
	}
	return nil
}

// bindUser binds m.Source on its destination. The source is opened without following
// a symbolic link anywhere in it (the caller resolved it), and the mount is made from
// that descriptor: a link swapped in since cannot redirect it.
func bindUser(root string, m *Mount) error {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, m.Source, &how)
	if err != nil {
		return fmt.Errorf("opening the source %s: %w", m.Source, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	var target string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		target, err = ensureDir(root, m.Destination)
	case unix.S_IFREG:
		target, err = ensureFile(root, m.Destination)
	default:
		return fmt.Errorf("the source %s: %w", m.Source, errMountSource)
	}
	if err != nil {
		return err
	}
	if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(fd), target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	set := uint64(unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV)
	add := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if m.ReadOnly {
		set |= unix.MOUNT_ATTR_RDONLY
		add |= unix.MS_RDONLY
	}
	// Submounts come along (rbind): all of them get the flags where the kernel has
	// mount_setattr (5.12), else the top one.
	attr := unix.MountAttr{Attr_set: set}
	if err := unix.MountSetattr(unix.AT_FDCWD, target, unix.AT_RECURSIVE, &attr); err == nil {
		return nil
	}
	return remountBind(target, add)
}

// tmpfsUser mounts a tmpfs on m's destination.
func tmpfsUser(root string, m *Mount) error {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if m.NoExec {
		flags |= unix.MS_NOEXEC
	}
	if m.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	return mountIn(root, m.Destination, "tmpfs", "tmpfs", flags, m.Data)
}

// OpenRoot opens the root folder of the running container whose folder is dir, as
// its processes see it (its mounts included): a helper that enters it (EnterRoot)
// resolves every path inside the container, whatever its symbolic links say. The
// container is checked to be running after the open, so the folder is its and not
// that of a process that took its pid since.
func OpenRoot(dir string) (*os.File, error) {
	st, err := status(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != "running" {
		return nil, ErrNotRunning
	}
	f, err := os.OpenFile("/proc/"+strconv.Itoa(st.Pid)+"/root", os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the container's root: %w", err)
	}
	if !alive(st.Pid, st.InitStart) {
		f.Close()
		return nil, ErrNotRunning
	}
	return f, nil
}

// MountRoot mounts a stopped container's root file system and its mounts, in the
// caller's own mount namespace (a helper's, see RunContained), and returns where.
func MountRoot(r *Rootfs, mounts []Mount, rootless bool) (string, error) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return "", fmt.Errorf("making / rslave: %w", err)
	}
	root := r.Merged
	if r.Copy != "" {
		root = r.Copy
		if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return "", fmt.Errorf("mounting the container's root file system: %w", err)
		}
		if err := remountBind(root, unix.MS_NODEV|unix.MS_NOSUID); err != nil {
			return "", fmt.Errorf("mounting the container's root file system: %w", err)
		}
	} else {
		u := *r
		u.Untrusted = true // nosuid and nodev: nothing here is run
		if err := mountOverlay(&u, rootless); err != nil {
			return "", err
		}
	}
	return root, mountUser(root, mounts)
}

// EnterRoot makes root (a path, or "" for descriptor 4, which RunContained passes)
// this process's root and working folder: from here on every path, every symbolic
// link and every ".." is resolved by the kernel inside the container.
func EnterRoot(root string) error {
	if root == "" {
		if err := unix.Fchdir(4); err != nil {
			return fmt.Errorf("entering the container's root: %w", err)
		}
		unix.Close(4)
		root = "."
	}
	if err := unix.Chroot(root); err != nil {
		return fmt.Errorf("entering the container's root: %w", err)
	}
	return unix.Chdir("/")
}

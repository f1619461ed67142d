package runtime

import (
	"errors"
	"fmt"
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

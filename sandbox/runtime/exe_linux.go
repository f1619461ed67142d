package runtime

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// protectedSelf returns the runtime binary to exec as a container's init or as an exec
// helper (or, as root, as the shim whose fork becomes the init: see earlySelf), in a form
// the container cannot write through: the container's processes can
// reach it as /proc/<pid>/exe while those run (CVE-2019-5736), and root in the container
// may write any file it reaches. In order of preference:
//
//   - as root, the binary itself on a private read-only bind mount that belongs to no
//     mount namespace (open_tree + mount_setattr, Linux 5.12): no copy, the page cache is
//     shared with every other dockling process, and writes fail with EROFS;
//   - rootless, when only host root can write the binary (owned by root, no group or
//     other write bit): the binary itself, since the container's root is the user;
//   - otherwise a sealed memfd copy of it (slow: 16 MB copied, then freed when init execs).
//
// The caller closes the file once the child has started.
func protectedSelf() (*os.File, error) {
	if os.Getenv(copyExeEnv) != "" {
		return sealedSelf()
	}
	if os.Geteuid() == 0 {
		if f, err := readonlySelf(); err == nil {
			return f, nil
		}
	} else if f, err := os.Open("/proc/self/exe"); err == nil {
		var st unix.Stat_t
		if unix.Fstat(int(f.Fd()), &st) == nil && st.Uid == 0 && st.Mode&0o022 == 0 {
			return f, nil
		}
		f.Close()
	}
	return sealedSelf()
}

// copyExeEnv, set in the environment of Start or Exec, makes protectedSelf use the memfd
// copy (tests; the shim inherits it).
const copyExeEnv = "_DOCKLING_EXE_COPY"

// readonlySelf opens the running binary through a detached read-only bind mount of it.
func readonlySelf() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mount_setattr: %w", err)
	}
	// The O_PATH descriptor of the mount's root is the file; exec goes through /proc/self/fd.
	return os.NewFile(uintptr(fd), "dockling (read-only)"), nil
}

// sealedSelf returns a memfd holding a copy of the running binary, sealed against writes.
func sealedSelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening own binary: %w", err)
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("dockling-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("creating memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:dockling-init")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copying own binary to memfd: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealing memfd: %w", err)
	}
	return f, nil
}

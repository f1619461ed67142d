package sandboxview

import (
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Snapshot copies the sandbox folder subject into dest (made here, private to the
// grader), so that grading reads and mounts only the copy: nothing the folder's
// owner changes meanwhile, and no link in it, can lead the grader elsewhere.
//
// The walk never follows a link: each entry is opened from its parent's descriptor
// with O_PATH|O_NOFOLLOW and copied by what that descriptor is. A symbolic link,
// FIFO or device outside layer content is an UnsafeError, but for the store's own
// overlay2/l/<LINK> -> ../<cache-id>/diff; inside layer content, links are the
// image's files and copied as links, whiteouts and FIFOs kept, other devices left
// out. A hard link to a file of root's in a folder root does not own is an
// UnsafeError. Copying more than max bytes is ErrTooLarge. It returns the
// folder's owner.
func Snapshot(subject, dest string, max int64) (owner int, err error) {
	fd, err := unix.Open(subject, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening sandbox folder: %w", &os.PathError{Op: "open", Path: subject, Err: err})
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := os.Mkdir(dest, 0o700); err != nil {
		unix.Close(fd)
		return -1, err
	}
	c := &copier{left: max, owner: st.Uid, root: os.Geteuid() == 0, links: map[[2]uint64]string{}}
	// dest itself stays the grader's, and private.
	return int(st.Uid), c.dir(fd, dest, "")
}

type copier struct {
	left  int64                // bytes the copy may still write
	owner uint32               // the folder's owner
	root  bool                 // the grader is root: ownership and whiteouts are kept
	links map[[2]uint64]string // a multiply linked file (dev, ino) -> its copy
}

// dir copies the directory open as fd (which it closes) to dst, an existing
// folder; rel is its path in the sandbox folder.
func (c *copier) dir(fd int, dst, rel string) error {
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("reading %s: %w", relName(rel), err)
	}
	for _, e := range entries {
		name := e.Name()
		if rel == "" && (name == "tmp" || name == ".lock") {
			continue // work in progress and the lock: nothing graded
		}
		if err := c.entry(fd, name, path.Join(dst, name), path.Join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// entryCost is what an entry counts against the budget besides its bytes (a
// tar header's size): a folder of a million empty files is large too.
const entryCost = 512

// entry copies name, in the directory open as dirfd, to dst.
func (c *copier) entry(dirfd int, name, dst, rel string) error {
	if c.left -= entryCost; c.left < 0 {
		return ErrTooLarge
	}
	pfd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", rel, err)
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	content := inLayer(rel)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return c.subdir(pfd, &st, dst, rel)
	case unix.S_IFREG:
		return c.file(pfd, &st, dst, rel)
	case unix.S_IFLNK:
		target, err := readlinkFD(pfd)
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		if !content && !storeLink(rel, target) {
			return &UnsafeError{Path: rel, What: "a symbolic link"}
		}
		if err := unix.Symlink(target, dst); err != nil {
			return err
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if !content {
			return &UnsafeError{Path: rel, What: "a device"}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			return nil // a device node in an image: never opened for grading
		}
		if err := unix.Mknod(dst, unix.S_IFCHR, 0); err != nil {
			return fmt.Errorf("copying whiteout %s: %w", rel, err)
		}
	case unix.S_IFIFO:
		if !content {
			return &UnsafeError{Path: rel, What: "a named pipe"}
		}
		if err := unix.Mkfifo(dst, 0o600); err != nil {
			return err
		}
	default:
		return nil // a socket (a running container's): nothing to read
	}
	return c.meta(-1, dst, &st)
}

// subdir copies a directory open as the O_PATH descriptor pfd. The scratch
// folders of overlay (work, merged) are made empty: their content is the kernel's.
func (c *copier) subdir(pfd int, st *unix.Stat_t, dst, rel string) error {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	if scratch(rel) {
		return c.meta(-1, dst, st)
	}
	fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", rel, err)
	}
	if inLayer(rel + "/x") {
		copyOpaque(fd, dst)
	}
	if err := c.dir(fd, dst, rel); err != nil {
		return err
	}
	// Modes and times last: a read-only folder is filled first, and filling
	// it changes its times.
	return c.meta(-1, dst, st)
}

// file copies a regular file open as the O_PATH descriptor pfd.
func (c *copier) file(pfd int, st *unix.Stat_t, dst, rel string) error {
	key := [2]uint64{st.Dev, st.Ino}
	if st.Nlink > 1 {
		if st.Uid == 0 && c.owner != 0 {
			return &UnsafeError{Path: rel, What: "a hard link to a file of root's"}
		}
		if first, ok := c.links[key]; ok {
			return os.Link(first, dst)
		}
	}
	// Reopened through the O_PATH descriptor: the very file that was examined.
	src, err := os.Open("/proc/self/fd/" + strconv.Itoa(pfd))
	if err != nil {
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	limit := c.left
	if limit < math.MaxInt64 {
		limit++ // one byte more than allowed tells a file too large
	}
	n, err := io.Copy(out, io.LimitReader(src, limit))
	if err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	if c.left -= n; c.left < 0 {
		return ErrTooLarge
	}
	if st.Nlink > 1 {
		c.links[key] = dst
	}
	return c.meta(int(out.Fd()), dst, st)
}

// meta gives dst (open as fd, or -1) st's owner (when root), mode and times.
func (c *copier) meta(fd int, dst string, st *unix.Stat_t) error {
	isLink := st.Mode&unix.S_IFMT == unix.S_IFLNK
	if c.root {
		// Before the mode: a change of owner clears set-user-ID bits.
		if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if !isLink {
		mode := st.Mode & 0o7777
		var err error
		if fd >= 0 {
			err = unix.Fchmod(fd, mode)
		} else {
			err = unix.Chmod(dst, mode)
		}
		if err != nil {
			return err
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// copyOpaque keeps overlay's opaque-directory marker of a layer's directory.
func copyOpaque(fd int, dst string) {
	buf := make([]byte, 8)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Fgetxattr(fd, attr, buf); err == nil {
			// A rootless grader cannot set trusted.*: a folder it could not
			// read as opaque either.
			_ = unix.Setxattr(dst, attr, buf[:n], 0)
		}
	}
}

func readlinkFD(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// inLayer: rel is inside a layer's content (overlay2/<id>/diff/…, or a copying
// driver's vfs/dir/<id>/…), where links and special files are the image's.
func inLayer(rel string) bool {
	p := strings.Split(rel, "/")
	return (len(p) >= 4 && p[0] == "overlay2" && p[2] == "diff") ||
		(len(p) >= 4 && p[0] == "vfs" && p[1] == "dir")
}

// scratch: rel is overlay's work or mount folder of a layer.
func scratch(rel string) bool {
	p := strings.Split(rel, "/")
	return len(p) == 3 && p[0] == "overlay2" && (p[2] == "work" || p[2] == "merged")
}

// storeLink: rel -> target is a link the store makes, overlay2/l/<LINK> ->
// ../<cache-id>/diff, which stays inside the folder.
func storeLink(rel, target string) bool {
	p := strings.Split(rel, "/")
	if len(p) != 3 || p[0] != "overlay2" || p[1] != "l" {
		return false
	}
	t := strings.Split(target, "/")
	return len(t) == 3 && t[0] == ".." && t[2] == "diff" && t[1] != "" && t[1] != "." && t[1] != ".." && t[1] != "l"
}

func relName(rel string) string {
	if rel == "" {
		return "the sandbox folder"
	}
	return rel
}

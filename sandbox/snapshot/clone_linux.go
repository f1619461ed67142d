package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CloneOptions say how Clone makes each regular file.
type CloneOptions struct {
	// Link hard-links every regular file to the source: only for files that are
	// never changed in place (the store's records, which are replaced by rename,
	// image layers and other snapshots).
	Link bool
	// LinkFrom, when set, is a tree whose files may be hard-linked instead of
	// copied: a file there at the same path with the same size, modification time,
	// mode and owner is taken as the same file (rsync's quick check, --link-dest).
	LinkFrom string
	// Owner keeps each entry's owner (root, or root in the containers' user
	// namespace); without it everything belongs to the caller.
	Owner bool
	// NoLinks refuses symbolic links (ErrUnsupported): records never are links, and
	// a forged one would have a later write (the runtime's hosts file) follow it.
	NoLinks bool
	// Skip leaves out an entry (and what is below it) by its path below the source.
	Skip func(rel string) bool
}

// ErrUnsupported: the tree holds a kind of file a snapshot does not keep.
var ErrUnsupported = errors.New("unsupported file type")

// Clone copies the tree src into dst, which must not exist, without following a
// symbolic link anywhere below src: links are copied as links, so a tree laid out
// by someone else (a learner's sandbox folder) cannot make Clone read or write
// outside the two trees. Regular files are hard links (Link, LinkFrom), reflinks
// where the file system has them, else copies; folders, modes, times, extended
// attributes (overlay's opaque markers) and, with Owner, owners are kept. Sockets
// are left out; device nodes other than overlay's whiteouts need root.
func Clone(src, dst string, o CloneOptions) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return fmt.Errorf("snapshot: %s: %w", src, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("snapshot: %s is not a folder", src)
	}
	c := cloner{o: o}
	if err := c.entry(src, dst, "", &st); err != nil {
		return err
	}
	return c.finish()
}

type cloner struct {
	o CloneOptions
	// dirs are the folders made, fixed up last (deepest first): their modes (a
	// read-only folder must stay writable while filled) and times (filling changes them).
	dirs []dirFix
}

type dirFix struct {
	path string
	st   *unix.Stat_t
}

func (c *cloner) entry(src, dst, rel string, st *unix.Stat_t) error {
	if rel != "" && c.o.Skip != nil && c.o.Skip(rel) {
		return nil
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return c.dir(src, dst, rel, st)
	case unix.S_IFLNK:
		if c.o.NoLinks {
			return fmt.Errorf("snapshot: %s is a link: %w", src, ErrUnsupported)
		}
		target, err := os.Readlink(src)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if err := os.Symlink(target, dst); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		return c.finishEntry(src, dst, st, false)
	case unix.S_IFREG:
		return c.file(src, dst, rel, st)
	case unix.S_IFSOCK:
		return nil // a shim's attach socket: meaningless once its shim is gone
	case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
		// Overlay's whiteouts are character devices 0/0; other nodes need root.
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("snapshot: %s: %w", src, err)
		}
		return c.finishEntry(src, dst, st, true)
	}
	return fmt.Errorf("snapshot: %s: %w", src, ErrUnsupported)
}

func (c *cloner) dir(src, dst, rel string, st *unix.Stat_t) error {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := c.finishEntry(src, dst, st, false); err != nil {
		return err
	}
	c.dirs = append(c.dirs, dirFix{dst, st})
	d, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	for _, n := range names {
		s := filepath.Join(src, n)
		var st unix.Stat_t
		if err := unix.Lstat(s, &st); err != nil {
			return fmt.Errorf("snapshot: %s: %w", s, err)
		}
		if err := c.entry(s, filepath.Join(dst, n), filepath.Join(rel, n), &st); err != nil {
			return err
		}
	}
	return nil
}

func (c *cloner) file(src, dst, rel string, st *unix.Stat_t) error {
	if c.o.Link {
		if err := os.Link(src, dst); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		return nil
	}
	if c.o.LinkFrom != "" {
		cand := filepath.Join(c.o.LinkFrom, rel)
		var cs unix.Stat_t
		if unix.Lstat(cand, &cs) == nil && sameFile(st, &cs) && os.Link(cand, dst) == nil {
			return nil
		}
	}
	if err := copyData(src, dst); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return c.finishEntry(src, dst, st, true)
}

// sameFile is the quick check: a regular file of the same size, modification time,
// mode and owner.
func sameFile(a, b *unix.Stat_t) bool {
	return b.Mode&unix.S_IFMT == unix.S_IFREG && a.Size == b.Size && a.Mtim == b.Mtim &&
		a.Mode == b.Mode && a.Uid == b.Uid && a.Gid == b.Gid
}

// copyData copies a regular file's bytes: a reflink where the file system shares
// blocks (btrfs, XFS), else copy_file_range through io.Copy.
func copyData(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) != nil {
		_, err = io.Copy(out, in)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// finishEntry gives a new entry its owner, extended attributes and, for what is
// not a folder or a link, its mode and times.
func (c *cloner) finishEntry(src, dst string, st *unix.Stat_t, modeAndTimes bool) error {
	if c.o.Owner {
		if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := copyXattrs(src, dst); err != nil {
			return err
		}
	}
	if !modeAndTimes {
		return nil
	}
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return setTimes(dst, st)
}

func (c *cloner) finish() error {
	for i := len(c.dirs) - 1; i >= 0; i-- {
		d := c.dirs[i]
		if err := unix.Chmod(d.path, d.st.Mode&0o7777); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if err := setTimes(d.path, d.st); err != nil {
			return err
		}
	}
	return nil
}

func setTimes(p string, st *unix.Stat_t) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// copyXattrs copies src's extended attributes to dst. Overlay's own (opaque
// folders, redirects) must come along; others the caller may not set (security.*
// as a user) are left out.
func copyXattrs(src, dst string) error {
	names, err := listXattrs(src)
	if err != nil || len(names) == 0 {
		return err
	}
	for _, n := range names {
		v, err := getXattr(src, n)
		if err != nil {
			return fmt.Errorf("snapshot: reading %s of %s: %w", n, src, err)
		}
		if err := unix.Lsetxattr(dst, n, v, 0); err != nil {
			if strings.Contains(n, ".overlay.") {
				return fmt.Errorf("snapshot: keeping %s of %s: %w", n, src, err)
			}
		}
	}
	return nil
}

func listXattrs(p string) ([]string, error) {
	buf := make([]byte, 1024)
	for {
		n, err := unix.Llistxattr(p, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot: listing attributes of %s: %w", p, err)
		}
		var out []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
}

func getXattr(p, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

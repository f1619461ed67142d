package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// WriteDiff writes an overlay upper directory as a layer tar to w: 0/0 char devices
// become ".wh.NAME" empty regular files, directories carrying the opaque xattr (trusted.
// or user.overlay.opaque == "y") get a ".wh..wh..opq" entry right after the directory
// entry. Deterministic: entries sorted by path, so the same tree gives the same bytes.
// Paths are relative without leading "./" (Docker style: "etc/", "etc/passwd").
// Preserves mode, uid/gid, mtime (tar format PAX, times truncated to seconds),
// symlinks, hardlinks within the tree (second occurrence of an inode becomes a TypeLink),
// xattrs other than the overlay ones (security.capability matters). Skips sockets.
func WriteDiff(w io.Writer, upperDir string) error {
	return writeTar(w, upperDir, true, nil)
}

// WriteDiffExcluding is WriteDiff leaving out the entries (and, for directories,
// everything below them) for which skip returns true; rel is slash-separated and
// relative, e.g. "etc/hosts". The runtime's mount points (/etc/hosts and friends)
// are left out of commits this way, as Docker's init layer keeps them out.
func WriteDiffExcluding(w io.Writer, upperDir string, skip func(rel string) bool) error {
	return writeTar(w, upperDir, true, skip)
}

// WriteTree writes a whole directory (e.g. a merged container root) as a tar, no whiteout
// conversion (used by `docker export` and by building images). Same entry rules as WriteDiff.
func WriteTree(w io.Writer, dir string) error {
	return writeTar(w, dir, false, nil)
}

// WriteChanges writes a layer tar of the listed changes to a tree that was changed in
// place (a vfs container's copy): each added or changed path as it is now in root
// (directories without their content: their changed children are listed on their
// own), each deleted one as a ".wh.NAME" entry. Paths are slash-separated, relative,
// and must come parents first (sorted); entry rules are WriteDiff's.
func WriteChanges(w io.Writer, root string, changes []PathChange) error {
	a := &tarWriter{tw: tar.NewWriter(w), root: root, links: make(map[devIno]string), shallow: true}
	for _, c := range changes {
		if !c.Deleted {
			if err := a.entry(c.Path); err != nil {
				return err
			}
			continue
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path.Join(path.Dir(c.Path), whiteoutPrefix+path.Base(c.Path)),
			Mode:     0o644,
			ModTime:  time.Unix(0, 0),
			Format:   tar.FormatPAX,
		}
		if err := a.write(hdr, c.Path); err != nil {
			return err
		}
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("archiving %s: finishing tar: %w", root, err)
	}
	return nil
}

// PathChange is one path of WriteChanges: added or changed, or deleted.
type PathChange struct {
	Path    string // relative, slash-separated, e.g. "etc/motd"
	Deleted bool
}

type devIno struct{ dev, ino uint64 }

type tarWriter struct {
	tw    *tar.Writer
	root  string
	diff  bool
	links map[devIno]string // first name seen for each multiply-linked inode
	skip  func(rel string) bool
	// shallow: a directory's entry only, not its content (WriteChanges).
	shallow bool
}

func writeTar(w io.Writer, root string, diff bool, skip func(string) bool) error {
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		return fmt.Errorf("archiving %s: %w", root, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("archiving %s: not a directory", root)
	}
	a := &tarWriter{tw: tar.NewWriter(w), root: root, diff: diff, links: make(map[devIno]string), skip: skip}
	// The root itself gets no entry: its metadata belongs to whoever mounts the layer,
	// and Docker's layer tars do not carry one either.
	if err := a.walkDir(""); err != nil {
		return err
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("archiving %s: finishing tar: %w", root, err)
	}
	return nil
}

// walkDir emits the children of rel depth-first, each directory's names in byte order:
// parents always precede children and the output depends only on the tree.
func (a *tarWriter) walkDir(rel string) error {
	p := filepath.Join(a.root, rel)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("archiving %s: %w", p, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("archiving %s: reading directory: %w", p, err)
	}
	sort.Strings(names)
	for _, n := range names {
		if a.skip != nil && a.skip(path.Join(rel, n)) {
			continue
		}
		if err := a.entry(path.Join(rel, n)); err != nil {
			return err
		}
	}
	return nil
}

func (a *tarWriter) entry(rel string) error {
	p := filepath.Join(a.root, rel)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil // removed while we were walking
		}
		return fmt.Errorf("archiving %s: %w", p, err)
	}
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		ModTime: time.Unix(int64(st.Mtim.Sec), 0),
		Format:  tar.FormatPAX,
	}
	hdr.Uid, hdr.Gid = ContainerOwner(st.Uid, st.Gid)
	typ := st.Mode & unix.S_IFMT
	switch {
	case typ == unix.S_IFSOCK:
		return nil // a socket is a live endpoint, not content
	case typ == unix.S_IFCHR && st.Rdev == 0 && a.diff:
		// An overlay whiteout. Checked before hardlinks: overlay shares one whiteout
		// inode between many names. Mode 0600 whatever mknod gave the device (often
		// 0), as Docker's overlay2 writes its whiteouts.
		hdr.Typeflag = tar.TypeReg
		hdr.Mode = 0o600
		hdr.Name = path.Join(path.Dir(rel), whiteoutPrefix+path.Base(rel))
		return a.write(hdr, p)
	case typ == unix.S_IFDIR:
		return a.dir(hdr, p, rel)
	}
	if st.Nlink > 1 {
		key := devIno{uint64(st.Dev), uint64(st.Ino)}
		if first, ok := a.links[key]; ok {
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			return a.write(hdr, p)
		}
		a.links[key] = rel
	}
	if err := a.addXattrs(hdr, p); err != nil {
		return err
	}
	switch typ {
	case unix.S_IFREG:
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size
		return a.file(hdr, p, &st)
	case unix.S_IFLNK:
		target, err := readlink(p)
		if err != nil {
			return fmt.Errorf("archiving %s: %w", p, err)
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = target
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if typ == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor = int64(unix.Major(uint64(st.Rdev)))
		hdr.Devminor = int64(unix.Minor(uint64(st.Rdev)))
	default:
		return nil
	}
	return a.write(hdr, p)
}

func (a *tarWriter) dir(hdr *tar.Header, p, rel string) error {
	hdr.Typeflag = tar.TypeDir
	hdr.Name = rel + "/"
	if err := a.addXattrs(hdr, p); err != nil {
		return err
	}
	if err := a.write(hdr, p); err != nil {
		return err
	}
	if a.diff && isOpaque(p) {
		// Right after the directory, before its children: a reader applying the marker
		// must not wipe entries of the same layer.
		opq := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path.Join(rel, whiteoutOpaque),
			Mode:     hdr.Mode & 0o777,
			Uid:      hdr.Uid,
			Gid:      hdr.Gid,
			ModTime:  time.Unix(0, 0), // Docker's overlay2 gives its markers no time
			Format:   tar.FormatPAX,
		}
		if err := a.write(opq, p); err != nil {
			return err
		}
	}
	if a.shallow {
		return nil
	}
	return a.walkDir(rel)
}

func (a *tarWriter) write(hdr *tar.Header, p string) error {
	if err := a.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("archiving %s: writing header: %w", p, err)
	}
	return nil
}

func (a *tarWriter) file(hdr *tar.Header, p string, st *unix.Stat_t) error {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("archiving %s: %w", p, err)
	}
	defer f.Close()
	var fst unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &fst); err != nil {
		return fmt.Errorf("archiving %s: %w", p, err)
	}
	if fst.Dev != st.Dev || fst.Ino != st.Ino {
		return fmt.Errorf("archiving %s: file replaced while archiving", p)
	}
	if err := a.write(hdr, p); err != nil {
		return err
	}
	// CopyN: a file growing meanwhile must not overrun the size in the header.
	if _, err := io.CopyN(a.tw, f, hdr.Size); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("archiving %s: file shrank while archiving", p)
		}
		return fmt.Errorf("archiving %s: %w", p, err)
	}
	return nil
}

// isOpaque: "y" in either namespace; the rootless (userxattr) and root forms are both
// in use, and overlay's newer "x" value means something else.
func isOpaque(p string) bool {
	for _, name := range []string{opaqueTrusted, opaqueUser} {
		if v, err := lgetxattr(p, name); err == nil && string(v) == "y" {
			return true
		}
	}
	return false
}

// skipXattr: overlay's own bookkeeping must not leak into layers, an SELinux label
// describes the host that built the tree, not the image, and a name with "=" cannot be
// written as a PAX record key.
func skipXattr(name string) bool {
	return isOverlayXattr(name) || name == "security.selinux" || strings.Contains(name, "=")
}

func (a *tarWriter) addXattrs(hdr *tar.Header, p string) error {
	names, err := llistxattr(p)
	if err != nil {
		return fmt.Errorf("archiving %s: listing xattrs: %w", p, err)
	}
	for _, name := range names {
		if skipXattr(name) {
			continue
		}
		v, err := lgetxattr(p, name)
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return fmt.Errorf("archiving %s: reading xattr %s: %w", p, name, err)
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = make(map[string]string)
		}
		hdr.PAXRecords["SCHILY.xattr."+name] = string(v)
	}
	return nil
}

func llistxattr(p string) ([]string, error) {
	for {
		sz, err := unix.Llistxattr(p, nil)
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil
		}
		if err != nil || sz == 0 {
			return nil, err
		}
		buf := make([]byte, sz)
		n, err := unix.Llistxattr(p, buf)
		if errors.Is(err, unix.ERANGE) {
			continue // grew between the two calls
		}
		if err != nil {
			return nil, err
		}
		var names []string
		for _, name := range strings.Split(string(buf[:n]), "\x00") {
			if name != "" {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		return names, nil
	}
}

func lgetxattr(p, name string) ([]byte, error) {
	for {
		sz, err := unix.Lgetxattr(p, name, nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, sz)
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

func readlink(p string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlink(p, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

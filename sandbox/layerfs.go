package sandbox

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/dockling/dockling/sandbox/store"
	"golang.org/x/sys/unix"
)

// layerFS is the read-only merged view of a stack of layer folders (topmost first),
// with overlay's rules: a 0/0 character device hides what is below, an opaque
// directory hides the lower layers' content of that directory. It lets checks and
// export read a container's files without mounting or running anything.
type layerFS struct {
	layers []string
}

var _ interface {
	fs.ReadDirFS
	fs.StatFS
	fs.ReadLinkFS
} = (*layerFS)(nil)

func isWhiteout(fi os.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	// os.Lstat fills a syscall.Stat_t.
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	return st.Rdev == 0
}

func isOpaque(dir string) bool {
	buf := make([]byte, 2)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Lgetxattr(dir, attr, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

// find returns the real path of name (a clean, symlink-free relative path) in the
// topmost layer that has it, following overlay's hiding rules.
func (l *layerFS) find(name string) (string, os.FileInfo, error) {
	if name == "." {
		if len(l.layers) == 0 {
			return "", nil, fs.ErrNotExist // an image with no layers has no files
		}
		fi, err := os.Lstat(l.layers[0])
		return l.layers[0], fi, err
	}
	parts := strings.Split(name, "/")
	for _, layer := range l.layers {
		hidden, stopAfter := ancestors(layer, parts)
		if hidden {
			break
		}
		p := filepath.Join(layer, name)
		fi, err := os.Lstat(p)
		if err == nil {
			if isWhiteout(fi) {
				break
			}
			return p, fi, nil
		}
		if stopAfter {
			break
		}
	}
	return "", nil, fs.ErrNotExist
}

// resolve follows symlinks in every component of name inside the merged tree.
func (l *layerFS) resolve(name string, followLast bool) (string, error) {
	if !fs.ValidPath(name) {
		return "", fs.ErrInvalid
	}
	parts := strings.Split(name, "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "." || part == "" {
			continue
		}
		if part == ".." {
			cur = path.Dir(cur)
			if cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, part)
		if len(parts) == 0 && !followLast {
			return next, nil
		}
		_, fi, err := l.find(next)
		if err != nil {
			if len(parts) == 0 {
				return next, nil // let the caller report not-exist
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", errors.New("too many levels of symbolic links")
		}
		real, _, _ := l.find(next)
		target, err := os.Readlink(real)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		parts = append(strings.Split(strings.TrimPrefix(target, "/"), "/"), parts...)
	}
	if cur == "" {
		return ".", nil
	}
	return cur, nil
}

func (l *layerFS) lookup(op, name string, follow bool) (string, os.FileInfo, error) {
	r, err := l.resolve(name, follow)
	if err != nil {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	p, fi, err := l.find(r)
	if err != nil {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return p, fi, nil
}

func (l *layerFS) Open(name string) (fs.File, error) {
	p, fi, err := l.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := l.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &layerDir{fi: fi, entries: entries}, nil
	}
	return openRegular(p, name, fi)
}

// ErrNotRegular: a layer's FIFO, socket or device has no content to read (opening a
// FIFO would block a check until someone writes to it, a device would reach the
// grader's hardware).
var ErrNotRegular = errors.New("not a regular file")

// openRegular opens the regular file at p (found as fi) for reading. The open does
// not follow a symlink put in its place nor wait for a FIFO's writer, and what it
// opened is checked again, so a layer changed meanwhile cannot slip one in.
func openRegular(p, name string, fi fs.FileInfo) (fs.File, error) {
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = ErrNotRegular
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

func (l *layerFS) Stat(name string) (fs.FileInfo, error) {
	_, fi, err := l.lookup("stat", name, true)
	return fi, err
}

func (l *layerFS) Lstat(name string) (fs.FileInfo, error) {
	_, fi, err := l.lookup("lstat", name, false)
	return fi, err
}

func (l *layerFS) ReadLink(name string) (string, error) {
	p, _, err := l.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	return os.Readlink(p)
}

// Resolve is name with every symbolic link in it followed inside the view, as
// openat2's RESOLVE_IN_ROOT does: an absolute target or a ".." stops at the root.
// The last component is followed too; a missing one is left as it is.
func (l *layerFS) Resolve(name string) (string, error) { return l.resolve(name, true) }

// RealPath is where name's bytes live on disk (for export's headers).
func (l *layerFS) RealPath(name string) (string, error) {
	p, _, err := l.lookup("lstat", name, false)
	return p, err
}

func (l *layerFS) ReadDir(name string) ([]fs.DirEntry, error) {
	r, err := l.resolve(name, true)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	if _, fi, err := l.find(r); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	for _, layer := range l.layers {
		// Before reading: a lower layer's link in place of a parent (which the
		// upper folder hides) would be followed by the read, out of the layer.
		hidden, opaqueParent := false, false
		if r != "." {
			hidden, opaqueParent = ancestors(layer, strings.Split(r, "/"))
		}
		if hidden {
			break
		}
		dir := filepath.Join(layer, r)
		fi, err := os.Lstat(dir)
		if err != nil {
			if opaqueParent {
				break
			}
			continue
		}
		if isWhiteout(fi) || !fi.IsDir() {
			break
		}
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			// An unreadable folder (another id's, mode 0700) is an error: export or a
			// check must not take what it could read for the whole folder.
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
		}
		for _, e := range entries {
			if seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			info, err := e.Info()
			if err != nil || isWhiteout(info) {
				continue
			}
			out = append(out, fs.FileInfoToDirEntry(info))
		}
		if isOpaque(dir) || opaqueParent {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// ancestors looks at the parent directories of parts in one layer: hidden when one
// is a whiteout or not a directory (this layer and all below hide the path), opaque
// when one is an opaque directory (the layers below are hidden).
func ancestors(layer string, parts []string) (hidden, opaque bool) {
	for i := 1; i < len(parts); i++ {
		p := filepath.Join(layer, filepath.Join(parts[:i]...))
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if isWhiteout(fi) || !fi.IsDir() {
			return true, opaque
		}
		if isOpaque(p) {
			opaque = true
		}
	}
	return false, opaque
}

type layerDir struct {
	fi      fs.FileInfo
	entries []fs.DirEntry
	off     int
}

func (d *layerDir) Stat() (fs.FileInfo, error) { return d.fi, nil }
func (d *layerDir) Read([]byte) (int, error)   { return 0, errors.New("is a directory") }
func (d *layerDir) Close() error               { return nil }
func (d *layerDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// ContainerFS is a read-only view of a container's files: its own changes over its
// image's layers. Nothing is mounted and nothing runs.
func (sb *Sandbox) ContainerFS(name string) (fs.FS, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return nil, err
	}
	if rw.Driver == store.DriverVFS {
		return &layerFS{layers: []string{rw.Copy}}, nil
	}
	return &layerFS{layers: append([]string{rw.Upper}, rw.Lower...)}, nil
}

// ImageFS is a read-only view of an image's files.
func (sb *Sandbox) ImageFS(name string) (fs.FS, error) {
	img, err := sb.Image(name)
	if err != nil {
		return nil, err
	}
	return sb.ImageFSOf(img)
}

// ImageFSOf is ImageFS of an image already read; nil is an image without
// layers (FROM scratch), which has no files.
func (sb *Sandbox) ImageFSOf(img *store.Image) (fs.FS, error) {
	if img == nil {
		return &layerFS{}, nil
	}
	dirs, err := sb.Store.LayerDirs(img.TopLayer())
	if err != nil {
		return nil, err
	}
	return &layerFS{layers: dirs}, nil
}

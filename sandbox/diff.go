package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dockling/dockling/sandbox/runtime"
	"syscall"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/store"
	"golang.org/x/sys/unix"
)

// Change is one line of `docker diff`.
type Change struct {
	Kind  byte // 'A' added, 'C' changed, 'D' deleted
	Path  string
	isDir bool
}

// Diff lists what a container changed relative to its image, sorted by path.
func (sb *Sandbox) Diff(name string) ([]Change, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return nil, err
	}
	return readChanges(rw)
}

// diffLayer lists a container layer's changes, sorted by path, with the rules of
// Docker's tree comparison (archive.ChangesDirs, which overlay2 uses when it cannot
// trust the upper dir alone, and vfs always): a path is added when the image lacks
// it, deleted when the container's view lacks it (a deleted directory is one line),
// changed when its metadata differs (see metaDiffers); a directory is also changed
// when anything below it is. Both drivers give the same list for the same changes.
func diffLayer(rw store.RWLayer) ([]Change, error) {
	lower := &layerFS{layers: rw.Lower}
	var out []Change
	var err error
	if rw.Driver == store.DriverVFS {
		out, err = copyChanges(rw.Copy, lower)
	} else {
		d := &upperDiff{upper: rw.Upper, lower: lower}
		_, err = d.dir(".", true)
		out = d.out
	}
	if err != nil {
		return nil, fmt.Errorf("reading container changes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// upperDiff compares an overlay upper dir with the image below it. Only the upper
// dir is walked: what it lacks is the image's, unchanged, except below an opaque
// directory, where the image's entries the upper dir does not have are deleted.
type upperDiff struct {
	upper string
	lower *layerFS
	out   []Change
}

func (d *upperDiff) add(kind byte, rel string, isDir bool) {
	d.out = append(d.out, Change{Kind: kind, Path: "/" + rel, isDir: isDir})
}

// dir lists the changes below rel, a directory of the upper dir; inLower says the
// image has rel as a directory too. It reports whether there was any.
func (d *upperDiff) dir(rel string, inLower bool) (bool, error) {
	p := filepath.Join(d.upper, filepath.FromSlash(rel))
	names, err := readNames(p)
	if err != nil {
		return false, err
	}
	changed := false
	own := map[string]bool{}
	for _, n := range names {
		child := path.Join(rel, n)
		own[n] = true
		if runtimeMountPoint(child) {
			continue
		}
		fi, err := os.Lstat(filepath.Join(p, n))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we walk (a running container)
			}
			return false, err
		}
		var lowerPath string
		var was fs.FileInfo
		if inLower {
			lowerPath, was, _ = d.lower.find(child)
		}
		if isWhiteout(fi) {
			if was != nil {
				d.add('D', child, was.IsDir())
				changed = true
			}
			continue
		}
		if was == nil {
			d.add('A', child, fi.IsDir())
			changed = true
			if fi.IsDir() {
				if _, err := d.dir(child, false); err != nil {
					return false, err
				}
			}
			continue
		}
		self := metaDiffers(filepath.Join(p, n), fi, lowerPath, was)
		below := false
		if fi.IsDir() {
			if below, err = d.dir(child, was.IsDir()); err != nil {
				return false, err
			}
		}
		if self || below {
			d.add('C', child, fi.IsDir())
			changed = true
		}
	}
	if inLower && rel != "." && isOpaque(p) {
		// Replaced: the image's entries the container did not make again are gone.
		entries, err := d.lower.ReadDir(rel)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		for _, e := range entries {
			if !own[e.Name()] {
				d.add('D', path.Join(rel, e.Name()), e.IsDir())
				changed = true
			}
		}
	}
	return changed, nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

// metaDiffers says whether a path the container and its image both have changed, by
// Docker's comparison: type and permissions, owner, device number, file capabilities,
// and for anything but a directory (whose times and size follow its children) size
// and modification time. Times match when their seconds do and either side has no
// nanoseconds: layer tars keep whole seconds only.
func metaDiffers(nowPath string, now fs.FileInfo, wasPath string, was fs.FileInfo) bool {
	a, ok1 := now.Sys().(*syscall.Stat_t)
	b, ok2 := was.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return true
	}
	if a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid || a.Rdev != b.Rdev {
		return true
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		ta, tb := now.ModTime(), was.ModTime()
		sameTime := ta.Unix() == tb.Unix() && (ta.Nanosecond() == tb.Nanosecond() || ta.Nanosecond() == 0 || tb.Nanosecond() == 0)
		if !sameTime || a.Size != b.Size {
			return true
		}
	}
	return !bytes.Equal(capability(nowPath), capability(wasPath))
}

// capability reads a file's security.capability xattr (nil when it has none).
func capability(p string) []byte {
	buf := make([]byte, 64)
	for {
		n, err := unix.Lgetxattr(p, "security.capability", buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		if err != nil {
			return nil
		}
		return buf[:n]
	}
}

// runtimeMountPoints are files the runtime bind-mounts into every container; their
// placeholders in the upper dir are not the learner's changes (Docker keeps them in
// an init layer), so diff and commit leave them out.
var runtimeMountPoints = map[string]bool{"etc/hostname": true, "etc/hosts": true, "etc/resolv.conf": true,
	strings.TrimPrefix(runtime.InitPath, "/"): true}

func runtimeMountPoint(rel string) bool { return runtimeMountPoints[rel] }

// writeLayer writes the layer tar of a container's changes, exactly the paths diff
// lists. From an overlay upper dir it is the upper dir's own entries (deletions are its
// whiteouts, a replaced directory carries ".wh..wh..opq", as Docker's overlay2 layers
// do); from a vfs copy it is built from the list.
func writeLayer(w io.Writer, rw store.RWLayer, changes []Change) error {
	if layerWriteHook != nil {
		w = layerWriteHook(w)
	}
	if rw.Driver == store.DriverVFS {
		return archive.WriteChanges(w, rw.Copy, pathChanges(changes))
	}
	listed := make(map[string]bool, len(changes))
	for _, c := range changes {
		listed[strings.TrimPrefix(c.Path, "/")] = true
	}
	// What diff does not list is unchanged: a directory copied up only for a runtime
	// mount point, a file copied up and left as it was. Except the other names of a
	// listed hard link: overlay copied the image's file up to link it, and the layer
	// keeps both names as one file (a link entry), as Docker's layers do.
	if err := addLinkedNames(rw.Upper, listed); err != nil {
		return err
	}
	return archive.WriteDiffExcluding(w, rw.Upper, func(rel string) bool { return !listed[rel] })
}

// addLinkedNames adds to listed the upper dir's other names of each listed file with
// more than one link, and their directories.
func addLinkedNames(upper string, listed map[string]bool) error {
	type devIno struct{ dev, ino uint64 }
	inodes := map[devIno]bool{}
	for rel := range listed {
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(upper, filepath.FromSlash(rel)), &st) == nil &&
			st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink > 1 {
			inodes[devIno{uint64(st.Dev), uint64(st.Ino)}] = true
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	err := filepath.WalkDir(upper, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walk (a running container)
			}
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil || !inodes[devIno{uint64(st.Dev), uint64(st.Ino)}] {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		for r := filepath.ToSlash(rel); r != "." && !listed[r]; r = path.Dir(r) {
			listed[r] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading container changes: %w", err)
	}
	return nil
}

// layerWriteHook, when set (by tests only), wraps the stream a commit's layer is
// written to, so a test can stop a commit half-way through.
var layerWriteHook func(io.Writer) io.Writer

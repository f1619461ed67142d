package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/store"
)

// copyChanges lists what a vfs container changed: its copy compared, path by path,
// with the merged layers of its image (Docker's "naive" diff). To read as overlay2's
// diff does (which lists every directory the container's changes are in, since overlay
// copies them up), the directories above a change that the image has are listed as
// changed too.
func copyChanges(copyDir string, lower *layerFS) ([]Change, error) {
	seen := map[string]Change{}
	err := filepath.WalkDir(copyDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(copyDir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if runtimeMountPoint(rel) {
			return nil
		}
		now, err := d.Info()
		if err != nil {
			return err
		}
		was, err := lower.Lstat(rel)
		switch {
		case err != nil:
			seen[rel] = Change{Kind: 'A', Path: "/" + rel, isDir: d.IsDir()}
		case differs(copyDir, rel, now, was, lower):
			seen[rel] = Change{Kind: 'C', Path: "/" + rel, isDir: d.IsDir()}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading container changes: %w", err)
	}
	// What the image has and the copy no longer does.
	err = fs.WalkDir(lower, ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // an image without layers
			}
			return err
		}
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(filepath.Join(copyDir, filepath.FromSlash(rel)))
		if err != nil {
			seen[rel] = Change{Kind: 'D', Path: "/" + rel, isDir: d.IsDir()}
			if d.IsDir() {
				return fs.SkipDir // one line for a deleted tree, as overlay's whiteout
			}
			return nil
		}
		if d.IsDir() && !fi.IsDir() {
			return fs.SkipDir // replaced by a file: one C line, already listed
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading container changes: %w", err)
	}
	for rel := range seen {
		for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
			if _, ok := seen[dir]; ok {
				break
			}
			seen[dir] = Change{Kind: 'C', Path: "/" + dir, isDir: true}
		}
	}
	out := make([]Change, 0, len(seen))
	for _, c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dropUnchangedDirs(out), nil
}

// differs says whether a path present in both the copy and the image changed: its
// type, permissions or owner, and for anything but a directory (whose times follow
// its children) its size, modification second, link target or device number. Seconds
// only: the copy was made from layer tars, which keep no finer times.
func differs(copyDir, rel string, now, was fs.FileInfo, lower *layerFS) bool {
	if now.Mode() != was.Mode() {
		return true
	}
	a, ok1 := now.Sys().(*syscall.Stat_t)
	b, ok2 := was.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return true
	}
	if a.Uid != b.Uid || a.Gid != b.Gid {
		return true
	}
	if now.IsDir() {
		return false
	}
	if a.Size != b.Size || now.ModTime().Unix() != was.ModTime().Unix() || a.Rdev != b.Rdev {
		return true
	}
	if now.Mode()&fs.ModeSymlink != 0 {
		t1, err1 := os.Readlink(filepath.Join(copyDir, filepath.FromSlash(rel)))
		t2, err2 := lower.ReadLink(rel)
		return err1 != nil || err2 != nil || t1 != t2
	}
	return false
}

// pathChanges turns diff lines into what archive.WriteChanges takes.
func pathChanges(changes []Change) []archive.PathChange {
	out := make([]archive.PathChange, len(changes))
	for i, c := range changes {
		out[i] = archive.PathChange{Path: strings.TrimPrefix(c.Path, "/"), Deleted: c.Kind == 'D'}
	}
	return out
}

// CopiedLayers lists the vfs containers' layers by mount ID, each with a function
// writing its changes as a layer tar (deletions as whiteouts): how a bundle carries
// them, so that a grader reads them as it reads an overlay2 container's upper dir.
func (sb *Sandbox) CopiedLayers() (map[string]func(io.Writer) error, error) {
	out := map[string]func(io.Writer) error{}
	for _, c := range sb.containerRecords() {
		rw, err := sb.Store.RWLayer(c.ID)
		if err != nil || rw.Driver != store.DriverVFS {
			continue
		}
		out[rw.MountID] = func(w io.Writer) error {
			changes, err := copyChanges(rw.Copy, &layerFS{layers: rw.Lower})
			if err != nil {
				return err
			}
			return archive.WriteChanges(w, rw.Copy, pathChanges(changes))
		}
	}
	return out, nil
}

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

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/store"
)

// copyChanges lists what a vfs container changed: its copy compared, path by path,
// with the merged layers of its image (Docker's "naive" diff, see diffLayer).
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
		wasPath, was, err := lower.find(rel)
		switch {
		case err != nil:
			seen[rel] = Change{Kind: 'A', Path: "/" + rel, isDir: d.IsDir()}
		case metaDiffers(p, now, wasPath, was):
			seen[rel] = Change{Kind: 'C', Path: "/" + rel, isDir: d.IsDir()}
		}
		return nil
	})
	if err != nil {
		return nil, err
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
				return fs.SkipDir // one line for a deleted tree, as Docker's
			}
			return nil
		}
		if d.IsDir() && !fi.IsDir() {
			return fs.SkipDir // replaced by a file: one C line, already listed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A directory with a change below it is changed, as in Docker's comparison. Its
	// parents are too: going up stops at the first one already listed, whose own
	// parents are then listed when it is.
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
	return out, nil
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
			changes, err := diffLayer(rw)
			if err != nil {
				return err
			}
			return writeLayer(w, rw, changes)
		}
	}
	return out, nil
}

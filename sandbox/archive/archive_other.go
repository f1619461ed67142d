//go:build !linux

package archive

import (
	"errors"
	"io"
)

// Layers are extracted into overlayfs form (whiteout devices, overlay xattrs) with
// openat-based path resolution, all of which is Linux-specific.
var errNotLinux = errors.New("layer extraction needs Linux")

// Apply is only implemented on Linux.
func Apply(dir string, r io.Reader, opts ApplyOptions) (int64, error) { return 0, errNotLinux }

// ApplyFlat is only implemented on Linux.
func ApplyFlat(dir string, r io.Reader, opts ApplyOptions) (int64, error) { return 0, errNotLinux }

// WriteDiff is only implemented on Linux.
func WriteDiff(w io.Writer, upperDir string) error { return errNotLinux }

// WriteTree is only implemented on Linux.
func WriteTree(w io.Writer, dir string) error { return errNotLinux }

// WriteDiffExcluding needs Linux.
func WriteDiffExcluding(w io.Writer, upperDir string, skip func(rel string) bool) error {
	return errNotLinux
}

// WriteChanges fails off Linux.
func WriteChanges(w io.Writer, root string, changes []PathChange) error { return errNotLinux }

// PathChange is one path of WriteChanges: added or changed, or deleted.
type PathChange struct {
	Path    string
	Deleted bool
}

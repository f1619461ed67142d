//go:build !linux

package snapshot

import "errors"

// CloneOptions say how Clone makes each regular file (see clone_linux.go).
type CloneOptions struct {
	Link     bool
	LinkFrom string
	Owner    bool
	NoLinks  bool
	Skip     func(rel string) bool
}

// ErrUnsupported: the tree holds a kind of file a snapshot does not keep.
var ErrUnsupported = errors.New("unsupported file type")

// Clone needs Linux.
func Clone(src, dst string, o CloneOptions) error { return errors.New("snapshots need Linux") }

// Package store keeps images and layers on disk in the shape of Docker's overlay2 store
// (/var/lib/docker), so that a learner touring the data root finds what the lecture shows:
//
//	image/overlay2/repositories.json
//	image/overlay2/imagedb/content/sha256/<id>        image config JSON; id = sha256 of it
//	image/overlay2/imagedb/metadata/sha256/<id>/      parent, lastUpdated
//	image/overlay2/layerdb/sha256/<chainID>/          diff, size, cache-id, parent, tar-split.json.gz
//	image/overlay2/layerdb/mounts/<container-id>/     mount-id, init-id, parent
//	overlay2/<cache-id>/{diff,link,lower,work,merged}
//	overlay2/l/<LINK> -> ../<cache-id>/diff
//
// Readers take no lock: every file is replaced atomically. Writers run inside Write,
// which holds an exclusive lock file, and order their writes (layer content, then layer
// metadata, then image config, then tags) so that a crash leaves at worst unreferenced
// leftovers, which Check finds and Repair removes.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNoSuchImage = errors.New("no such image")
	ErrNoSuchLayer = errors.New("no such layer")
	ErrInUse       = errors.New("in use")
	ErrBadRef      = errors.New("invalid reference format")
	ErrDigest      = errors.New("digest mismatch")
)

// NoSuchImageError names the image that was looked for. Its message is Docker's.
type NoSuchImageError struct{ Ref string }

func (e *NoSuchImageError) Error() string { return "No such image: " + e.Ref }
func (e *NoSuchImageError) Unwrap() error { return ErrNoSuchImage }

// Store is one sandbox's image and layer store.
type Store struct {
	root     string
	rootless bool
}

// Options tune how a store writes layers.
type Options struct {
	// Rootless: the process is not root; ownership is not kept and overlay opaque
	// markers use the user.* xattr namespace.
	Rootless bool
}

// Open opens (creating when needed) the store rooted at root.
func Open(root string, opts Options) (*Store, error) {
	s := &Store{root: root, rootless: opts.Rootless}
	for _, d := range []string{
		s.imageDir(), s.contentDir(), s.metadataDir(), s.layerDBDir(), s.mountsDir(),
		filepath.Join(s.imageDir(), "layerdb", "tmp"),
		s.overlayDir(), filepath.Join(s.overlayDir(), "l"),
		s.ContainersDir(), s.tmpDir(),
	} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating data root %s: %w", root, err)
		}
	}
	// A snapshot's restore that a crash interrupted is finished first (swap_linux.go).
	if err := s.finishSwap(); err != nil {
		return nil, err
	}
	return s, nil
}

// Root is the store's data root.
func (s *Store) Root() string { return s.root }

// Rootless reports whether the store was opened for an unprivileged user.
func (s *Store) Rootless() bool { return s.rootless }

// ContainersDir holds one folder per container.
func (s *Store) ContainersDir() string { return filepath.Join(s.root, "containers") }

func (s *Store) imageDir() string { return filepath.Join(s.root, "image", "overlay2") }
func (s *Store) contentDir() string {
	return filepath.Join(s.imageDir(), "imagedb", "content", "sha256")
}
func (s *Store) metadataDir() string {
	return filepath.Join(s.imageDir(), "imagedb", "metadata", "sha256")
}
func (s *Store) layerDBDir() string { return filepath.Join(s.imageDir(), "layerdb", "sha256") }
func (s *Store) mountsDir() string  { return filepath.Join(s.imageDir(), "layerdb", "mounts") }
func (s *Store) overlayDir() string { return filepath.Join(s.root, "overlay2") }
func (s *Store) vfsDir() string     { return filepath.Join(s.root, "vfs", "dir") }
func (s *Store) tmpDir() string     { return filepath.Join(s.root, "tmp") }

// TmpDir is the data root's folder for work in progress (what system check finds
// there is a leftover), on the same file system as the layers.
func (s *Store) TmpDir() string    { return s.tmpDir() }
func (s *Store) reposFile() string { return filepath.Join(s.imageDir(), "repositories.json") }

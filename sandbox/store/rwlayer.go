package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RWLayer is a container's own writable layer and the overlay folders around it.
type RWLayer struct {
	ContainerID string
	MountID     string   // folder under overlay2/
	Parent      string   // chain ID of the image's top layer ("" for an empty image)
	Lower       []string // image layer folders, topmost first
	Upper       string   // overlay2/<mount-id>/diff: everything the container changed
	Work        string
	Merged      string
}

// CreateRWLayer makes the writable layer for a new container on top of parent.
func (w *Writer) CreateRWLayer(containerID, parent string) (RWLayer, error) {
	s := w.s
	if _, err := hexOf(containerID); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	mountID := NewID()
	dir := filepath.Join(s.overlayDir(), mountID)
	for _, d := range []string{"diff", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			os.RemoveAll(dir)
			return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
		}
	}
	// Like the folders of an image layer, the container's upper layer gets its link
	// and lower list so the store reads the same for both.
	link := shortLink()
	if err := os.Symlink(filepath.Join("..", mountID, "diff"), filepath.Join(s.overlayDir(), "l", link)); err != nil {
		os.RemoveAll(dir)
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	fail := func(err error) (RWLayer, error) {
		os.Remove(filepath.Join(s.overlayDir(), "l", link))
		os.RemoveAll(dir)
		return RWLayer{}, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "link"), []byte(link), 0o644); err != nil {
		return fail(err)
	}
	if parent != "" {
		l, err := s.Layer(parent)
		if err != nil {
			return fail(fmt.Errorf("creating container layer: %w", err))
		}
		lower, err := s.lowerOf(l.CacheID)
		if err != nil {
			return fail(err)
		}
		if err := WriteFileAtomic(filepath.Join(dir, "lower"), []byte(lower), 0o644); err != nil {
			return fail(err)
		}
	}
	m := filepath.Join(s.mountsDir(), containerID)
	if err := os.MkdirAll(m, 0o700); err != nil {
		return fail(fmt.Errorf("creating container layer: %w", err))
	}
	if parent != "" {
		if err := WriteFileAtomic(filepath.Join(m, "parent"), []byte(parent), 0o644); err != nil {
			os.RemoveAll(m)
			return fail(err)
		}
	}
	// mount-id last: it is what makes the layer exist.
	if err := WriteFileAtomic(filepath.Join(m, "mount-id"), []byte(mountID), 0o644); err != nil {
		os.RemoveAll(m)
		return fail(err)
	}
	return s.RWLayer(containerID)
}

// RWLayer reads a container's writable layer.
func (s *Store) RWLayer(containerID string) (RWLayer, error) {
	if _, err := hexOf(containerID); err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: %w", err)
	}
	m := filepath.Join(s.mountsDir(), containerID)
	b, err := os.ReadFile(filepath.Join(m, "mount-id"))
	if err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: %w", err)
	}
	mountID := strings.TrimSpace(string(b))
	if _, err := hexOf(mountID); err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: bad mount-id: %w", err)
	}
	rw := RWLayer{ContainerID: containerID, MountID: mountID}
	if p, err := os.ReadFile(filepath.Join(m, "parent")); err == nil {
		rw.Parent = strings.TrimSpace(string(p))
	}
	if rw.Parent != "" {
		if rw.Lower, err = s.LayerDirs(rw.Parent); err != nil {
			return RWLayer{}, err
		}
	}
	dir := filepath.Join(s.overlayDir(), mountID)
	rw.Upper = filepath.Join(dir, "diff")
	rw.Work = filepath.Join(dir, "work")
	rw.Merged = filepath.Join(dir, "merged")
	return rw, nil
}

// RemoveRWLayer deletes a container's writable layer.
func (w *Writer) RemoveRWLayer(containerID string) error {
	s := w.s
	rw, err := s.RWLayer(containerID)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.mountsDir(), containerID)); err != nil {
		return fmt.Errorf("removing container layer: %w", err)
	}
	dir := filepath.Join(s.overlayDir(), rw.MountID)
	if link, err := os.ReadFile(filepath.Join(dir, "link")); err == nil {
		os.Remove(filepath.Join(s.overlayDir(), "l", strings.TrimSpace(string(link))))
	}
	// Overlay leaves work/work with mode 000; rootless, that blocks removal.
	os.Chmod(filepath.Join(dir, "work", "work"), 0o700)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing container layer: %w", err)
	}
	return nil
}

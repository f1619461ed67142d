package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/archive"
)

// Storage drivers, named as Docker names them.
const (
	// DriverOverlay mounts the image layers read-only under the container's own layer.
	DriverOverlay = "overlay2"
	// DriverVFS gives each container a full copy of its image, changed in place: the
	// fallback where overlay cannot be mounted (old kernels in a user namespace, a data
	// root on a file system overlay refuses as upper layer).
	DriverVFS = "vfs"
)

// RWLayer is a container's own writable layer and the folders around it.
type RWLayer struct {
	ContainerID string
	Driver      string   // DriverOverlay or DriverVFS
	MountID     string   // folder under overlay2/ (or vfs/dir/)
	Parent      string   // chain ID of the image's top layer ("" for an empty image)
	Lower       []string // image layer folders, topmost first
	// overlay2 only:
	Upper  string // overlay2/<mount-id>/diff: everything the container changed
	Work   string
	Merged string
	// vfs only: vfs/dir/<mount-id>, the image's files copied, then the container's
	// changes made in place.
	Copy string
}

// CreateRWLayer makes the writable layer for a new container on top of parent.
func (w *Writer) CreateRWLayer(containerID, parent, driver string) (RWLayer, error) {
	s := w.s
	if _, err := hexOf(containerID); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	switch driver {
	case DriverOverlay:
	case DriverVFS:
		return w.createCopyLayer(containerID, parent)
	default:
		return RWLayer{}, fmt.Errorf("creating container layer: unknown storage driver %q", driver)
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
	if err := w.recordRWLayer(containerID, parent, mountID, DriverOverlay); err != nil {
		return fail(err)
	}
	return s.RWLayer(containerID)
}

// createCopyLayer makes a vfs container layer: the image's layers applied one after
// the other, from their recorded tars, into a new folder, as Docker's vfs driver does.
func (w *Writer) createCopyLayer(containerID, parent string) (RWLayer, error) {
	s := w.s
	mountID := NewID()
	dir := filepath.Join(s.vfsDir(), mountID)
	if err := os.MkdirAll(s.vfsDir(), 0o700); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	fail := func(err error) (RWLayer, error) {
		os.RemoveAll(dir)
		return RWLayer{}, fmt.Errorf("creating container layer: copying the image: %w", err)
	}
	var chain []string // bottom first
	for id := parent; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return fail(err)
		}
		chain = append([]string{id}, chain...)
		id = l.Parent
	}
	for _, id := range chain {
		if err := s.applyLayerTo(dir, id); err != nil {
			return fail(err)
		}
	}
	if err := w.recordRWLayer(containerID, parent, mountID, DriverVFS); err != nil {
		os.RemoveAll(dir)
		return RWLayer{}, err
	}
	return s.RWLayer(containerID)
}

func (s *Store) applyLayerTo(dir, chainID string) error {
	rc, err := s.LayerTar(chainID)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := archive.ApplyFlat(dir, rc, archive.ApplyOptions{Rootless: s.rootless}); err != nil {
		return err
	}
	// The rest of the stream, so a tar-split reader that checks the end sees it.
	_, err = io.Copy(io.Discard, rc)
	return err
}

// recordRWLayer writes layerdb/mounts/<container>/: parent, the driver when it is not
// overlay2 (older records have none), and mount-id last, which makes the layer exist.
func (w *Writer) recordRWLayer(containerID, parent, mountID, driver string) error {
	m := filepath.Join(w.s.mountsDir(), containerID)
	if err := os.MkdirAll(m, 0o700); err != nil {
		return fmt.Errorf("creating container layer: %w", err)
	}
	if parent != "" {
		if err := WriteFileAtomic(filepath.Join(m, "parent"), []byte(parent), 0o644); err != nil {
			os.RemoveAll(m)
			return err
		}
	}
	if driver != DriverOverlay {
		if err := WriteFileAtomic(filepath.Join(m, "driver"), []byte(driver), 0o644); err != nil {
			os.RemoveAll(m)
			return err
		}
	}
	if err := WriteFileAtomic(filepath.Join(m, "mount-id"), []byte(mountID), 0o644); err != nil {
		os.RemoveAll(m)
		return err
	}
	return nil
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
	rw.Driver = DriverOverlay
	if d, err := os.ReadFile(filepath.Join(m, "driver")); err == nil {
		rw.Driver = strings.TrimSpace(string(d))
	}
	switch rw.Driver {
	case DriverOverlay:
		dir := filepath.Join(s.overlayDir(), mountID)
		rw.Upper = filepath.Join(dir, "diff")
		rw.Work = filepath.Join(dir, "work")
		rw.Merged = filepath.Join(dir, "merged")
	case DriverVFS:
		rw.Copy = filepath.Join(s.vfsDir(), mountID)
	default:
		return RWLayer{}, fmt.Errorf("reading container layer: unknown storage driver %q", rw.Driver)
	}
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
	if rw.Driver == DriverVFS {
		if err := os.RemoveAll(rw.Copy); err != nil {
			return fmt.Errorf("removing container layer: %w", err)
		}
		return nil
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

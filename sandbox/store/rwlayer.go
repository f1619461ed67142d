package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/internal/rawfile"
	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/trash"
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

	link string // the l/ short link, known to the create that may discard it
}

// CreateRWLayer makes the writable layer for a new container on top of parent. With a
// batch, its records are added to b (the layer exists once b is committed; Discard
// undoes it before that); without, they are written at once.
func (w *Writer) CreateRWLayer(containerID, parent, driver string, b *Batch) (RWLayer, error) {
	if _, err := hexOf(containerID); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	own := b == nil
	if own {
		b = &Batch{}
	}
	var rw RWLayer
	var err error
	switch driver {
	case DriverOverlay:
		rw, err = w.createOverlayLayer(containerID, parent, b)
	case DriverVFS:
		rw, err = w.createCopyLayer(containerID, parent, b)
	default:
		return RWLayer{}, fmt.Errorf("creating container layer: unknown storage driver %q", driver)
	}
	if err != nil || !own {
		return rw, err
	}
	if err := b.Commit(); err != nil {
		w.DiscardRWLayer(rw)
		return RWLayer{}, err
	}
	return rw, nil
}

func (w *Writer) createOverlayLayer(containerID, parent string, b *Batch) (RWLayer, error) {
	s := w.s
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
	rw := RWLayer{
		ContainerID: containerID, Driver: DriverOverlay, MountID: mountID, Parent: parent,
		Upper: filepath.Join(dir, "diff"), Work: filepath.Join(dir, "work"), Merged: filepath.Join(dir, "merged"),
		link: link,
	}
	fail := func(err error) (RWLayer, error) {
		w.DiscardRWLayer(rw)
		return RWLayer{}, err
	}
	b.Put(StepContent, filepath.Join(dir, "link"), []byte(link), 0o644)
	if parent != "" {
		l, err := s.Layer(parent)
		if err != nil {
			return fail(fmt.Errorf("creating container layer: %w", err))
		}
		lower, err := s.lowerOf(l.CacheID)
		if err != nil {
			return fail(err)
		}
		b.Put(StepContent, filepath.Join(dir, "lower"), []byte(lower), 0o644)
		if rw.Lower, err = s.LayerDirs(parent); err != nil {
			return fail(err)
		}
	}
	if err := w.recordRWLayer(rw, b); err != nil {
		return fail(err)
	}
	return rw, nil
}

// createCopyLayer makes a vfs container layer: the image's layers applied one after
// the other, from their recorded tars, into a new folder, as Docker's vfs driver does.
func (w *Writer) createCopyLayer(containerID, parent string, b *Batch) (RWLayer, error) {
	s := w.s
	mountID := NewID()
	dir := filepath.Join(s.vfsDir(), mountID)
	if err := os.MkdirAll(s.vfsDir(), 0o700); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return RWLayer{}, fmt.Errorf("creating container layer: %w", err)
	}
	rw := RWLayer{ContainerID: containerID, Driver: DriverVFS, MountID: mountID, Parent: parent, Copy: dir}
	fail := func(err error) (RWLayer, error) {
		w.DiscardRWLayer(rw)
		return RWLayer{}, fmt.Errorf("creating container layer: copying the image: %w", err)
	}
	var chain []string // topmost first, as rw.Lower
	for id := parent; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return fail(err)
		}
		chain = append(chain, id)
		rw.Lower = append(rw.Lower, s.DiffDir(l.CacheID))
		id = l.Parent
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if err := s.applyLayerTo(dir, chain[i]); err != nil {
			return fail(err)
		}
	}
	if err := w.recordRWLayer(rw, b); err != nil {
		w.DiscardRWLayer(rw)
		return RWLayer{}, err
	}
	return rw, nil
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

// recordRWLayer adds layerdb/mounts/<container>/ to b: parent, the driver when it is
// not overlay2 (older records have none), and mount-id in a later step, as it is what
// makes the layer exist.
func (w *Writer) recordRWLayer(rw RWLayer, b *Batch) error {
	m := filepath.Join(w.s.mountsDir(), rw.ContainerID)
	if err := os.MkdirAll(m, 0o700); err != nil {
		return fmt.Errorf("creating container layer: %w", err)
	}
	if rw.Parent != "" {
		b.Put(StepContent, filepath.Join(m, "parent"), []byte(rw.Parent), 0o644)
	}
	if rw.Driver != DriverOverlay {
		b.Put(StepContent, filepath.Join(m, "driver"), []byte(rw.Driver), 0o644)
	}
	b.Put(StepLayer, filepath.Join(m, "mount-id"), []byte(rw.MountID), 0o644)
	return nil
}

// DiscardRWLayer removes what CreateRWLayer made, whether or not its records were
// written: for a create that failed after it.
func (w *Writer) DiscardRWLayer(rw RWLayer) {
	s := w.s
	os.RemoveAll(filepath.Join(s.mountsDir(), rw.ContainerID))
	if rw.Driver == DriverVFS {
		_ = trash.RemoveAll(rw.Copy)
		return
	}
	if rw.link != "" {
		os.Remove(filepath.Join(s.overlayDir(), "l", rw.link))
	}
	_ = trash.RemoveAll(filepath.Join(s.overlayDir(), rw.MountID))
}

// RWLayer reads a container's writable layer.
func (s *Store) RWLayer(containerID string) (RWLayer, error) {
	rw, err := s.rwLayerRecord(containerID)
	if err != nil {
		return RWLayer{}, err
	}
	if rw.Parent != "" {
		if rw.Lower, err = s.LayerDirs(rw.Parent); err != nil {
			return RWLayer{}, err
		}
	}
	return rw, nil
}

// rwLayerRecord reads layerdb/mounts/<container>/ alone: the layer without its
// lower folders, which removing it does not need.
func (s *Store) rwLayerRecord(containerID string) (RWLayer, error) {
	if _, err := hexOf(containerID); err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: %w", err)
	}
	m := filepath.Join(s.mountsDir(), containerID)
	b, err := rawfile.ReadFile(filepath.Join(m, "mount-id"))
	if err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: %w", err)
	}
	mountID := strings.TrimSpace(string(b))
	if _, err := hexOf(mountID); err != nil {
		return RWLayer{}, fmt.Errorf("reading container layer: bad mount-id: %w", err)
	}
	rw := RWLayer{ContainerID: containerID, MountID: mountID}
	if p, err := rawfile.ReadFile(filepath.Join(m, "parent")); err == nil {
		rw.Parent = strings.TrimSpace(string(p))
	}
	rw.Driver = DriverOverlay
	if d, err := rawfile.ReadFile(filepath.Join(m, "driver")); err == nil {
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

// RemoveRWLayer removes a container's writable layer: its record at once, its
// folder to the trash (see Trash).
func (w *Writer) RemoveRWLayer(containerID string) error {
	s := w.s
	rw, err := s.rwLayerRecord(containerID)
	if err != nil {
		return err
	}
	// Its records go to the trash too: a rename, where deleting their files would wait
	// for the file system (see package trash).
	if err := w.Trash(filepath.Join(s.mountsDir(), containerID)); err != nil {
		return fmt.Errorf("removing container layer: %w", err)
	}
	if rw.Driver == DriverVFS {
		return w.Trash(rw.Copy)
	}
	dir := filepath.Join(s.overlayDir(), rw.MountID)
	if link, err := rawfile.ReadFile(filepath.Join(dir, "link")); err == nil {
		os.Remove(filepath.Join(s.overlayDir(), "l", strings.TrimSpace(string(link))))
	}
	return w.Trash(dir)
}

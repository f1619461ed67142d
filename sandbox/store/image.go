package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dockling/dockling/internal/rawfile"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is an image config in the store.
type Image struct {
	ID          string // sha256:<hex of the config bytes>
	Raw         []byte // the config JSON as stored
	Config      *v1.ConfigFile
	Parent      string // image this one was committed from, if any
	LastUpdated time.Time
}

// ShortID is the 12-digit form `docker images` shows.
func ShortID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// ChainIDs are the chain IDs of the image's layers, bottom first.
func (img *Image) ChainIDs() []string {
	diffs := make([]string, len(img.Config.RootFS.DiffIDs))
	for i, d := range img.Config.RootFS.DiffIDs {
		diffs[i] = d.String()
	}
	return ChainIDs(diffs)
}

// TopLayer is the chain ID of the image's topmost layer, "" for an image with none.
func (img *Image) TopLayer() string {
	ids := img.ChainIDs()
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

// Image reads one image by its full ID.
func (s *Store) Image(id string) (*Image, error) {
	h, err := hexOf(id)
	if err != nil {
		return nil, &NoSuchImageError{Ref: id}
	}
	raw, err := rawfile.ReadFile(filepath.Join(s.contentDir(), h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NoSuchImageError{Ref: id}
	}
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", ShortID(id), err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", ShortID(id), err)
	}
	img := &Image{ID: "sha256:" + h, Raw: raw, Config: cfg}
	meta := filepath.Join(s.metadataDir(), h)
	if p, err := rawfile.ReadFile(filepath.Join(meta, "parent")); err == nil {
		img.Parent = strings.TrimSpace(string(p))
	}
	if t, err := rawfile.ReadFile(filepath.Join(meta, "lastUpdated")); err == nil {
		img.LastUpdated, _ = time.Parse(time.RFC3339Nano, strings.TrimSpace(string(t)))
	}
	return img, nil
}

// Images lists every image config in the store, newest first.
func (s *Store) Images() ([]*Image, error) {
	entries, err := os.ReadDir(s.contentDir())
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var out []*Image
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a temp file of an interrupted write
		}
		img, err := s.Image("sha256:" + e.Name())
		if err != nil {
			continue // Check reports damaged entries; listing shows what is usable
		}
		out = append(out, img)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return NewestFirst(out[i].Config.Created.Time, out[j].Config.Created.Time, out[i].ID, out[j].ID)
	})
	return out, nil
}

// ImageHead is what a listing of images shows of each: less than Image, so that
// listing reads one file per image and decodes two fields of it.
type ImageHead struct {
	ID      string // "sha256:<hex>"
	Created time.Time
	Size    int64 // as Size
}

// ImageHeads lists every image in the store, newest first, like Images. The image and
// layer folders are opened once and their files read relative to them: short paths for
// the kernel to walk, one per image config and one per layer size.
func (s *Store) ImageHeads() ([]ImageHead, error) {
	configs, err := rawfile.OpenDir(s.contentDir())
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	defer configs.Close()
	names, err := configs.Names()
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	layers, err := rawfile.OpenDir(s.layerDBDir())
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	defer layers.Close()
	var out []ImageHead
	for _, h := range names {
		if _, err := hexOf(h); err != nil {
			continue // a temp file of an interrupted write
		}
		var cfg struct {
			Created v1.Time `json:"created"`
			RootFS  struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if configs.Parse(h, func(b []byte) error { return json.Unmarshal(b, &cfg) }) != nil {
			continue // Check reports damaged entries; listing shows what is usable
		}
		out = append(out, ImageHead{ID: "sha256:" + h, Created: cfg.Created.Time, Size: sizeIn(layers, ChainIDs(cfg.RootFS.DiffIDs))})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return NewestFirst(out[i].Created, out[j].Created, out[i].ID, out[j].ID)
	})
	return out, nil
}

// NewestFirst orders images or containers by creation, newest first, then by ID.
func NewestFirst(a, b time.Time, idA, idB string) bool {
	if !a.Equal(b) {
		return a.After(b)
	}
	return idA < idB
}

// Size is the sum of the image's layer sizes (what `docker images` shows).
func (s *Store) Size(img *Image) int64 { return s.sizeOf(img.ChainIDs()) }

func (s *Store) sizeOf(chainIDs []string) int64 {
	layers, err := rawfile.OpenDir(s.layerDBDir())
	if err != nil {
		return 0
	}
	defer layers.Close()
	return sizeIn(layers, chainIDs)
}

// sizeIn sums the sizes of the layers chainIDs in layerdb/sha256, open as layers.
func sizeIn(layers *rawfile.Dir, chainIDs []string) int64 {
	var total int64
	for _, c := range chainIDs {
		// The size alone: the layer's other records are not needed here.
		h, err := hexOf(c)
		if err != nil {
			continue
		}
		_ = layers.Parse(h+"/size", func(b []byte) error {
			n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			total += n
			return nil
		})
	}
	return total
}

// ImageID returns the ID a config would get.
func ImageID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PutImage stores an image config whose layers are all present already, and
// returns its ID. parent names the image it was committed from ("" if none).
func (w *Writer) PutImage(raw []byte, parent string) (string, error) {
	s := w.s
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("adding image: bad config: %w", err)
	}
	img := &Image{Config: cfg}
	for _, c := range img.ChainIDs() {
		if !s.HasLayer(c) {
			return "", fmt.Errorf("adding image: layer %s is missing", c)
		}
	}
	id := ImageID(raw)
	h, _ := hexOf(id)
	meta := filepath.Join(s.metadataDir(), h)
	if err := os.MkdirAll(meta, 0o700); err != nil {
		return "", fmt.Errorf("adding image: %w", err)
	}
	if parent != "" {
		if err := WriteFileAtomic(filepath.Join(meta, "parent"), []byte(parent), 0o644); err != nil {
			return "", err
		}
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if err := WriteFileAtomic(filepath.Join(meta, "lastUpdated"), []byte(now), 0o644); err != nil {
		return "", err
	}
	// The config goes last: an image is visible only once everything it needs is there.
	if err := WriteFileAtomic(filepath.Join(s.contentDir(), h), raw, 0o644); err != nil {
		return "", err
	}
	return id, nil
}

// DeleteImage removes an image config and the layers nothing else uses. The caller
// has already removed its tags and checked that no container uses it.
func (w *Writer) DeleteImage(id string) error {
	s := w.s
	img, err := s.Image(id)
	if err != nil {
		return err
	}
	h, _ := hexOf(img.ID)
	if err := os.Remove(filepath.Join(s.contentDir(), h)); err != nil {
		return fmt.Errorf("removing image %s: %w", ShortID(id), err)
	}
	os.RemoveAll(filepath.Join(s.metadataDir(), h))
	used, err := s.usedLayers()
	if err != nil {
		return err
	}
	chains := img.ChainIDs()
	for i := len(chains) - 1; i >= 0; i-- {
		if used[chains[i]] {
			break // everything below is used too
		}
		if err := w.removeLayer(chains[i]); err != nil && !errors.Is(err, ErrNoSuchLayer) {
			return err
		}
	}
	return nil
}

// usedLayers is every chain ID some image or container layer still needs.
func (s *Store) usedLayers() (map[string]bool, error) {
	used := map[string]bool{}
	imgs, err := s.Images()
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		for _, c := range img.ChainIDs() {
			used[c] = true
		}
	}
	mounts, _ := os.ReadDir(s.mountsDir())
	for _, m := range mounts {
		if p, err := rawfile.ReadFile(filepath.Join(s.mountsDir(), m.Name(), "parent")); err == nil {
			for id := strings.TrimSpace(string(p)); id != ""; {
				used[id] = true
				l, err := s.Layer(id)
				if err != nil {
					break
				}
				id = l.Parent
			}
		}
	}
	return used, nil
}

// Parents lists the images some other image was committed or built from (its
// metadata's parent file names them).
func (s *Store) Parents() map[string]bool {
	out := map[string]bool{}
	d, err := rawfile.OpenDir(s.metadataDir())
	if err != nil {
		return out
	}
	defer d.Close()
	names, _ := d.Names()
	for _, h := range names {
		_ = d.Parse(h+"/parent", func(b []byte) error {
			out[strings.TrimSpace(string(b))] = true
			return nil
		})
	}
	return out
}

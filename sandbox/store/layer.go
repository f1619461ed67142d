package store

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dockling/dockling/internal/rawfile"
	"github.com/dockling/dockling/sandbox/archive"
	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
)

// Layer is one read-only layer of the store.
type Layer struct {
	ChainID string // sha256:… of the layer and all below it
	DiffID  string // sha256:… of the uncompressed layer tar
	Parent  string // chain ID of the layer below; "" for a base layer
	CacheID string // folder name under overlay2/
	Size    int64  // bytes of file content in this layer alone
}

// ChainID computes the chain ID of diffID stacked on parent (a chain ID or "").
func ChainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent + " " + diffID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ChainIDs returns the chain IDs of a stack of diff IDs, bottom first.
func ChainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	parent := ""
	for i, d := range diffIDs {
		parent = ChainID(parent, d)
		out[i] = parent
	}
	return out
}

// hexOf strips the algorithm prefix; it also refuses anything that is not 64 hex
// digits, so an ID can never name a path outside the store.
func hexOf(id string) (string, error) {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) != 64 {
		return "", fmt.Errorf("invalid digest %q", id)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("invalid digest %q", id)
	}
	return h, nil
}

// HasLayer reports whether the layer with this chain ID is complete in the store.
func (s *Store) HasLayer(chainID string) bool {
	_, err := s.Layer(chainID)
	return err == nil
}

// Layer reads a layer's metadata.
func (s *Store) Layer(chainID string) (Layer, error) {
	h, err := hexOf(chainID)
	if err != nil {
		return Layer{}, err
	}
	dir := filepath.Join(s.layerDBDir(), h)
	read := func(name string) (string, error) {
		b, err := rawfile.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b)), err
	}
	l := Layer{ChainID: "sha256:" + h}
	if l.DiffID, err = read("diff"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Layer{}, fmt.Errorf("%w: %s", ErrNoSuchLayer, chainID)
		}
		return Layer{}, fmt.Errorf("reading layer %s: %w", chainID, err)
	}
	if l.CacheID, err = read("cache-id"); err != nil {
		return Layer{}, fmt.Errorf("reading layer %s: %w", chainID, err)
	}
	if _, err := hexOf(l.CacheID); err != nil {
		return Layer{}, fmt.Errorf("reading layer %s: bad cache-id: %w", chainID, err)
	}
	size, err := read("size")
	if err != nil {
		return Layer{}, fmt.Errorf("reading layer %s: %w", chainID, err)
	}
	l.Size, _ = strconv.ParseInt(size, 10, 64)
	if p, err := read("parent"); err == nil {
		l.Parent = p
	}
	return l, nil
}

// DiffDir is the folder holding a layer's (or a container layer's) files.
func (s *Store) DiffDir(cacheID string) string {
	return filepath.Join(s.overlayDir(), cacheID, "diff")
}

// LayerDirs returns the diff folders of a chain of layers, TOPMOST FIRST, as
// overlay's lowerdir wants them.
func (s *Store) LayerDirs(topChainID string) ([]string, error) {
	var dirs []string
	for id := topChainID; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, s.DiffDir(l.CacheID))
		id = l.Parent
	}
	return dirs, nil
}

// LayerTar streams a layer's tar exactly as it was received (same bytes, same diff
// ID), reassembled from its files and the recorded tar headers.
func (s *Store) LayerTar(chainID string) (io.ReadCloser, error) {
	l, err := s.Layer(chainID)
	if err != nil {
		return nil, err
	}
	h, _ := hexOf(chainID)
	f, err := os.Open(filepath.Join(s.layerDBDir(), h, "tar-split.json.gz"))
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", chainID, err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading layer %s: %w", chainID, err)
	}
	out := asm.NewOutputTarStream(storage.NewPathFileGetter(s.DiffDir(l.CacheID)), storage.NewJSONUnpacker(zr))
	return &multiCloser{ReadCloser: out, closers: []io.Closer{zr, f}}, nil
}

type multiCloser struct {
	io.ReadCloser
	closers []io.Closer
}

func (m *multiCloser) Close() error {
	err := m.ReadCloser.Close()
	for _, c := range m.closers {
		c.Close()
	}
	return err
}

// PutLayer extracts an uncompressed (or gzip) layer tar on top of parent (a chain ID,
// "" for a base layer) and records it. A layer already present is reused. When
// expectDiffID is set, a tar whose digest differs is refused and nothing is kept.
func (w *Writer) PutLayer(parent string, r io.Reader, expectDiffID string) (Layer, error) {
	s := w.s
	var parentLayer Layer
	if parent != "" {
		var err error
		if parentLayer, err = s.Layer(parent); err != nil {
			return Layer{}, fmt.Errorf("adding layer: parent: %w", err)
		}
	}
	cacheID := NewID()
	layerDir := filepath.Join(s.overlayDir(), cacheID)
	// The files land in the tmp folder and move into place once complete, so what a
	// command killed meanwhile extracted is a leftover SweepLeftovers finds.
	staging := filepath.Join(s.tmpDir(), wipPrefix+"layer-"+cacheID)
	diff := filepath.Join(staging, "diff")
	if err := os.MkdirAll(diff, 0o755); err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(staging)
			os.RemoveAll(layerDir)
		}
	}()

	// Record the tar headers (tar-split) while the files land, so LayerTar can give
	// back the very same bytes later, and hash what we read to get the diff ID.
	tsTmp, err := s.CreateTemp("tar-split-*")
	if err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	defer os.Remove(tsTmp.Name())
	defer tsTmp.Close()
	zw := gzip.NewWriter(tsTmp)
	// The diff ID is the digest of the uncompressed tar, so gzip input is opened first.
	br := bufio.NewReader(r)
	r = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return Layer{}, fmt.Errorf("adding layer: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	digest := sha256.New()
	ts, tsDone, err := asm.NewInputTarStreamWithDone(io.TeeReader(r, digest), storage.NewJSONPacker(zw), nil)
	if err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	// Closing the stream on every path stops tar-split's goroutine.
	defer ts.Close()
	size, err := archive.Apply(diff, ts, archive.ApplyOptions{Rootless: s.rootless})
	if err != nil {
		return Layer{}, fmt.Errorf("extracting layer: %w", err)
	}
	// Drain the end-of-archive padding so the digest covers the whole stream.
	if _, err := io.Copy(io.Discard, ts); err != nil {
		return Layer{}, fmt.Errorf("extracting layer: %w", err)
	}
	if err := <-tsDone; err != nil {
		return Layer{}, fmt.Errorf("recording layer headers: %w", err)
	}
	if err := zw.Close(); err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	diffID := "sha256:" + hex.EncodeToString(digest.Sum(nil))
	if expectDiffID != "" && expectDiffID != diffID {
		return Layer{}, fmt.Errorf("%w: layer should have digest %s, has %s", ErrDigest, expectDiffID, diffID)
	}
	chainID := ChainID(parent, diffID)
	if l, err := s.Layer(chainID); err == nil {
		return l, nil // the deferred RemoveAll drops our duplicate copy
	}
	if err := os.Rename(staging, layerDir); err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}

	// overlay2 bookkeeping: a short link (keeps mount options short) and the lower list.
	link := shortLink()
	if err := os.Symlink(filepath.Join("..", cacheID, "diff"), filepath.Join(s.overlayDir(), "l", link)); err != nil {
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(layerDir, "link"), []byte(link), 0o644); err != nil {
		os.Remove(filepath.Join(s.overlayDir(), "l", link))
		return Layer{}, err
	}
	if parent != "" {
		lower, err := s.lowerOf(parentLayer.CacheID)
		if err != nil {
			os.Remove(filepath.Join(s.overlayDir(), "l", link))
			return Layer{}, err
		}
		if err := WriteFileAtomic(filepath.Join(layerDir, "lower"), []byte(lower), 0o644); err != nil {
			os.Remove(filepath.Join(s.overlayDir(), "l", link))
			return Layer{}, err
		}
		os.MkdirAll(filepath.Join(layerDir, "work"), 0o700)
	}

	// Metadata goes into a temp folder renamed into place: the layer becomes visible
	// all at once, with its content already complete.
	tmp, err := s.MkdirTemp("write-set-")
	if err != nil {
		os.Remove(filepath.Join(s.overlayDir(), "l", link))
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	files := map[string]string{"diff": diffID, "size": strconv.FormatInt(size, 10), "cache-id": cacheID}
	if parent != "" {
		files["parent"] = parent
	}
	for name, v := range files {
		if err := WriteFileAtomic(filepath.Join(tmp, name), []byte(v), 0o644); err != nil {
			os.RemoveAll(tmp)
			os.Remove(filepath.Join(s.overlayDir(), "l", link))
			return Layer{}, err
		}
	}
	if err := os.Rename(tsTmp.Name(), filepath.Join(tmp, "tar-split.json.gz")); err != nil {
		os.RemoveAll(tmp)
		os.Remove(filepath.Join(s.overlayDir(), "l", link))
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	h, _ := hexOf(chainID)
	if err := os.Rename(tmp, filepath.Join(s.layerDBDir(), h)); err != nil {
		os.RemoveAll(tmp)
		os.Remove(filepath.Join(s.overlayDir(), "l", link))
		return Layer{}, fmt.Errorf("adding layer: %w", err)
	}
	if err := syncDir(s.layerDBDir()); err != nil {
		return Layer{}, err
	}
	done = true
	return Layer{ChainID: chainID, DiffID: diffID, Parent: parent, CacheID: cacheID, Size: size}, nil
}

// lowerOf returns the overlay "lower" list for a layer placed on top of cacheID.
func (s *Store) lowerOf(cacheID string) (string, error) {
	link, err := rawfile.ReadFile(filepath.Join(s.overlayDir(), cacheID, "link"))
	if err != nil {
		return "", fmt.Errorf("reading layer link: %w", err)
	}
	lower := "l/" + strings.TrimSpace(string(link))
	if below, err := rawfile.ReadFile(filepath.Join(s.overlayDir(), cacheID, "lower")); err == nil {
		lower += ":" + strings.TrimSpace(string(below))
	}
	return lower, nil
}

// shortLink makes a 26-character link name like Docker's overlay2 driver.
func shortLink() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	out := randomBytes(26)
	for i, b := range out {
		out[i] = alphabet[int(b)%len(alphabet)] // 256 is a multiple of 32: uniform
	}
	return string(out)
}

// removeLayer deletes a layer no image or container uses any more.
func (w *Writer) removeLayer(chainID string) error {
	s := w.s
	l, err := s.Layer(chainID)
	if err != nil {
		return err
	}
	h, _ := hexOf(chainID)
	// Metadata first: once it is gone the layer is invisible; leftover content is
	// then found by Check.
	if err := os.RemoveAll(filepath.Join(s.layerDBDir(), h)); err != nil {
		return fmt.Errorf("removing layer %s: %w", chainID, err)
	}
	if link, err := rawfile.ReadFile(filepath.Join(s.overlayDir(), l.CacheID, "link")); err == nil {
		os.Remove(filepath.Join(s.overlayDir(), "l", strings.TrimSpace(string(link))))
	}
	// While snapshots are kept, a layer they may need again moves to their pool (one
	// rename; layers never change, so it is the same layer a restore puts back).
	if _, err := os.Stat(s.LayerPool()); err == nil {
		if os.Rename(filepath.Join(s.overlayDir(), l.CacheID), filepath.Join(s.LayerPool(), l.CacheID)) == nil {
			return nil
		}
	}
	if err := os.RemoveAll(filepath.Join(s.overlayDir(), l.CacheID)); err != nil {
		return fmt.Errorf("removing layer %s: %w", chainID, err)
	}
	return nil
}

// LayerPool is where removed image layers wait while a sandbox keeps snapshots
// (sandbox/snapshot.go): snapshots/layers/<cache-id>, present only then.
func (s *Store) LayerPool() string { return filepath.Join(s.root, "snapshots", "layers") }

package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/journal"
)

// Write packs the sandbox for lesson into w.
func Write(w io.Writer, sb *sandbox.Sandbox, lesson string) error {
	dir := sb.Dir()
	seq, head, err := journal.Head(dir)
	if err != nil {
		return fmt.Errorf("packing the journal: %w", err)
	}
	h := Header{Format: Format, Lesson: lesson, Created: time.Now().UTC().Format(time.RFC3339), JournalSeq: seq, JournalHead: head, External: map[string]string{}}
	external, err := externalLayers(sb)
	if err != nil {
		return err
	}
	// Two gzip members: all but the image layers, then the image layers (the tail).
	// A grader holding those layers itself stops reading after the first member;
	// gunzip and tar read the two as one archive.
	zw := gzip.NewWriter(w)
	sw := &switchWriter{w: zw}
	tw := tar.NewWriter(sw)
	var sums []string
	// addFrom copies size bytes from r into the bundle as name and records their sum.
	addFrom := func(name string, r io.Reader, size int64) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		d := sha256.New()
		if _, err := io.Copy(io.MultiWriter(tw, d), r); err != nil {
			return err
		}
		sums = append(sums, hex.EncodeToString(d.Sum(nil))+"  "+name)
		return nil
	}
	add := func(name string, data []byte) error {
		return addFrom(name, bytes.NewReader(data), int64(len(data)))
	}

	// Metadata: every small regular file of the store, container records, journal.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "tmp" || rel == "vfs" || (strings.HasPrefix(rel, "overlay2/") && strings.Count(rel, "/") >= 2) {
				return fs.SkipDir // layer content goes in as layer tars below
			}
			return nil
		}
		if !d.Type().IsRegular() || !metaAllowed(rel) {
			return nil
		}
		if isDriverRecord(rel) {
			// A vfs container travels as an overlay2 one: its changes as a layer tar
			// (below), read by the grader as any container's upper dir.
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return add(metaPrefix+rel, data)
	})
	if err != nil {
		return fmt.Errorf("packing metadata: %w", err)
	}

	// Layer content: everything the learner made, as layer tars.
	entries, err := os.ReadDir(filepath.Join(dir, "overlay2"))
	if err != nil {
		return fmt.Errorf("packing layers: %w", err)
	}
	skip := map[string]bool{}
	for chain, cache := range external {
		skip[cache] = true
		h.External[chain] = cache
	}
	// Only layers an image or container uses: the grader refuses any other (a
	// leftover of an interrupted command would make the bundle ungradeable).
	used, err := usedLayers(dir)
	if err != nil {
		return fmt.Errorf("packing layers: %w", err)
	}
	imageLayer := map[string]bool{}
	for cache := range layerRecords(dir) {
		imageLayer[cache] = true
	}
	var tail []*staged
	defer func() {
		for _, t := range tail {
			t.Close()
		}
	}()
	for _, e := range entries {
		if !e.IsDir() || !used[e.Name()] || skip[e.Name()] {
			continue
		}
		diff := filepath.Join(dir, "overlay2", e.Name(), "diff")
		name := layerPrefix + e.Name() + ".tar"
		write := func(w io.Writer) error { return archive.WriteDiff(w, diff) }
		if imageLayer[e.Name()] {
			t, err := stage(dir, name, write)
			if err != nil {
				return fmt.Errorf("packing layer %s: %w", e.Name(), err)
			}
			tail = append(tail, t)
			sums = append(sums, t.sum+"  "+name)
			h.Tail = append(h.Tail, name)
			continue
		}
		if err := addStaged(dir, name, write, addFrom); err != nil {
			return fmt.Errorf("packing layer %s: %w", e.Name(), err)
		}
	}
	copied, err := sb.CopiedLayers()
	if err != nil {
		return fmt.Errorf("packing layers: %w", err)
	}
	for mountID, writeChanges := range copied {
		if err := addStaged(dir, layerPrefix+mountID+".tar", writeChanges, addFrom); err != nil {
			return fmt.Errorf("packing container layer %s: %w", mountID, err)
		}
	}
	hb, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	if err := add(headerName, hb); err != nil {
		return err
	}
	sort.Strings(sums)
	manifest := []byte(strings.Join(sums, "\n") + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	if len(tail) > 0 {
		// The first member ends on an entry's end; the tail is a member of its own.
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		zw = gzip.NewWriter(w)
		sw.w = zw
		for _, t := range tail {
			if err := tw.WriteHeader(&tar.Header{Name: t.name, Mode: 0o644, Size: t.size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
				return err
			}
			if _, err := io.Copy(tw, t.File); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// switchWriter lets the tar stream go on into the next gzip member.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// staged is a layer tar written to a temporary file, with its size and sum, for
// the bundle's tail.
type staged struct {
	*os.File
	name, sum string
	size      int64
}

func (s *staged) Close() error {
	os.Remove(s.Name())
	return s.File.Close()
}

// stage writes what write writes to a temporary file under dir/tmp and sums it.
func stage(dir, name string, write func(io.Writer) error) (*staged, error) {
	tmp, err := os.CreateTemp(filepath.Join(dir, "tmp"), "bundle-layer-*")
	if err != nil {
		return nil, err
	}
	t := &staged{File: tmp, name: name}
	d := sha256.New()
	if err := write(io.MultiWriter(tmp, d)); err != nil {
		t.Close()
		return nil, err
	}
	if t.size, err = tmp.Seek(0, io.SeekCurrent); err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	t.sum = hex.EncodeToString(d.Sum(nil))
	return t, nil
}

// addStaged adds what write writes as name, staged on disk rather than in memory: a
// tar header needs the size first, and a learner's layer (apt-get install …) can be
// large.
func addStaged(dir, name string, write func(io.Writer) error, addFrom func(string, io.Reader, int64) error) error {
	tmp, err := os.CreateTemp(filepath.Join(dir, "tmp"), "bundle-layer-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := write(tmp); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	return addFrom(name, tmp, size)
}

// isDriverRecord is a container layer's storage driver record
// (image/overlay2/layerdb/mounts/<id>/driver).
func isDriverRecord(rel string) bool {
	return strings.HasPrefix(rel, "image/overlay2/layerdb/mounts/") && path.Base(rel) == "driver"
}

// metaAllowed is the set of small files a bundle carries (and Extract accepts).
func metaAllowed(rel string) bool {
	switch {
	case rel == journal.FileName:
		return true
	case strings.HasPrefix(rel, "image/overlay2/"):
		return !strings.Contains(rel, "/tmp/") && !strings.Contains(filepath.Base(rel), ".tmp-")
	case strings.HasPrefix(rel, "containers/"):
		base := filepath.Base(rel)
		return base == "config.v2.json" || base == "hostconfig.json" || base == "state.json" || strings.HasSuffix(base, "-json.log")
	case strings.HasPrefix(rel, "overlay2/") && strings.Count(rel, "/") == 2:
		base := filepath.Base(rel)
		return base == "link" || base == "lower"
	}
	return false
}

// externalLayers are the layers of images pulled from a registry, which the grader
// can pull by the same digest: the bundle names them instead of copying them.
// Built-in images and stand-ins are copied like the learner's own layers: they
// are made from the host's files, so the grader's own differ (other layer IDs),
// and they are small.
func externalLayers(sb *sandbox.Sandbox) (map[string]string, error) {
	imgs, err := sb.Store.Images()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, img := range imgs {
		if _, digests := sb.RepoTags(img.ID); len(digests) == 0 {
			continue
		}
		for _, c := range img.ChainIDs() {
			l, err := sb.Store.Layer(c)
			if err != nil {
				return nil, err
			}
			out[c] = l.CacheID
		}
	}
	// A layer a learner-made image or container also sits on is still external:
	// only the layers they add are the learner's.
	return out, nil
}

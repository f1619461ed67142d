package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/dockling/dockling/sandbox/journal"
)

// Submission says what a bundle is handed in for, and by whom.
type Submission struct {
	Lesson string
	// LessonSHA256 is the hex sha256 of the lesson's YAML as loaded ("" when the
	// lesson is not known here): a grader tells when it grades against other text.
	LessonSHA256 string
	Learner      string
}

// Write packs the sandbox for s.Lesson into w.
func Write(w io.Writer, sb *sandbox.Sandbox, s Submission) error {
	dir := sb.Dir()
	// The journal is read once: the header pins its head, and the seal goes after
	// exactly these lines however the learner's shells go on.
	jdata, err := os.ReadFile(journal.Path(dir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("packing the journal: %w", err)
	}
	jdata = jdata[:bytes.LastIndexByte(jdata, '\n')+1] // a torn last line is no entry
	seq, head := journal.HeadOf(jdata)
	created := time.Now().UTC()
	h := Header{Format: Format, Lesson: s.Lesson, LessonSHA256: s.LessonSHA256, Learner: s.Learner,
		Created: created.Format(time.RFC3339), JournalSeq: seq, JournalHead: head, External: map[string]string{}}
	// Two gzip members: all but the image layers, then the image layers (the tail).
	// A grader holding those layers itself does not inflate the second member; it
	// hashes its bytes against the header's TailSHA256.
	zw := gzip.NewWriter(w)
	p := &packer{dir: dir, tw: tar.NewWriter(zw)}
	if err := p.meta(); err != nil {
		return fmt.Errorf("packing metadata: %w", err)
	}
	tail, err := p.layers(sb, &h)
	if err != nil {
		return err
	}
	if tail != nil {
		defer tail.Close()
	}
	hb, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	if err := p.add(headerName, hb); err != nil {
		return err
	}
	// The manifest covers every entry but itself (the journal as the sandbox holds
	// it); the journal's last record, the seal, carries the manifest's hash.
	p.sums = append(p.sums, sum(jdata)+"  "+metaPrefix+journal.FileName)
	sort.Strings(p.sums)
	manifest := []byte(strings.Join(p.sums, "\n") + "\n")
	sealed, err := journal.Seal(jdata, sum(manifest), "dockling submit "+s.Lesson, created)
	if err != nil {
		return err
	}
	if err := p.entry(metaPrefix+journal.FileName, sealed); err != nil {
		return err
	}
	if err := p.entry(manifestName, manifest); err != nil {
		return err
	}
	if tail == nil {
		if err := p.tw.Close(); err != nil {
			return err
		}
		return zw.Close()
	}
	// The first member ends on an entry's end; the tail member ends the archive.
	if err := p.tw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	_, err = io.Copy(w, tail)
	return err
}

// packer writes a bundle's first gzip member and records the sums of what it wrote.
type packer struct {
	dir  string
	tw   *tar.Writer
	sums []string
}

// entry writes one tar entry.
func (p *packer) entry(name string, data []byte) error {
	if err := p.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err := p.tw.Write(data)
	return err
}

// addFrom copies size bytes from r into the bundle as name and records their sum.
func (p *packer) addFrom(name string, r io.Reader, size int64) error {
	if err := p.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	d := sha256.New()
	if _, err := io.Copy(io.MultiWriter(p.tw, d), r); err != nil {
		return err
	}
	p.sums = append(p.sums, hex.EncodeToString(d.Sum(nil))+"  "+name)
	return nil
}

func (p *packer) add(name string, data []byte) error {
	return p.addFrom(name, bytes.NewReader(data), int64(len(data)))
}

// meta adds every small regular file of the store and the container records; the
// journal goes last, sealed (see Write).
func (p *packer) meta() error {
	dir := p.dir
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// snapshots: the starts of steps, for back and reset, not the learner's work.
			if rel == "tmp" || rel == "vfs" || rel == "snapshots" || (strings.HasPrefix(rel, "overlay2/") && strings.Count(rel, "/") >= 2) {
				return fs.SkipDir // layer content goes in as layer tars below
			}
			return nil
		}
		if !d.Type().IsRegular() || !metaAllowed(rel) || rel == journal.FileName {
			return nil
		}
		if isDriverRecord(rel) {
			// A vfs container travels as an overlay2 one: its changes as a layer tar
			// (below), read by the grader as any container's upper dir.
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return p.add(metaPrefix+rel, data)
	})
}

// layers adds everything the learner made as layer tars: container layers to the
// first member, image layers to the tail, returned compressed (nil when there are
// none) with its hash in h.
func (p *packer) layers(sb *sandbox.Sandbox, h *Header) (*os.File, error) {
	dir := p.dir
	external, err := externalLayers(sb)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, "overlay2"))
	if err != nil {
		return nil, fmt.Errorf("packing layers: %w", err)
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
		return nil, fmt.Errorf("packing layers: %w", err)
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
		write := func(w io.Writer) error { return sandbox.WriteDiffDir(w, diff) }
		if imageLayer[e.Name()] {
			t, err := stage(dir, name, write)
			if err != nil {
				return nil, fmt.Errorf("packing layer %s: %w", e.Name(), err)
			}
			tail = append(tail, t)
			p.sums = append(p.sums, t.sum+"  "+name)
			h.Tail = append(h.Tail, name)
			continue
		}
		if err := addStaged(dir, name, write, p.addFrom); err != nil {
			return nil, fmt.Errorf("packing layer %s: %w", e.Name(), err)
		}
	}
	copied, err := sb.CopiedLayers()
	if err != nil {
		return nil, fmt.Errorf("packing layers: %w", err)
	}
	for mountID, writeChanges := range copied {
		if err := addStaged(dir, layerPrefix+mountID+".tar", writeChanges, p.addFrom); err != nil {
			return nil, fmt.Errorf("packing container layer %s: %w", mountID, err)
		}
	}
	if len(tail) == 0 {
		return nil, nil
	}
	return compressTail(dir, tail, h)
}

// compressTail writes the tail member (the staged image layers, then the end of
// the archive) to a temporary file and records its sha256 in h.
func compressTail(dir string, tail []*staged, h *Header) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(dir, "tmp"), "bundle-tail-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // gone with the last descriptor
	d := sha256.New()
	zw := gzip.NewWriter(io.MultiWriter(f, d))
	tw := tar.NewWriter(zw)
	for _, t := range tail {
		err = tw.WriteHeader(&tar.Header{Name: t.name, Mode: 0o644, Size: t.size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
		if err == nil {
			_, err = io.Copy(tw, t.File)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("packing image layers: %w", err)
		}
	}
	err = tw.Close()
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("packing image layers: %w", err)
	}
	h.TailSHA256 = hex.EncodeToString(d.Sum(nil))
	return f, nil
}

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

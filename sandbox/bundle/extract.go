package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/klauspost/compress/gzip"
)

// LayerSource finds, on the grader's side, the files of a layer the bundle only
// references (by chain ID).
type LayerSource func(chainID string) (diffDir string, ok bool)

// Limits keep a hostile bundle from filling the grader's disk.
const (
	maxMetaFile = 64 << 20
	// DefaultMaxSize is the default budget of a bundle's uncompressed content: a
	// lesson's bundle is its learner's own layers and records, usually a few MB.
	DefaultMaxSize = 2 << 30
	// entryCost is what each entry counts against the budget besides its bytes:
	// about the disk a file takes, so a million empty entries also run out.
	entryCost = 4096
)

// Options tune Extract.
type Options struct {
	// MaxSize bounds the bundle's uncompressed content (every entry's bytes plus
	// entryCost each); 0 means DefaultMaxSize.
	MaxSize int64
}

// Extract unpacks the bundle at bundlePath into dest (an empty folder) so it can be
// opened as a sandbox. It returns the header and, when the contents do not match the
// manifest or the journal chain, a *TamperError together with the usable sandbox;
// any other error means the bundle could not be used at all. Referenced layers src
// does not have are listed in the header's Missing, not an error: what does not
// stand on them can still be graded. No container of the result is running (see
// settleContainers).
func Extract(bundlePath, dest string, src LayerSource, opts Options) (*Header, error) {
	budget := opts.MaxSize
	if budget <= 0 {
		budget = DefaultMaxSize
	}
	f, err := os.Open(bundlePath)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, badBundle("not gzip-compressed (%v)", err)
	}
	// One gzip member at a time: a format 2 bundle's image layers come in a second
	// one (Header.Tail), not read when the grader holds those layers itself.
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	inTail := false
	sums := map[string]string{}
	var header *Header
	var manifest []byte
	layerTars := map[string]string{}
	// have: copied layers the grader holds itself (a stand-in or built-in image made
	// on the same kind of host), by cache ID: their files are linked, not unpacked,
	// once the copy is shown to hold exactly that layer.
	var chains map[string]layerRecord
	have := map[string]string{}
	var forged []string
	if err := os.MkdirAll(filepath.Join(dest, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("extracting bundle: %w", err)
	}
	for {
		h, err := tr.Next()
		if err == io.EOF && !inTail && header != nil && !seenAll(header.Tail, sums) {
			if chains == nil {
				chains = layerRecords(dest)
			}
			if skipTail(header.Tail, manifest, chains, src, sums, layerTars, have) {
				break
			}
			// Read the tail: the next gzip member carries the rest of the archive.
			if err := zr.Reset(br); err != nil {
				return nil, badBundle("truncated or corrupt (its image layers are missing: %v)", err)
			}
			zr.Multistream(false)
			tr, inTail = tar.NewReader(zr), true
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badBundle("truncated or corrupt (%v)", err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") {
			return nil, badBundle("unexpected entry %q", h.Name)
		}
		// Stop before reading what would pass the budget: the header says how much.
		if budget -= entryCost + max(h.Size, 0); budget < 0 {
			return nil, fmt.Errorf("%w: more than %s uncompressed (at %s)", ErrTooLarge, humanSize(opts.MaxSize), h.Name)
		}
		switch {
		case name == headerName || name == manifestName:
			data, err := readLimited(tr, maxMetaFile)
			if err != nil {
				return nil, readError(name, err)
			}
			if name == manifestName {
				manifest = data
				continue
			}
			sums[name] = sum(data)
			header = &Header{}
			if err := json.Unmarshal(data, header); err != nil {
				return nil, badBundle("bad header: %v", err)
			}
		case strings.HasPrefix(name, metaPrefix):
			rel := strings.TrimPrefix(name, metaPrefix)
			if !metaAllowed(rel) || strings.Contains(rel, "..") {
				return nil, badBundle("unexpected entry %q", h.Name)
			}
			data, err := readLimited(tr, maxMetaFile)
			if err != nil {
				return nil, readError(name, err)
			}
			sums[name] = sum(data)
			p := filepath.Join(dest, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, fmt.Errorf("extracting bundle: %w", err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return nil, fmt.Errorf("extracting bundle: %w", err)
			}
		case strings.HasPrefix(name, layerPrefix) && strings.HasSuffix(name, ".tar"):
			cache := strings.TrimSuffix(strings.TrimPrefix(name, layerPrefix), ".tar")
			if !isHex64(cache) {
				return nil, badBundle("unexpected entry %q", h.Name)
			}
			if _, dup := sums[name]; dup {
				return nil, badBundle("layer %s is in the bundle twice", cache)
			}
			// A layer the grader holds itself is only hashed, not written out: when the
			// copy proves to be that layer, the grader's own files are linked instead.
			var ownDir string
			var rec layerRecord
			if src != nil {
				if chains == nil { // the records come before the layers
					chains = layerRecords(dest)
				}
				if r, ok := chains[cache]; ok && r.consistent() {
					if dir, ok := src(r.chainID); ok {
						ownDir, rec = dir, r
					}
				}
			}
			d := sha256.New()
			var tmp *os.File
			if ownDir == "" {
				if tmp, err = os.CreateTemp(filepath.Join(dest, "tmp"), "layer-*.tar"); err != nil {
					return nil, fmt.Errorf("extracting bundle: %w", err)
				}
				_, err = io.Copy(io.MultiWriter(tmp, d), tr)
				tmp.Close()
			} else {
				_, err = io.Copy(d, tr)
			}
			if err != nil {
				return nil, badBundle("truncated or corrupt (layer %s: %v)", cache, err)
			}
			sums[name] = hex.EncodeToString(d.Sum(nil))
			switch {
			case tmp != nil:
				layerTars[cache] = tmp.Name()
			default:
				// Not the layer its record names (a copy edited and the manifest signed
				// again) is an edit too; graded anyway (--ignore-tamper), the grader's
				// own copy of the named layer stands in.
				if rec.diffID != "sha256:"+sums[name] {
					forged = append(forged, name)
				}
				layerTars[cache] = ""
				have[cache] = ownDir
			}
		default:
			return nil, badBundle("unexpected entry %q", h.Name)
		}
	}
	if header == nil {
		return nil, badBundle("no %s", headerName)
	}
	if header.Format > Format {
		return header, fmt.Errorf("%w: format %d, this dockling reads up to %d", ErrNewer, header.Format, Format)
	}
	if header.Format < 1 {
		return header, badBundle("format %d", header.Format)
	}

	var problems []string
	for _, name := range forged {
		problems = append(problems, name+" is not the layer its records name")
	}
	if manifest == nil {
		problems = append(problems, "the manifest is missing")
	} else {
		listed := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
			want, name, ok := strings.Cut(line, "  ")
			if !ok {
				problems = append(problems, "malformed manifest line")
				continue
			}
			listed[name] = true
			got, present := sums[name]
			switch {
			case !present:
				problems = append(problems, name+" is missing")
			case got != want:
				problems = append(problems, name+" was changed")
			}
		}
		for name := range sums {
			if !listed[name] {
				problems = append(problems, name+" was added")
			}
		}
	}

	used, err := usedLayers(dest)
	if err != nil {
		return header, fmt.Errorf("extracting bundle: %w", err)
	}
	for cache := range layerTars {
		if !used[cache] {
			return header, badBundle("unexpected entry %q: no image or container uses it", layerPrefix+cache+".tar")
		}
	}
	for cache, tarPath := range layerTars {
		diff := filepath.Join(dest, "overlay2", cache, "diff")
		if dir, ok := have[cache]; ok {
			if tarPath != "" {
				os.Remove(tarPath)
			}
			if err := os.MkdirAll(filepath.Dir(diff), 0o755); err != nil {
				return header, fmt.Errorf("extracting bundle: %w", err)
			}
			if err := os.Symlink(dir, diff); err != nil {
				return header, fmt.Errorf("extracting bundle: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(diff, 0o755); err != nil {
			return header, fmt.Errorf("extracting bundle: %w", err)
		}
		lf, err := os.Open(tarPath)
		if err != nil {
			return header, fmt.Errorf("extracting bundle: %w", err)
		}
		_, err = archive.Apply(diff, lf, archive.ApplyOptions{Rootless: os.Geteuid() != 0})
		lf.Close()
		os.Remove(tarPath)
		if err != nil {
			return header, badBundle("layer %s: %v", cache, err)
		}
	}
	for chain, cache := range header.External {
		if !isHex64(cache) || !isChainID(chain) {
			return header, badBundle("bad layer reference %q", cache)
		}
		if _, copied := layerTars[cache]; copied {
			return header, badBundle("layer %s is both copied and referenced", cache)
		}
		dir, ok := "", false
		if src != nil {
			dir, ok = src(chain)
		}
		if !ok {
			header.Missing = append(header.Missing, chain)
			continue
		}
		if err := os.MkdirAll(filepath.Join(dest, "overlay2", cache), 0o755); err != nil {
			return header, fmt.Errorf("extracting bundle: %w", err)
		}
		// A link, not a copy: base layers are shared by every bundle of a batch.
		if err := os.Symlink(dir, filepath.Join(dest, "overlay2", cache, "diff")); err != nil {
			return header, fmt.Errorf("extracting bundle: %w", err)
		}
	}
	sort.Strings(header.Missing)
	if err := settleContainers(dest, header.created()); err != nil {
		return header, fmt.Errorf("extracting bundle: %w", err)
	}

	if err := journal.Verify(dest); err != nil {
		if !errors.Is(err, journal.ErrTampered) {
			return header, err
		}
		problems = append(problems, err.Error())
	} else if seq, head, err := journal.Head(dest); err == nil && (seq != header.JournalSeq || head != header.JournalHead) {
		problems = append(problems, "the journal does not end where the bundle says it did")
	}
	if len(problems) > 0 {
		return header, &TamperError{Problems: problems}
	}
	return header, nil
}

// errTooBig: one metadata file is over maxMetaFile.
var errTooBig = errors.New("too large")

// readError says why an entry could not be read: its size, or a broken stream.
func readError(name string, err error) error {
	if errors.Is(err, errTooBig) {
		return badBundle("%s is over %s", name, humanSize(maxMetaFile))
	}
	return badBundle("truncated or corrupt (reading %s: %v)", name, err)
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, errTooBig
	}
	return buf.Bytes(), nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func isChainID(s string) bool { return isHex64(strings.TrimPrefix(s, "sha256:")) }

// usedLayers are the cache IDs (overlay2 folder names) the extracted records name:
// image layers' cache-id and container layers' mount-id.
func usedLayers(dest string) (map[string]bool, error) {
	used := map[string]bool{}
	db := filepath.Join(dest, "image", "overlay2", "layerdb")
	for _, pattern := range []string{filepath.Join(db, "sha256", "*", "cache-id"), filepath.Join(db, "mounts", "*", "mount-id")} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			used[strings.TrimSpace(string(b))] = true
		}
	}
	return used, nil
}

// layerRecord is an image layer's record in the bundle's layerdb.
type layerRecord struct{ chainID, diffID, parent string }

// consistent: the chain ID is the one its parent and diff ID make, so a grader's
// layer with that chain ID holds the same files as this diff ID.
func (r layerRecord) consistent() bool {
	want := r.diffID
	if r.parent != "" {
		want = "sha256:" + sum([]byte(r.parent+" "+r.diffID))
	}
	return want == r.chainID
}

// layerRecords reads the extracted layerdb's image layers by cache ID; records
// that cannot be read are left out (their layers are then simply unpacked).
func layerRecords(dest string) map[string]layerRecord {
	out := map[string]layerRecord{}
	dirs, _ := filepath.Glob(filepath.Join(dest, "image", "overlay2", "layerdb", "sha256", "*"))
	for _, dir := range dirs {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			return strings.TrimSpace(string(b))
		}
		cache := read("cache-id")
		if !isHex64(filepath.Base(dir)) || cache == "" {
			continue
		}
		out[cache] = layerRecord{chainID: "sha256:" + filepath.Base(dir), diffID: read("diff"), parent: read("parent")}
	}
	return out
}

func humanSize(n int64) string {
	if n <= 0 {
		n = DefaultMaxSize
	}
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// seenAll says whether every entry named has been read (a bundle repacked as one
// gzip member holds its tail in the first).
func seenAll(names []string, sums map[string]string) bool {
	for _, n := range names {
		if _, ok := sums[n]; !ok {
			return false
		}
	}
	return true
}

// skipTail decides whether a bundle's tail (image layers, Header.Tail) can go unread:
// when the grader holds every one of those layers itself (by the chain ID the
// bundle's records give), they are linked as the grader's own copies, and their
// manifest sums stand as read, since no byte of the bundle's copies is used.
func skipTail(tail []string, manifest []byte, chains map[string]layerRecord, src LayerSource, sums, layerTars, have map[string]string) bool {
	if src == nil || manifest == nil {
		return false
	}
	claimed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		if sum, name, ok := strings.Cut(line, "  "); ok {
			claimed[name] = sum
		}
	}
	dirs := map[string]string{}
	for _, name := range tail {
		cache := strings.TrimSuffix(strings.TrimPrefix(name, layerPrefix), ".tar")
		rec, ok := chains[cache]
		if !ok || !rec.consistent() || claimed[name] == "" || "sha256:"+claimed[name] != rec.diffID {
			return false
		}
		dir, ok := src(rec.chainID)
		if !ok {
			return false
		}
		dirs[cache] = dir
	}
	for _, name := range tail {
		cache := strings.TrimSuffix(strings.TrimPrefix(name, layerPrefix), ".tar")
		if _, dup := sums[name]; dup {
			return false
		}
		sums[name] = claimed[name]
		layerTars[cache] = ""
		have[cache] = dirs[cache]
	}
	return true
}

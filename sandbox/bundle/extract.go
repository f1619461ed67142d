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
	"unicode"

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
	// DefaultMaxSize is the default budget of what extracting a bundle writes: a
	// lesson's bundle is its learner's own layers and records, usually a few MB.
	DefaultMaxSize = 2 << 30
	// entryCost is what each entry (of the bundle or of a layer tar) counts against
	// the budget besides its bytes: about the disk a file or folder takes, so a
	// million empty entries also run out.
	entryCost = 4096
	// maxEntries and maxDepth bound the entries of a bundle and its layers together,
	// and how deep a layer's paths go, whatever the budget.
	maxEntries = 1 << 20
	maxDepth   = 256
)

// Options tune Extract.
type Options struct {
	// MaxSize bounds what extraction writes to dest: every file's bytes (layer
	// tars while they wait, then their unpacked content) plus entryCost an entry;
	// 0 means DefaultMaxSize.
	MaxSize int64
}

// budget counts what extraction writes against Options.MaxSize, before it is written.
type budget struct {
	max, left int64
	entries   int
}

// take counts n more bytes and entries more entries, written for what.
func (b *budget) take(what string, n int64, entries int) error {
	b.entries += entries
	b.left -= n + int64(entries)*entryCost
	if b.left < 0 || b.entries > maxEntries {
		return fmt.Errorf("%w: more than %s uncompressed (at %s)", ErrTooLarge, humanSize(b.max), what)
	}
	return nil
}

// give counts n bytes removed again.
func (b *budget) give(n int64) { b.left += n }

// unpack is one extraction: what has been read of the bundle so far.
type unpack struct {
	dest      string
	src       LayerSource
	budget    budget
	sums      map[string]string // entry name -> hex sha256 of its content
	header    *Header
	manifest  []byte
	journal   []byte // meta/journal.jsonl as stored (sealed)
	layerTars map[string]string
	// have: copied layers the grader holds itself (a stand-in or built-in image made
	// on the same kind of host), by cache ID: their files are linked, not unpacked,
	// once the copy is shown to hold exactly that layer.
	have   map[string]string
	chains map[string]layerRecord
	forged []string
}

// Extract unpacks the bundle at bundlePath into dest (an empty folder) so it can be
// opened as a sandbox. It returns the header and, when the contents do not match the
// manifest, the manifest its seal, or the journal its chain, a *TamperError together
// with the usable sandbox; any other error means the bundle could not be used at
// all. Referenced layers src does not have are listed in the header's Missing, not
// an error: what does not stand on them can still be graded. No container of the
// result is running (see settleContainers).
func Extract(bundlePath, dest string, src LayerSource, opts Options) (*Header, error) {
	max := opts.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	u := &unpack{dest: dest, src: src, budget: budget{max: max, left: max}, sums: map[string]string{},
		layerTars: map[string]string{}, have: map[string]string{}}
	defer u.removeTars()
	f, err := os.Open(bundlePath)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Join(dest, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("extracting bundle: %w", err)
	}
	if err := u.read(bufio.NewReader(f)); err != nil {
		return nil, err
	}
	header := u.header
	if header == nil {
		return nil, badBundle("no %s", headerName)
	}
	if header.Format > Format {
		return header, fmt.Errorf("%w: format %d, this dockling reads up to %d", ErrNewer, header.Format, Format)
	}
	if header.Format < 1 {
		return header, badBundle("format %d", header.Format)
	}
	header.Learner = printable(header.Learner, maxLearner)
	sealProblems, err := u.writeJournal()
	if err != nil {
		return header, err
	}
	problems := append(u.checkManifest(), sealProblems...)
	if err := u.placeLayers(); err != nil {
		return header, err
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

// read reads the bundle's entries: the first gzip member, then the tail (a format 2
// or later bundle's image layers, Header.Tail) unless the grader holds those layers
// itself; then it hashes the tail's bytes instead of inflating them. Nothing may
// follow the archive.
func (u *unpack) read(br *bufio.Reader) error {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return badBundle("not gzip-compressed (%v)", err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	inTail := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			if err := endOfMember(zr); err != nil {
				return err
			}
			if inTail || u.header == nil || seenAll(u.header.Tail, u.sums) {
				break
			}
			if u.chains == nil {
				u.chains = layerRecords(u.dest)
			}
			if u.header.Format >= sealedFormat && u.header.TailSHA256 != "" && skipTail(u.header.Tail, u.manifest, u.chains, u.src, u.sums, u.layerTars, u.have) {
				return checkTail(br, u.header.TailSHA256)
			}
			// Read the tail: the next gzip member carries the rest of the archive.
			if err := zr.Reset(br); err != nil {
				return badBundle("truncated or corrupt (its image layers are missing: %v)", err)
			}
			zr.Multistream(false)
			tr, inTail = tar.NewReader(zr), true
			continue
		}
		if err != nil {
			return badBundle("truncated or corrupt (%v)", err)
		}
		if err := u.entry(h, tr); err != nil {
			return err
		}
	}
	if _, err := br.Peek(1); err != io.EOF {
		return badBundle("data after the end of the archive")
	}
	return nil
}

// endOfMember reads the gzip member to its end, which checks its checksum: what
// follows the tar's end marker may only be the zeros tar pads with.
func endOfMember(zr io.Reader) error {
	buf := make([]byte, 32<<10)
	for total := 0; ; {
		n, err := zr.Read(buf)
		total += n
		if bytes.ContainsFunc(buf[:n], func(r rune) bool { return r != 0 }) || total > 1<<20 {
			return badBundle("data after the end of the archive")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badBundle("truncated or corrupt (%v)", err)
		}
	}
}

// checkTail hashes the rest of the bundle, the tail not inflated, against want.
func checkTail(r io.Reader, want string) error {
	d := sha256.New()
	if _, err := io.Copy(d, r); err != nil {
		return fmt.Errorf("reading bundle: %w", err)
	}
	if hex.EncodeToString(d.Sum(nil)) != want {
		return badBundle("truncated or corrupt (its image layers are not the ones its header names)")
	}
	return nil
}

// entry reads one entry of the bundle.
func (u *unpack) entry(h *tar.Header, tr io.Reader) error {
	name := path.Clean(h.Name)
	if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") {
		return badBundle("unexpected entry %q", h.Name)
	}
	switch {
	case name == headerName || name == manifestName || name == metaPrefix+journal.FileName:
		data, err := u.readMeta(name, h.Size, tr)
		if err != nil {
			return err
		}
		switch name {
		case manifestName:
			u.manifest = data
		case headerName:
			u.sums[name] = sum(data)
			u.header = &Header{}
			if err := json.Unmarshal(data, u.header); err != nil {
				return badBundle("bad header: %v", err)
			}
		default:
			u.journal = data // its seal is cut off once the format is known
		}
	case strings.HasPrefix(name, metaPrefix):
		rel := strings.TrimPrefix(name, metaPrefix)
		if !metaAllowed(rel) || strings.Contains(rel, "..") {
			return badBundle("unexpected entry %q", h.Name)
		}
		data, err := u.readMeta(name, h.Size, tr)
		if err != nil {
			return err
		}
		u.sums[name] = sum(data)
		p := filepath.Join(u.dest, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("extracting bundle: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("extracting bundle: %w", err)
		}
	case strings.HasPrefix(name, layerPrefix) && strings.HasSuffix(name, ".tar"):
		return u.layer(name, h.Size, tr)
	default:
		return badBundle("unexpected entry %q", h.Name)
	}
	return nil
}

// readMeta reads a small entry, counted against the budget.
func (u *unpack) readMeta(name string, size int64, r io.Reader) ([]byte, error) {
	if err := u.budget.take(name, max(size, 0), 1); err != nil {
		return nil, err
	}
	data, err := readLimited(r, maxMetaFile)
	if err != nil {
		return nil, readError(name, err)
	}
	return data, nil
}

// layer reads a layer tar: to a temporary file, unpacked once every record is in;
// or, when the grader holds that layer itself, only hashed, and the grader's own
// files are linked instead once the copy proves to be that layer.
func (u *unpack) layer(name string, size int64, r io.Reader) error {
	cache := strings.TrimSuffix(strings.TrimPrefix(name, layerPrefix), ".tar")
	if !isHex64(cache) {
		return badBundle("unexpected entry %q", name)
	}
	if _, dup := u.sums[name]; dup {
		return badBundle("layer %s is in the bundle twice", cache)
	}
	var ownDir string
	var rec layerRecord
	if u.src != nil {
		if u.chains == nil { // the records come before the layers
			u.chains = layerRecords(u.dest)
		}
		if r, ok := u.chains[cache]; ok && r.consistent() {
			if dir, ok := u.src(r.chainID); ok {
				ownDir, rec = dir, r
			}
		}
	}
	written := max(size, 0)
	if ownDir != "" {
		written = 0
	}
	if err := u.budget.take(name, written, 1); err != nil {
		return err
	}
	d := sha256.New()
	var err error
	if ownDir == "" {
		tmp, cerr := os.CreateTemp(filepath.Join(u.dest, "tmp"), "layer-*.tar")
		if cerr != nil {
			return fmt.Errorf("extracting bundle: %w", cerr)
		}
		u.layerTars[cache] = tmp.Name()
		_, err = io.Copy(io.MultiWriter(tmp, d), io.LimitReader(r, written))
		tmp.Close()
	} else {
		_, err = io.Copy(d, r)
	}
	if err != nil {
		return badBundle("truncated or corrupt (layer %s: %v)", cache, err)
	}
	u.sums[name] = hex.EncodeToString(d.Sum(nil))
	if ownDir != "" {
		// Not the layer its record names (a copy edited and the manifest signed
		// again) is an edit too; graded anyway (--ignore-tamper), the grader's
		// own copy of the named layer stands in.
		if rec.diffID != "sha256:"+u.sums[name] {
			u.forged = append(u.forged, name)
		}
		u.layerTars[cache] = ""
		u.have[cache] = ownDir
	}
	return nil
}

// removeTars removes the layer tars not unpacked (extraction stopped early).
func (u *unpack) removeTars() {
	for _, p := range u.layerTars {
		if p != "" {
			os.Remove(p)
		}
	}
}

// writeJournal writes the journal to dest: in a sealed format without its seal,
// which must continue the chain and is kept to check the manifest against.
func (u *unpack) writeJournal() (problems []string, err error) {
	if u.journal == nil {
		if u.header.Format >= sealedFormat {
			problems = append(problems, "the bundle is not sealed: its journal is missing")
		}
		return problems, nil
	}
	data := u.journal
	if u.header.Format >= sealedFormat {
		body, digest, err := journal.CutSeal(data)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case u.manifest != nil && sum(u.manifest) != digest:
			problems = append(problems, manifestName+" was changed: the journal's seal names another")
		}
		if body != nil {
			data = body
		}
	}
	u.sums[metaPrefix+journal.FileName] = sum(data)
	if err := os.WriteFile(journal.Path(u.dest), data, 0o644); err != nil {
		return nil, fmt.Errorf("extracting bundle: %w", err)
	}
	return problems, nil
}

// checkManifest lists what does not match the manifest.
func (u *unpack) checkManifest() []string {
	var problems []string
	for _, name := range u.forged {
		problems = append(problems, name+" is not the layer its records name")
	}
	if u.manifest == nil {
		return append(problems, "the manifest is missing")
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(u.manifest)), "\n") {
		want, name, ok := strings.Cut(line, "  ")
		if !ok {
			problems = append(problems, "malformed manifest line")
			continue
		}
		listed[name] = true
		got, present := u.sums[name]
		switch {
		case !present:
			problems = append(problems, name+" is missing")
		case got != want:
			problems = append(problems, name+" was changed")
		}
	}
	for name := range u.sums {
		if !listed[name] {
			problems = append(problems, name+" was added")
		}
	}
	return problems
}

// placeLayers unpacks the copied layers and links the ones the grader holds.
func (u *unpack) placeLayers() error {
	used, err := usedLayers(u.dest)
	if err != nil {
		return fmt.Errorf("extracting bundle: %w", err)
	}
	for cache := range u.layerTars {
		if !used[cache] {
			return badBundle("unexpected entry %q: no image or container uses it", layerPrefix+cache+".tar")
		}
	}
	mounts, err := containerLayers(u.dest)
	if err != nil {
		return fmt.Errorf("extracting bundle: %w", err)
	}
	u.header.ContainerLayers = map[string]string{}
	for cache, tarPath := range u.layerTars {
		diff := filepath.Join(u.dest, "overlay2", cache, "diff")
		if dir, ok := u.have[cache]; ok {
			if err := link(dir, diff); err != nil {
				return err
			}
			continue
		}
		files, err := u.unpackLayer(cache, tarPath, diff)
		if err != nil {
			return err
		}
		if files && mounts[cache] {
			u.header.ContainerLayers[cache] = u.sums[layerPrefix+cache+".tar"]
		}
	}
	return u.linkExternal()
}

// unpackLayer applies a layer tar, counting what it will write first; files says
// whether it holds work of the learner's (see layerCount).
func (u *unpack) unpackLayer(cache, tarPath, diff string) (files bool, err error) {
	lf, err := os.Open(tarPath)
	if err != nil {
		return false, fmt.Errorf("extracting bundle: %w", err)
	}
	defer lf.Close()
	c, err := scanLayer(lf)
	if err != nil {
		return false, badBundle("layer %s: %v", cache, err)
	}
	if err := u.budget.take(layerPrefix+cache+".tar", c.bytes, c.entries); err != nil {
		return false, err
	}
	if _, err := lf.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("extracting bundle: %w", err)
	}
	if err := os.MkdirAll(diff, 0o755); err != nil {
		return false, fmt.Errorf("extracting bundle: %w", err)
	}
	_, err = archive.Apply(diff, lf, archive.ApplyOptions{Rootless: os.Geteuid() != 0})
	if err != nil {
		return false, badBundle("layer %s: %v", cache, err)
	}
	if st, err := lf.Stat(); err == nil {
		u.budget.give(st.Size())
	}
	os.Remove(tarPath)
	delete(u.layerTars, cache)
	return c.files, nil
}

// link makes diff a link to the grader's own copy of a layer.
func link(dir, diff string) error {
	if err := os.MkdirAll(filepath.Dir(diff), 0o755); err != nil {
		return fmt.Errorf("extracting bundle: %w", err)
	}
	if err := os.Symlink(dir, diff); err != nil {
		return fmt.Errorf("extracting bundle: %w", err)
	}
	return nil
}

// linkExternal links the layers the bundle references, or lists them as Missing.
func (u *unpack) linkExternal() error {
	for chain, cache := range u.header.External {
		if !isHex64(cache) || !isChainID(chain) {
			return badBundle("bad layer reference %q", cache)
		}
		if _, copied := u.layerTars[cache]; copied {
			return badBundle("layer %s is both copied and referenced", cache)
		}
		if _, copied := u.sums[layerPrefix+cache+".tar"]; copied {
			return badBundle("layer %s is both copied and referenced", cache)
		}
		dir, ok := "", false
		if u.src != nil {
			dir, ok = u.src(chain)
		}
		if !ok {
			u.header.Missing = append(u.header.Missing, chain)
			continue
		}
		// A link, not a copy: base layers are shared by every bundle of a batch.
		if err := link(dir, filepath.Join(u.dest, "overlay2", cache, "diff")); err != nil {
			return err
		}
	}
	return nil
}

// layerCount is what applying a layer tar writes.
type layerCount struct {
	bytes   int64
	entries int
	// files: it holds a file with content or a symlink, not only the folders and
	// empty files the runtime makes in every container (mount points, /etc/hosts).
	files bool
}

// scanLayer reads a layer tar's headers (its content is skipped, not read): what
// it will write, and whether it is one a bundle can hold at all. Write makes plain
// tars, so a compressed one (which would inflate past what the budget counted) is
// refused, as are sparse entries and paths deeper than maxDepth.
func scanLayer(f io.ReadSeeker) (layerCount, error) {
	var c layerCount
	magic := make([]byte, 4)
	if n, _ := io.ReadFull(f, magic); n >= 2 && (bytes.HasPrefix(magic, []byte{0x1f, 0x8b}) || bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd})) {
		return c, errors.New("compressed: a bundle's layers are plain tars")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return c, err
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.entries++
		if strings.Count(strings.Trim(path.Clean(h.Name), "/"), "/") >= maxDepth {
			return c, fmt.Errorf("%q is more than %d folders deep", h.Name, maxDepth)
		}
		switch h.Typeflag {
		case tar.TypeReg:
			c.files = c.files || h.Size > 0
		case tar.TypeSymlink:
			c.files = true
		case tar.TypeGNUSparse:
			return c, fmt.Errorf("%q is a sparse file", h.Name)
		}
		if h.Typeflag == tar.TypeReg {
			c.bytes += max(h.Size, 0)
		}
	}
}

// maxLearner is how much of a learner's name a report shows.
const maxLearner = 100

// printable keeps the printable characters of s, at most n of them: a name from a
// bundle is the learner's to choose, and goes into reports and terminals.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n--
		}
	}
	return b.String()
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
	used, err := namedLayers(dest, "sha256", "cache-id")
	if err != nil {
		return nil, err
	}
	mounts, err := containerLayers(dest)
	for cache := range mounts {
		used[cache] = true
	}
	return used, err
}

// containerLayers are the cache IDs of the containers' layers (their mount-id).
func containerLayers(dest string) (map[string]bool, error) {
	return namedLayers(dest, "mounts", "mount-id")
}

// namedLayers reads the cache IDs in layerdb/KIND/*/FILE.
func namedLayers(dest, kind, file string) (map[string]bool, error) {
	out := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(dest, "image", "overlay2", "layerdb", kind, "*", file))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSpace(string(b))] = true
	}
	return out, nil
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

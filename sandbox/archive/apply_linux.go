package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Apply extracts the uncompressed layer tar read from r into dir (which exists and is the
// layer's own diff directory) and returns the number of bytes of file content written.
// Whiteouts become overlay whiteouts: ".wh.NAME" -> a 0/0 character device NAME (mknod
// works unprivileged for 0/0 since Linux 5.8); ".wh..wh..opq" in DIR -> DIR gets the opaque
// xattr "y" (trusted.overlay.opaque when root; user.overlay.opaque when Rootless; when root
// set both). Other ".wh..wh.*" entries (aufs metadata like .wh..wh.plnk) are skipped.
// A gzip-compressed stream is accepted too. On error dir is left half-written.
func Apply(dir string, r io.Reader, opts ApplyOptions) (int64, error) {
	st, err := apply(dir, r, opts, false)
	return st.bytes, err
}

// ApplyFlat applies a layer on top of a directory that already holds the lower layers'
// merged content (used by the copying fallback when overlay mounts are refused, and by
// "export"): ".wh.NAME" removes NAME, an opaque marker empties the directory's existing
// content first. Same safety rules as Apply.
func ApplyFlat(dir string, r io.Reader, opts ApplyOptions) (int64, error) {
	st, err := apply(dir, r, opts, true)
	return st.bytes, err
}

type applyStats struct {
	bytes   int64 // file content written
	devices int   // device nodes skipped
	skipped int   // entries of types we do not extract
}

type extractor struct {
	t     *tree
	opts  ApplyOptions
	flat  bool
	stats applyStats
	// Directory metadata is applied last: writing children would bump the mtimes, and a
	// read-only mode would stop a rootless extraction from filling the directory.
	dirs []dirMeta
	// flat only: paths this layer has put in place, so that an opaque marker (which may
	// come after some of them) removes lower content only.
	written map[string]bool
}

type dirMeta struct {
	entry, rel string
	hdr        *tar.Header
}

func apply(dir string, r io.Reader, opts ApplyOptions, flat bool) (applyStats, error) {
	src, err := decompress(r)
	if err != nil {
		return applyStats{}, err
	}
	t, err := openTree(dir)
	if err != nil {
		return applyStats{}, err
	}
	defer t.close()
	x := &extractor{t: t, opts: opts, flat: flat}
	if flat {
		x.written = make(map[string]bool)
		t.created = x.mark
	}
	tr := tar.NewReader(src)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		// ErrInsecurePath (GODEBUG tarinsecurepath=0) still hands back the header; our
		// own checks below refuse such names with a better error.
		if err != nil && (hdr == nil || !errors.Is(err, tar.ErrInsecurePath)) {
			return x.stats, fmt.Errorf("reading layer tar: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return x.stats, err
		}
	}
	return x.stats, x.finishDirs()
}

// decompress sniffs the stream: Docker accepts gzip layers as well as plain tar.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening gzip layer: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, errors.New("reading layer: layer is zstd-compressed; decompress first")
	}
	return br, nil
}

func (x *extractor) entry(hdr *tar.Header, tr io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // archive-wide comments (git archive), not a file
	}
	rel, err := cleanEntryPath(hdr.Name, hdr.Name, "name")
	if err != nil {
		return err
	}
	kind, target := kindNormal, rel
	if !x.opts.Plain {
		if kind, target, err = classify(hdr.Name, rel); err != nil {
			return err
		}
	}
	switch kind {
	case kindSkip:
		return nil
	case kindOpaque:
		return x.opaque(hdr.Name, target)
	case kindWhiteout:
		return x.whiteout(hdr, target)
	}
	if isSparse(hdr) {
		// The logical size of a sparse entry is not bounded by the archive's bytes: a
		// few hundred bytes could make us write terabytes of zeros. Layers never need it.
		return unsafeEntry(hdr.Name, "sparse files are not supported")
	}
	if hdr.Uid < 0 || hdr.Gid < 0 || int64(hdr.Uid) >= math.MaxUint32 || int64(hdr.Gid) >= math.MaxUint32 {
		return fmt.Errorf("extracting %q: owner %d:%d out of range", hdr.Name, hdr.Uid, hdr.Gid)
	}
	if rel == "." {
		if hdr.Typeflag != tar.TypeDir {
			return unsafeEntry(hdr.Name, "entry would replace the layer root")
		}
		x.dirs = append(x.dirs, dirMeta{hdr.Name, rel, hdr})
		return nil
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.mkdir(hdr, rel)
	case tar.TypeReg, tar.TypeCont:
		return x.file(hdr, rel, tr)
	case tar.TypeSymlink:
		return x.symlink(hdr, rel)
	case tar.TypeLink:
		return x.hardlink(hdr, rel)
	case tar.TypeFifo:
		return x.fifo(hdr, rel)
	case tar.TypeChar, tar.TypeBlock:
		if hdr.Typeflag == tar.TypeChar && hdr.Devmajor == 0 && hdr.Devminor == 0 && !x.opts.Plain {
			// Already in overlay form (some tools ship it like that).
			return x.whiteout(hdr, rel)
		}
		// The runtime gives containers their own /dev; a device node in a layer is at
		// best useless and at worst a door to host hardware.
		x.stats.devices++
		return nil
	default:
		x.stats.skipped++
		return nil
	}
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// mark records rel and its parents as written by this layer (flat mode). Marking stops
// at the first marked ancestor: marks are only ever added whole-chain.
func (x *extractor) mark(rel string) {
	if x.written == nil {
		return
	}
	for p := rel; p != "." && p != "/" && !x.written[p]; p = path.Dir(p) {
		x.written[p] = true
	}
}

// replace resolves the parent of rel (creating implied directories) and clears whatever
// already sits at rel: a later entry replaces an earlier one, and in flat mode a layer
// replaces the lower layers' entry.
func (x *extractor) replace(entry, rel string) (int, string, error) {
	dirfd, err := x.t.parent(entry, path.Dir(rel), true)
	if err != nil {
		return -1, "", err
	}
	base := path.Base(rel)
	if err := x.t.removeAt(dirfd, base); err != nil {
		return -1, "", fmt.Errorf("extracting %q: removing existing entry: %w", entry, err)
	}
	x.mark(rel)
	return dirfd, base, nil
}

func (x *extractor) mkdir(hdr *tar.Header, rel string) error {
	dirfd, err := x.t.parent(hdr.Name, path.Dir(rel), true)
	if err != nil {
		return err
	}
	base := path.Base(rel)
	st, ok, err := lstatAt(dirfd, base)
	if err != nil {
		return fmt.Errorf("extracting %q: %w", hdr.Name, err)
	}
	if !ok || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if ok {
			if err := x.t.removeAt(dirfd, base); err != nil {
				return fmt.Errorf("extracting %q: removing existing entry: %w", hdr.Name, err)
			}
		}
		// Owner-only until finishDirs sets the real mode.
		if err := unix.Mkdirat(dirfd, base, 0o700); err != nil {
			return fmt.Errorf("extracting %q: creating directory: %w", hdr.Name, err)
		}
	}
	x.mark(rel)
	x.dirs = append(x.dirs, dirMeta{hdr.Name, rel, hdr})
	return nil
}

func (x *extractor) file(hdr *tar.Header, rel string, content io.Reader) error {
	dirfd, base, err := x.replace(hdr.Name, rel)
	if err != nil {
		return err
	}
	fd, err := unix.Openat(dirfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("extracting %q: creating file: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), rel)
	n, err := io.Copy(f, content)
	x.stats.bytes += n
	if err == nil {
		err = x.fileMeta(hdr, fd)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("extracting %q: %w", hdr.Name, err)
	}
	return setTimesAt(hdr, dirfd, base)
}

// fileMeta: chown first (it clears setuid and file capabilities), then xattrs (a
// read-only mode would refuse user.* xattrs), then the mode.
func (x *extractor) fileMeta(hdr *tar.Header, fd int) error {
	if !x.opts.Rootless {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("setting owner: %w", err)
		}
	}
	if err := setXattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) }); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, modeOf(hdr)); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	return nil
}

func (x *extractor) symlink(hdr *tar.Header, rel string) error {
	if len(hdr.Linkname) > maxNameLen {
		return unsafeEntry(hdr.Name, "symlink target longer than 4096 bytes")
	}
	dirfd, base, err := x.replace(hdr.Name, rel)
	if err != nil {
		return err
	}
	// The target is stored verbatim: it is interpreted inside the container at run time,
	// and nothing here ever follows it.
	if err := unix.Symlinkat(hdr.Linkname, dirfd, base); err != nil {
		return fmt.Errorf("extracting %q: creating symlink: %w", hdr.Name, err)
	}
	if err := x.nodeMeta(hdr, dirfd, base, false); err != nil {
		return err
	}
	return setTimesAt(hdr, dirfd, base)
}

func (x *extractor) fifo(hdr *tar.Header, rel string) error {
	dirfd, base, err := x.replace(hdr.Name, rel)
	if err != nil {
		return err
	}
	if err := unix.Mknodat(dirfd, base, unix.S_IFIFO|0o600, 0); err != nil {
		return fmt.Errorf("extracting %q: creating fifo: %w", hdr.Name, err)
	}
	if err := x.nodeMeta(hdr, dirfd, base, true); err != nil {
		return err
	}
	return setTimesAt(hdr, dirfd, base)
}

// nodeMeta sets owner, xattrs and (for FIFOs) mode on something that cannot be opened
// for writing, by name inside its freshly resolved parent.
func (x *extractor) nodeMeta(hdr *tar.Header, dirfd int, base string, chmod bool) error {
	if !x.opts.Rootless {
		if err := unix.Fchownat(dirfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("extracting %q: setting owner: %w", hdr.Name, err)
		}
	}
	p := procPath(dirfd, base)
	if err := setXattrs(hdr, func(k string, v []byte) error { return unix.Lsetxattr(p, k, v, 0) }); err != nil {
		return fmt.Errorf("extracting %q: %w", hdr.Name, err)
	}
	if chmod {
		err := unix.Fchmodat(dirfd, base, modeOf(hdr), unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.EOPNOTSUPP) {
			// No fchmodat2 (Linux < 6.6); we created this node a moment ago.
			err = unix.Fchmodat(dirfd, base, modeOf(hdr), 0)
		}
		if err != nil {
			return fmt.Errorf("extracting %q: setting mode: %w", hdr.Name, err)
		}
	}
	return nil
}

func (x *extractor) hardlink(hdr *tar.Header, rel string) error {
	target, err := cleanEntryPath(hdr.Name, hdr.Linkname, "hardlink target")
	if err != nil {
		return err
	}
	if target == "." {
		return unsafeEntry(hdr.Name, "hardlink target is the layer root")
	}
	if target == rel {
		return nil // a link to itself: nothing to do
	}
	// The target's parent is walked like any entry path, so a symlink on the way is
	// refused; the final component is linked itself (linkat without AT_SYMLINK_FOLLOW),
	// so even a symlink target only ever yields a second name for the symlink.
	tdir, err := x.t.openDir(hdr.Name, path.Dir(target), false)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, errNotDir) {
		return fmt.Errorf("extracting %q: hardlink target %q does not exist", hdr.Name, hdr.Linkname)
	}
	if err != nil {
		return err
	}
	defer unix.Close(tdir)
	tbase := path.Base(target)
	st, ok, err := lstatAt(tdir, tbase)
	switch {
	case err != nil:
		return fmt.Errorf("extracting %q: looking up hardlink target: %w", hdr.Name, err)
	case !ok:
		return fmt.Errorf("extracting %q: hardlink target %q does not exist", hdr.Name, hdr.Linkname)
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return fmt.Errorf("extracting %q: hardlink target %q is a directory", hdr.Name, hdr.Linkname)
	}
	dirfd, base, err := x.replace(hdr.Name, rel)
	if err != nil {
		return err
	}
	if err := unix.Linkat(tdir, tbase, dirfd, base, 0); err != nil {
		return fmt.Errorf("extracting %q: linking to %q: %w", hdr.Name, hdr.Linkname, err)
	}
	return nil
}

// whiteout deletes rel: in overlay form by leaving a 0/0 character device in its place
// (with the entry's times, so that writing the layer back gives the same bytes), in
// flat form by removing it.
func (x *extractor) whiteout(hdr *tar.Header, rel string) error {
	entry := hdr.Name
	if x.flat {
		dirfd, err := x.t.parent(entry, path.Dir(rel), false)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, errNotDir) {
			return nil // nothing below a missing directory to delete
		}
		if err != nil {
			return err
		}
		if err := x.t.removeAt(dirfd, path.Base(rel)); err != nil {
			return fmt.Errorf("applying whiteout %q: %w", entry, err)
		}
		return nil
	}
	dirfd, base, err := x.replace(entry, rel)
	if err != nil {
		return err
	}
	if err := unix.Mknodat(dirfd, base, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("applying whiteout %q: creating whiteout device: %w", entry, err)
	}
	return setTimesAt(hdr, dirfd, base)
}

// opaque hides everything the lower layers have below rel.
func (x *extractor) opaque(entry, rel string) error {
	fd, err := x.t.openDir(entry, rel, true)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if x.flat {
		x.t.dropCache() // the cached parent may be below rel
		x.mark(rel)
		if err := x.prune(fd, rel); err != nil {
			return fmt.Errorf("applying opaque marker %q: %w", entry, err)
		}
		return nil
	}
	set := func(name string) error {
		if err := unix.Fsetxattr(fd, name, []byte("y"), 0); err != nil {
			return fmt.Errorf("applying opaque marker %q: setting %s: %w", entry, name, err)
		}
		return nil
	}
	if x.opts.Rootless {
		return set(opaqueUser)
	}
	if err := set(opaqueTrusted); err != nil {
		return err
	}
	// Also for a later userxattr mount of the same layer; not every filesystem has user.*.
	if err := set(opaqueUser); err != nil && !ignorableXattrErr(err) {
		return err
	}
	return nil
}

// prune removes the content of directory fd (path rel) that this layer did not write.
func (x *extractor) prune(fd int, rel string) error {
	names, err := readDirNames(fd)
	if err != nil {
		return err
	}
	for _, n := range names {
		child := path.Join(rel, n)
		if !x.written[child] {
			if err := removeAll(fd, n); err != nil {
				return fmt.Errorf("removing %s: %w", child, err)
			}
			continue
		}
		cfd, err := openChildDir(fd, n)
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			continue // a file this layer wrote
		}
		if err != nil {
			return fmt.Errorf("opening %s: %w", child, err)
		}
		err = x.prune(cfd, child)
		unix.Close(cfd)
		if err != nil {
			return err
		}
	}
	return nil
}

// finishDirs applies directory metadata, deepest first so that a parent's restrictive
// mode cannot block reaching its children.
func (x *extractor) finishDirs() error {
	x.t.dropCache()
	sort.SliceStable(x.dirs, func(i, j int) bool {
		return depth(x.dirs[i].rel) > depth(x.dirs[j].rel)
	})
	for _, d := range x.dirs {
		fd, err := x.t.openDir(d.entry, d.rel, false)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, errNotDir) || errors.Is(err, ErrUnsafe) {
			continue // replaced or deleted by a later entry of the layer
		}
		if err != nil {
			return err
		}
		err = x.dirMetaFD(d.hdr, fd)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("extracting %q: %w", d.entry, err)
		}
	}
	return nil
}

func (x *extractor) dirMetaFD(hdr *tar.Header, fd int) error {
	if !x.opts.Rootless {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("setting owner: %w", err)
		}
	}
	if err := setXattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) }); err != nil {
		return err
	}
	// "." through the fd names the directory itself; done before chmod because looking
	// it up needs search permission.
	ts, err := timesOf(hdr)
	if err == nil {
		err = unix.UtimesNanoAt(fd, ".", ts, 0)
	}
	if err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	if err := unix.Fchmod(fd, modeOf(hdr)); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	return nil
}

func depth(rel string) int {
	if rel == "." {
		return 0
	}
	return strings.Count(rel, "/") + 1
}

// modeOf keeps permission, setuid, setgid and sticky bits (Docker keeps them too).
func modeOf(hdr *tar.Header) uint32 {
	return uint32(hdr.Mode & 0o7777)
}

func timesOf(hdr *tar.Header) ([]unix.Timespec, error) {
	a := hdr.AccessTime
	if a.IsZero() {
		a = hdr.ModTime
	}
	ats, err := unix.TimeToTimespec(a)
	if err != nil {
		return nil, err
	}
	mts, err := unix.TimeToTimespec(hdr.ModTime)
	if err != nil {
		return nil, err
	}
	return []unix.Timespec{ats, mts}, nil
}

func setTimesAt(hdr *tar.Header, dirfd int, base string) error {
	ts, err := timesOf(hdr)
	if err == nil {
		err = unix.UtimesNanoAt(dirfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return fmt.Errorf("extracting %q: setting times: %w", hdr.Name, err)
	}
	return nil
}

// setXattrs applies the SCHILY.xattr.* PAX records, in a stable order.
func setXattrs(hdr *tar.Header, set func(name string, value []byte) error) error {
	const prefix = "SCHILY.xattr."
	var names []string
	for k := range hdr.PAXRecords {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" && !isOverlayXattr(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		err := set(name, []byte(hdr.PAXRecords[prefix+name]))
		if err != nil && !ignorableXattrErr(err) {
			return fmt.Errorf("setting xattr %s: %w", name, err)
		}
	}
	return nil
}

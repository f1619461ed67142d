package build

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// copySpec is one COPY or ADD, its words expanded.
type copySpec struct {
	name     string // COPY or ADD
	srcs     []string
	inline   []instructions.SourceContent // heredocs
	dest     string                       // as written: absolute, or relative to workdir
	workdir  string
	uid, gid int
	chmod    *uint32 // --chmod
	unpack   bool    // ADD: local archives are extracted
}

// copyItem is one source and where it lands in the image.
type copyItem struct {
	src     *entry
	target  string // clean, relative to the image's root, links resolved
	archive bool   // ADD of a local archive: its content lands in target
}

// copier writes a COPY or ADD as a layer tar: the files of the context, and the
// directories above them as the image has them (a layer lists a changed path's
// parents, as Docker's layers do). It reads the image's files (view) but writes
// none: the layer store extracts the tar, so nothing here can write outside it.
type copier struct {
	ctx   tree // the build context, or an image for COPY --from
	view  imageView
	spec  copySpec
	items []copyItem
	now   time.Time
	fetch func(url string) (*entry, error) // ADD's URLs; nil for COPY
}

// imageView is the image's files, read-only (sandbox.ImageFS).
type imageView interface {
	fs.StatFS
	Lstat(name string) (fs.FileInfo, error)
	Resolve(name string) (string, error)
}

// plan finds the sources and their destinations, as Docker's builder does: a
// directory's content goes into the destination; a file goes into it when it
// ends with "/" or is a directory in the image, else is written as it.
func (c *copier) plan() error {
	var srcs []*entry
	for _, in := range c.spec.inline {
		data := in.Data
		srcs = append(srcs, &entry{rel: in.Path, mode: syscall.S_IFREG | 0o644, mtime: c.now, inline: &data})
	}
	for _, s := range c.spec.srcs {
		found, err := c.sources(s)
		if err != nil {
			return err
		}
		srcs = append(srcs, found...)
	}
	dest := c.spec.dest
	if !path.IsAbs(dest) {
		dest = path.Join("/", c.spec.workdir, dest)
		if strings.HasSuffix(c.spec.dest, "/") || c.spec.dest == "." {
			dest += "/"
		}
	}
	intoDir := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.")
	if len(srcs) > 1 && !intoDir {
		//lint:ignore ST1005 Docker's own message, which learners search for
		return fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", c.spec.name)
	}
	target, err := c.resolveDest(dest)
	if err != nil {
		return err
	}
	if fi, err := c.view.Stat(target); err == nil && fi.IsDir() {
		intoDir = true
	}
	for _, s := range srcs {
		it := copyItem{src: s, target: target}
		switch {
		case s.isDir():
		case c.spec.unpack && s.inline == nil && s.fetched == "" && c.isArchive(s):
			it.archive = true
		case intoDir:
			name := path.Base(s.rel)
			if s.name != "" {
				name = s.name
			}
			it.target = path.Join(target, name)
		}
		c.items = append(c.items, it)
	}
	return nil
}

// sources finds what one source names: a glob matches the context's paths, as
// Docker matches them; a plain path may go through links beneath the context.
func (c *copier) sources(src string) ([]*entry, error) {
	switch {
	case strings.HasPrefix(src, "git@"):
		return nil, fmt.Errorf("%s %s: %w: a git repository", c.spec.name, src, ErrNotSupported)
	case isURL(src) && c.fetch == nil:
		return nil, fmt.Errorf("%s failed: source can't be a URL for COPY", c.spec.name)
	case isURL(src):
		e, err := c.fetch(src)
		if err != nil {
			return nil, err
		}
		return []*entry{e}, nil
	}
	rel, err := contextPath(src)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(rel, "*?[") {
		var out []*entry
		err := c.ctx.walk(".", func(e *entry) error {
			if e.rel == "." {
				return nil
			}
			if ok, _ := filepath.Match(rel, e.rel); ok {
				out = append(out, e)
				return fs.SkipDir
			}
			return nil
		})
		if err == nil && len(out) == 0 {
			err = fmt.Errorf("%s failed: no source files were specified", c.spec.name)
		}
		return out, err
	}
	e, err := c.ctx.resolve(rel)
	if _, inContext := c.ctx.(*buildContext); !inContext && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s failed: stat %s: file does not exist", c.spec.name, src)
	}
	if errors.Is(err, fs.ErrNotExist) || (err == nil && c.ctx.ignored(e.rel)) {
		return nil, fmt.Errorf("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", c.spec.name, src)
	}
	if err != nil {
		return nil, err
	}
	e.name = path.Base(rel)
	return []*entry{e}, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "git@")
}

// resolveDest is dest with the image's links followed inside the image, as far
// as the image has it; the rest is kept as written.
func (c *copier) resolveDest(dest string) (string, error) {
	cur := "."
	parts := strings.Split(strings.Trim(path.Clean(dest), "/"), "/")
	for i, p := range parts {
		if p == "" {
			continue
		}
		next, err := c.view.Resolve(path.Join(cur, p))
		if errors.Is(err, fs.ErrNotExist) {
			return path.Join(append([]string{cur}, parts[i:]...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("%s: destination %s: %w", c.spec.name, dest, err)
		}
		cur = next
	}
	return cur, nil
}

// isArchive says whether a source is a tar archive (plain, gzip or bzip2),
// which ADD extracts; anything else is copied as it is.
func (c *copier) isArchive(e *entry) bool {
	if !e.isFile() {
		return false
	}
	f, err := c.ctx.open(e.rel)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return false
	}
	_, err = tar.NewReader(r).Next()
	return err == nil
}

func decompress(br *bufio.Reader) (io.Reader, error) {
	magic, _ := br.Peek(3)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return gzip.NewReader(br)
	case string(magic) == "BZh":
		return bzip2.NewReader(br), nil
	}
	return br, nil
}

// sourceHash is Docker's name of the copied content in the history entry
// ("file:<sha256>", "dir:<sha256>", "multi:<sha256>"): a digest of the files'
// names, modes and content, not of their times.
func (c *copier) sourceHash() (string, error) {
	var hashes []string
	for _, it := range c.items {
		h := sha256.New()
		tw := tar.NewWriter(h)
		w := &layerWriter{c: c, tw: tw, hashing: true}
		if err := w.item(copyItem{src: it.src, target: ".", archive: it.archive}); err != nil {
			return "", err
		}
		kind := "file:"
		if it.src.isDir() {
			kind = "dir:"
		}
		hashes = append(hashes, kind+hex.EncodeToString(h.Sum(nil)))
	}
	if len(hashes) == 1 {
		return hashes[0], nil
	}
	sum := sha256.Sum256([]byte(strings.Join(hashes, ",")))
	return "multi:" + hex.EncodeToString(sum[:]), nil
}

// write writes the layer tar.
func (c *copier) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	lw := &layerWriter{c: c, tw: tw, dirs: map[string]bool{}}
	for _, it := range c.items {
		if err := lw.item(it); err != nil {
			return err
		}
	}
	return tw.Close()
}

// layerWriter writes the entries of copy items.
type layerWriter struct {
	c       *copier
	tw      *tar.Writer
	dirs    map[string]bool // directories already written
	hashing bool            // for sourceHash: no parents, no owners, no times
}

func (w *layerWriter) item(it copyItem) error {
	if !w.hashing {
		if err := w.parents(path.Dir(it.target)); err != nil {
			return err
		}
	}
	switch {
	case it.archive:
		if err := w.parents(it.target); err != nil {
			return err
		}
		return w.extract(it.src, it.target)
	case it.src.isDir():
		if err := w.parents(it.target); err != nil {
			return err
		}
		return w.c.ctx.walk(it.src.rel, func(e *entry) error {
			if e.rel == it.src.rel {
				return nil
			}
			return w.entry(e, path.Join(it.target, strings.TrimPrefix(e.rel, it.src.rel+"/")))
		})
	}
	return w.entry(it.src, it.target)
}

// parents writes dir and the directories above it: as the image has them, or,
// missing, made 0755 with the --chown owner as Docker makes them.
func (w *layerWriter) parents(dir string) error {
	if w.hashing || dir == "." || dir == "/" || w.dirs[dir] {
		return nil
	}
	if err := w.parents(path.Dir(dir)); err != nil {
		return err
	}
	w.dirs[dir] = true
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, Uid: w.c.spec.uid, Gid: w.c.spec.gid, ModTime: w.c.now}
	if fi, err := w.c.view.Lstat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: cannot copy to /%s: it is not a directory in the image", w.c.spec.name, dir)
		}
		hdr.Mode, hdr.ModTime = int64(fi.Mode().Perm()|fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)), fi.ModTime()
		hdr.Mode = int64(unixMode(fi))
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		}
	}
	return w.tw.WriteHeader(hdr)
}

func unixMode(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Mode & 0o7777
	}
	return uint32(fi.Mode().Perm())
}

// entry writes one file, directory or link of the context as name.
func (w *layerWriter) entry(e *entry, name string) error {
	hdr := &tar.Header{
		Name: name, Mode: int64(e.mode & 0o7777), Uid: w.c.spec.uid, Gid: w.c.spec.gid, ModTime: e.mtime,
	}
	if w.hashing {
		hdr.Uid, hdr.Gid, hdr.ModTime = 0, 0, time.Time{}
	}
	if m := w.c.spec.chmod; m != nil {
		hdr.Mode = int64(*m)
	}
	switch {
	case e.isDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		if !w.hashing {
			if w.dirs[name] {
				return nil // two sources share a folder: a layer lists it once
			}
			w.dirs[name] = true
		}
		return w.tw.WriteHeader(hdr)
	case e.isLink():
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, e.link, 0o777
		return w.tw.WriteHeader(hdr)
	case !e.isFile():
		return nil // sockets, devices and pipes are not copied
	case e.inline != nil:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(*e.inline))
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.WriteString(w.tw, *e.inline)
		return err
	}
	f, err := w.c.open(e)
	if err != nil {
		return err
	}
	defer f.Close()
	// The size is the open file's, not the walk's: the file may have changed.
	size, err := fileSize(f)
	if err != nil {
		return err
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, size
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.CopyN(w.tw, f, size); err != nil {
		return fmt.Errorf("%s %s: %w", w.c.spec.name, e.rel, err)
	}
	return nil
}

// open opens a source file: the context's, or a download's.
func (c *copier) open(e *entry) (io.ReadCloser, error) {
	if e.fetched != "" {
		return os.Open(e.fetched)
	}
	return c.ctx.open(e.rel)
}

// extract writes a local archive's entries below target (ADD). Names are
// cleaned beneath target; whiteouts are refused, since in a layer they would
// delete the image's files.
func (w *layerWriter) extract(e *entry, target string) error {
	f, err := w.c.ctx.open(e.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ADD %s: %w", e.rel, err)
		}
		rel, err := archiveName(e.rel, hdr.Name)
		if err != nil {
			return err
		}
		if rel == "" {
			continue // the archive's root is target, written already
		}
		if strings.HasPrefix(path.Base(rel), ".wh.") {
			return fmt.Errorf("ADD %s: entry %q: a whiteout name is not allowed in an archive", e.rel, hdr.Name)
		}
		out := *hdr
		out.Name = path.Join(target, rel)
		if hdr.Typeflag == tar.TypeLink {
			link, err := archiveName(e.rel, hdr.Linkname)
			if err != nil {
				return err
			}
			out.Linkname = path.Join(target, link)
		}
		if w.hashing {
			out.ModTime, out.AccessTime, out.ChangeTime = time.Time{}, time.Time{}, time.Time{}
		}
		if hdr.Typeflag == tar.TypeDir {
			out.Name += "/"
		}
		if err := w.tw.WriteHeader(&out); err != nil {
			return err
		}
		if _, err := io.Copy(w.tw, tr); err != nil {
			return fmt.Errorf("ADD %s: %w", e.rel, err)
		}
	}
}

// fileSize is the size of an open file (its stat).
func fileSize(f io.Reader) (int64, error) {
	st, ok := f.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return 0, errors.New("cannot stat a source file")
	}
	fi, err := st.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file any more", fi.Name())
	}
	return fi.Size(), nil
}

// archiveName is an archive entry's name below the destination, as Docker's
// untar takes it: an absolute name is taken from the destination, one climbing
// out of it with ".." is refused.
func archiveName(archive, name string) (string, error) {
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("ADD %s: entry %q is outside of the destination", archive, name)
	}
	return strings.TrimPrefix(path.Clean("/"+clean), "/"), nil
}

// destShown is the destination as the classic builder's history line shows
// it: as written, its variables expanded ("COPY file:… in . " after WORKDIR).
func (c *copier) destShown() string { return c.spec.dest }

// dirLayer writes a layer that makes dir and the folders above it (WORKDIR).
func (c *copier) dirLayer(dir string) func(io.Writer) error {
	return func(w io.Writer) error {
		tw := tar.NewWriter(w)
		lw := &layerWriter{c: c, tw: tw, dirs: map[string]bool{}}
		if err := lw.parents(dir); err != nil {
			return err
		}
		return tw.Close()
	}
}

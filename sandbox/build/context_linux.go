package build

import (
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

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/sys/unix"
)

// buildContext is the context folder, read only beneath itself: every path is
// opened with openat2 relative to the folder, so neither a ".." nor a symbolic
// link (made before or during the build) reaches a file outside it.
type buildContext struct {
	root   *os.File
	ignore *patternmatcher.PatternMatcher // nil: nothing ignored
}

// tree is where COPY reads: the build context, or an image (COPY --from).
type tree interface {
	// resolve finds a source path, following links inside the tree.
	resolve(src string) (*entry, error)
	// walk calls fn for rel and everything below it, parents first; fn
	// returning fs.SkipDir skips a folder's content.
	walk(rel string, fn func(e *entry) error) error
	// open opens a regular file found by resolve or walk.
	open(rel string) (io.ReadCloser, error)
	// ignored says whether .dockerignore leaves rel out.
	ignored(rel string) bool
}

// entry is one file of a tree.
type entry struct {
	rel   string // clean, relative to the root ("." is the root)
	mode  uint32 // type and permission bits, as stat gives them
	mtime time.Time
	link  string // a symbolic link's target
	// inline is a heredoc's content (COPY <<EOF), not a file of the tree.
	inline *string
	// fetched is the file an ADD of a URL downloaded, not a file of the tree.
	fetched string
	// name, when set, is the name the source was given by, which a file keeps
	// in a destination folder even when a link led to it (COPY /bin/sh /x/).
	name string
}

func (e *entry) isDir() bool  { return e.mode&unix.S_IFMT == unix.S_IFDIR }
func (e *entry) isLink() bool { return e.mode&unix.S_IFMT == unix.S_IFLNK }
func (e *entry) isFile() bool { return e.mode&unix.S_IFMT == unix.S_IFREG }

func statEntry(rel string, st *unix.Stat_t) *entry {
	return &entry{rel: rel, mode: st.Mode, mtime: time.Unix(st.Mtim.Unix())}
}

// openContext opens dir as a build context, with its .dockerignore.
func openContext(dir string) (*buildContext, error) {
	root, err := os.OpenFile(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context: %w", err)
	}
	c := &buildContext{root: root}
	if err := c.readIgnore(); err != nil {
		root.Close()
		return nil, err
	}
	return c, nil
}

func (c *buildContext) Close() error { return c.root.Close() }

// readIgnore reads .dockerignore with Docker's pattern rules.
func (c *buildContext) readIgnore() error {
	f, err := c.openAt(".dockerignore", false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	if c.ignore, err = patternmatcher.New(patterns); err != nil {
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	return nil
}

// ignored says whether .dockerignore leaves rel out of the context.
func (c *buildContext) ignored(rel string) bool {
	if c.ignore == nil || rel == "." {
		return false
	}
	m, err := c.ignore.MatchesOrParentMatches(rel)
	return err == nil && m
}

// open opens a regular file of the context, never through a link.
func (c *buildContext) open(rel string) (io.ReadCloser, error) { return c.openAt(rel, false) }

// openAt opens rel beneath the root; follow lets symbolic links be followed, as
// long as they stay beneath it. A path leaving the context is ErrOutsideContext.
func (c *buildContext) openAt(rel string, follow bool) (*os.File, error) {
	how := unix.OpenHow{
		// O_NONBLOCK: a FIFO put in the context (or swapped in for a file) must
		// not hang the build; it does nothing to files and folders.
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	}
	if follow {
		how.Flags &^= unix.O_NOFOLLOW
	} else {
		how.Resolve |= unix.RESOLVE_NO_SYMLINKS
	}
	for {
		fd, err := unix.Openat2(int(c.root.Fd()), rel, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), rel), nil
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue // openat2 asks for a retry when a rename raced it
		case errors.Is(err, unix.EXDEV):
			return nil, fmt.Errorf("%w: %s", ErrOutsideContext, rel)
		case errors.Is(err, unix.ELOOP) && !follow:
			return nil, fmt.Errorf("%s: %w", rel, errIsLink)
		}
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
}

var errIsLink = errors.New("is a symbolic link")

// lstat reads rel's metadata without following it; its parents are never links
// (they came from a walk or were resolved already).
func (c *buildContext) lstat(rel string) (*entry, error) {
	dir, base := path.Split(rel)
	var st unix.Stat_t
	if rel == "." {
		if err := unix.Fstat(int(c.root.Fd()), &st); err != nil {
			return nil, err
		}
		return statEntry(rel, &st), nil
	}
	parent := "."
	if dir != "" {
		parent = strings.TrimSuffix(dir, "/")
	}
	d, err := c.openAt(parent, false)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := unix.Fstatat(int(d.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: rel, Err: err}
	}
	e := statEntry(rel, &st)
	if e.isLink() {
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(int(d.Fd()), base, buf)
		if err != nil {
			return nil, &fs.PathError{Op: "readlink", Path: rel, Err: err}
		}
		e.link = string(buf[:n])
	}
	return e, nil
}

// resolve finds a COPY source: src is cleaned inside the context (a ".." past
// its root is refused, as Docker refuses it) and symbolic links on the way are
// followed beneath the root; one leading outside is refused.
func (c *buildContext) resolve(src string) (*entry, error) {
	rel, err := contextPath(src)
	if err != nil {
		return nil, err
	}
	f, err := c.openAt(rel, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	real, err := realRel(c.root, f)
	if err != nil {
		return nil, err
	}
	// What a link led to: the walk below it needs a link-free path.
	return statEntry(real, &st), nil
}

// realRel is where the open file f lies beneath root, from /proc/self/fd.
func realRel(root, f *os.File) (string, error) {
	rp, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", root.Fd()))
	if err != nil {
		return "", err
	}
	fp, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(rp, fp)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%w: %s", ErrOutsideContext, f.Name())
	}
	return filepath.ToSlash(rel), nil
}

// contextPath cleans a source path relative to the context's root.
func contextPath(src string) (string, error) {
	rel := path.Clean("/" + filepath.ToSlash(src))
	if strings.HasPrefix(path.Clean(filepath.ToSlash(src)), "../") || path.Clean(filepath.ToSlash(src)) == ".." {
		return "", fmt.Errorf("%w: %s", ErrOutsideContext, src)
	}
	if rel == "/" {
		return ".", nil
	}
	return rel[1:], nil
}

// readDir lists a directory of the context (not ignored entries), sorted.
func (c *buildContext) readDir(rel string) ([]string, error) {
	d, err := c.openAt(rel, false)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: rel, Err: err}
	}
	sort.Strings(names)
	out := names[:0]
	for _, n := range names {
		if !c.ignored(path.Join(rel, n)) {
			out = append(out, n)
		}
	}
	return out, nil
}

// walk calls fn for rel and, for a directory, everything below it (not ignored),
// parents first. Only one file is open at a time, so a deep tree costs no
// descriptors.
func (c *buildContext) walk(rel string, fn func(e *entry) error) error {
	return walkTree(c.lstat, c.readDir, rel, fn)
}

// walkTree walks a tree given how to stat a path and list a folder: fn gets rel,
// then what is below it, parents first; fn returning fs.SkipDir skips a folder's
// content.
func walkTree(lstat func(string) (*entry, error), names func(string) ([]string, error), rel string, fn func(e *entry) error) error {
	e, err := lstat(rel)
	if err != nil {
		return err
	}
	if err := fn(e); err != nil {
		if errors.Is(err, fs.SkipDir) {
			return nil
		}
		return err
	}
	if !e.isDir() {
		return nil
	}
	children, err := names(rel)
	if err != nil {
		return err
	}
	for _, n := range children {
		if err := walkTree(lstat, names, path.Join(rel, n), fn); err != nil {
			return err
		}
	}
	return nil
}

package archive

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// tree is an open handle on the extraction root. Every path below it is reached with
// openat one component at a time and O_NOFOLLOW, so a symlink planted by the layer can
// never redirect a write outside the root, whatever it points at.
type tree struct {
	fd int

	// The last parent directory resolved. Tar entries come grouped by directory, so this
	// saves re-walking the same components for every file. It is dropped whenever
	// anything is removed, since the cached directory might be what went away.
	cacheRel string
	cacheFD  int

	// created is called with the relative path of every directory the walk creates.
	created func(rel string)
}

func openTree(dir string) (*tree, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return &tree{fd: fd, cacheFD: -1}, nil
}

func (t *tree) close() {
	t.dropCache()
	unix.Close(t.fd)
}

func (t *tree) dropCache() {
	if t.cacheFD >= 0 {
		unix.Close(t.cacheFD)
	}
	t.cacheFD = -1
	t.cacheRel = ""
}

// parent returns an fd for directory rel (owned by the tree: do not close it).
func (t *tree) parent(entry, rel string, create bool) (int, error) {
	if t.cacheFD >= 0 && t.cacheRel == rel {
		return t.cacheFD, nil
	}
	fd, err := t.openDir(entry, rel, create)
	if err != nil {
		return -1, err
	}
	t.dropCache()
	t.cacheRel, t.cacheFD = rel, fd
	return fd, nil
}

// openDir opens directory rel ("." is the root) without following any symlink. With
// create, missing components are made (0755, as Docker does for implied parents). The
// caller closes the returned fd.
func (t *tree) openDir(entry, rel string, create bool) (int, error) {
	cur, err := unix.Dup(t.fd)
	if err != nil {
		return -1, fmt.Errorf("duplicating root fd: %w", err)
	}
	if rel == "." {
		return cur, nil
	}
	done := ""
	for _, part := range strings.Split(rel, "/") {
		done = path.Join(done, part)
		next, err := t.openOrCreate(cur, part, done, create)
		unix.Close(cur)
		if err != nil {
			return -1, describeDirErr(entry, done, err)
		}
		cur = next
	}
	return cur, nil
}

// openOrCreate opens directory name in dirfd, making it first if allowed. On error no
// fd is left open; the error keeps the errno and, for a non-directory in the way, says
// whether it was a symlink.
func (t *tree) openOrCreate(dirfd int, name, rel string, create bool) (int, error) {
	fd, err := openChildDir(dirfd, name)
	if errors.Is(err, unix.ENOENT) && create {
		if err = unix.Mkdirat(dirfd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, err
		}
		if fd, err = openChildDir(dirfd, name); err != nil {
			return -1, err
		}
		// Explicit chmod: mkdir's mode is filtered by the process umask.
		if err := unix.Fchmod(fd, 0o755); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if t.created != nil {
			t.created(rel)
		}
		return fd, nil
	}
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				return -1, errSymlink
			}
			return -1, errNotDir
		}
	}
	if err != nil {
		return -1, err
	}
	return fd, nil
}

func openChildDir(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// describeDirErr: a symlink in the way is an attack (or a broken layer) and is reported
// as unsafe; anything else keeps its cause for errors.Is.
func describeDirErr(entry, done string, err error) error {
	if errors.Is(err, errSymlink) {
		return unsafeEntry(entry, "path through symlink "+strconv.Quote(done))
	}
	return fmt.Errorf("extracting %q: opening %s: %w", entry, done, err)
}

// errSymlink marks a path component that is a symlink.
var errSymlink = errors.New("symlink")

// errNotDir marks a path component that exists but is not a directory.
var errNotDir = errors.New("not a directory")

// lstatAt stats name in dirfd without following a final symlink; ok is false when it
// does not exist.
func lstatAt(dirfd int, name string) (unix.Stat_t, bool, error) {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	return st, err == nil, err
}

// removeAt deletes name in dirfd, recursively for directories, never following symlinks.
func (t *tree) removeAt(dirfd int, name string) error {
	// The cached parent may be name itself or below it.
	if t.cacheFD != dirfd {
		t.dropCache()
	}
	return removeAll(dirfd, name)
}

func removeAll(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return err
	}
	fd, oerr := openChildDir(dirfd, name)
	if oerr != nil {
		return err
	}
	if err := emptyDir(fd); err != nil {
		unix.Close(fd)
		return err
	}
	unix.Close(fd)
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// emptyDir removes the content of the directory open as fd.
func emptyDir(fd int) error {
	names, err := readDirNames(fd)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := removeAll(fd, n); err != nil {
			return fmt.Errorf("removing %s: %w", n, err)
		}
	}
	return nil
}

// readDirNames lists a directory fd (without consuming the fd itself).
func readDirNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "dir")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// procPath names an entry inside an open directory for the few calls that only take a
// path (xattrs on symlinks and FIFOs). The directory part goes through the fd's magic
// link, which cannot be redirected; the final component is used with l* calls.
func procPath(dirfd int, name string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + name
}

// ignorableXattrErr: Docker skips xattrs the filesystem or our privileges cannot store,
// and so do we, so that a layer built on one filesystem extracts on another.
func ignorableXattrErr(err error) bool {
	return errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EPERM)
}

// Package rawfile reads small regular files (the store's metadata) with as few system
// calls as it takes. Not for /proc or pipes, whose reads may come back short early.
package rawfile

import (
	"io/fs"
	"sync"

	"golang.org/x/sys/unix"
)

// scratchSize holds any metadata file in one read (image configs of a few KiB).
const scratchSize = 16 << 10

// scratch buffers are reused across reads: in a short-lived CLI the garbage collector
// never runs, so every fresh allocation is a page fault. Growing a buffer per file
// touched half of `ps -a`'s memory.
var scratch = sync.Pool{New: func() any { b := make([]byte, scratchSize); return &b }}

// ReadFile reads a small metadata file with three system calls and one allocation the
// size of the file. os.ReadFile also stats the file and offers it to the network poller
// (which refuses regular files), seven calls in all; listing 20 images reads over a
// hundred of these files. Errors are *fs.PathError, so errors.Is(err, fs.ErrNotExist)
// works as with os.ReadFile.
func ReadFile(name string) ([]byte, error) { return readFileAt(unix.AT_FDCWD, name) }

func readFileAt(dirfd int, name string) ([]byte, error) {
	var out []byte
	err := parseAt(dirfd, name, func(b []byte) error {
		out = append(out, b...) // one allocation, the file's size
		return nil
	})
	return out, err
}

// parseAt reads the file name, relative to dirfd, and hands its bytes to parse, which
// must not keep them: they are the scratch buffer's.
func parseAt(dirfd int, name string, parse func([]byte) error) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	buf := *bp
	var big []byte // only for files larger than the scratch buffer
	n := 0
	for {
		if n == len(buf) {
			big = append(big, buf...)
			n = 0
		}
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: name, Err: err}
		}
		n += m
		// A regular file's read comes back short only at its end: no second read to
		// hear so (a file of the store is replaced by rename, never changed in place).
		if m == 0 || n < len(buf) {
			if big != nil {
				return parse(append(big, buf[:n]...))
			}
			return parse(buf[:n])
		}
	}
}

// Dir is an open folder whose small files are read relative to it.
type Dir struct {
	fd   int
	name string
}

// OpenDir opens the folder at name for ReadFile.
func OpenDir(name string) (*Dir, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &Dir{fd: fd, name: name}, nil
}

// Names lists the folder's entries (not "." and ".."), unsorted: a listing reads them
// from the folder it then reads files in, rather than opening it a second time.
func (d *Dir) Names() ([]string, error) {
	if _, err := unix.Seek(d.fd, 0, 0); err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: err}
	}
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	var names []string
	for {
		n, err := unix.Getdents(d.fd, *bp)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent((*bp)[:n], -1, names)
	}
}

// Parse reads the file at name, relative to the folder, and hands its bytes to parse,
// which must not keep them (json.Unmarshal does not): the kernel walks a short path
// instead of the whole one (ps -a reads three files in each of 200 folders), and
// listing 200 containers touches no fresh memory for their files.
func (d *Dir) Parse(name string, parse func([]byte) error) error { return parseAt(d.fd, name, parse) }

// Name is the path the folder was opened with.
func (d *Dir) Name() string { return d.name }

// Close closes the folder.
func (d *Dir) Close() error { return unix.Close(d.fd) }

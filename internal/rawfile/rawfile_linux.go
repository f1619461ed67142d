// Package rawfile reads small files with as few system calls as it takes.
package rawfile

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// ReadFile reads a small metadata file with three system calls. os.ReadFile also
// stats the file and offers it to the network poller (which refuses regular files),
// seven calls in all; listing 20 images reads over a hundred of these files. Errors
// are *fs.PathError, so errors.Is(err, fs.ErrNotExist) works as with os.ReadFile.
func ReadFile(name string) ([]byte, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

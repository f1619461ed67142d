package runtime

import (
	"os"

	"golang.org/x/sys/unix"
)

// Attach sockets are unix stream sockets held as *os.File rather than package net's
// types: with net imported, this package would initialise among the last, after most
// of the CLI's packages, in every shim, init and exec helper (see early_linux.go). The
// descriptors are non-blocking, so reads, writes and accepts go through the Go
// runtime's poller, take deadlines, and end with os.ErrClosed when closed.

// listenUnix binds and listens on the socket path p.
func listenUnix(p string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: p}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Listen(fd, 64); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

// acceptUnix waits for the next connection on ln.
func acceptUnix(ln *os.File) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN && aerr != unix.EINTR
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, aerr
	}
	return os.NewFile(uintptr(nfd), "attach"), nil
}

// dialUnix connects to the socket path p.
func dialUnix(p string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// A blocking connect: a unix socket connects at once or fails.
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: p}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "attach"), nil
}

// closeRead shuts c down for reading: a read blocked on it returns io.EOF.
func closeRead(c *os.File) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_RD) }); err != nil {
		return err
	}
	return serr
}

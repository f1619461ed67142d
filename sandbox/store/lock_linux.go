package store

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The store's lock files. flock is per open file description, so goroutines of one
// process exclude each other too, and the kernel drops a lock when its holder dies.
const (
	writerLock = ".lock"     // exclusive: one writer at a time
	tmpLock    = ".tmp.lock" // shared: work in progress outside Write (see HoldTmp)
)

// lock takes the store's exclusive writer lock; the returned func releases it.
func (s *Store) lock() (func(), error) {
	release, _, err := s.flock(writerLock, unix.LOCK_EX)
	return release, err
}

// HoldTmp marks this process as working in the tmp folder (see CreateTemp) until
// the returned func is called or the process ends.
func (s *Store) HoldTmp() (func(), error) {
	release, _, err := s.flock(tmpLock, unix.LOCK_SH)
	return release, err
}

// lockTmp waits until no process works in the tmp folder (HoldTmp) and keeps others
// out. Taken before the writer lock, never after: HoldTmp's holders wait for it.
func (s *Store) lockTmp() (func(), error) {
	release, _, err := s.flock(tmpLock, unix.LOCK_EX)
	return release, err
}

// lockIdle takes both locks without waiting; ok is false when anyone holds either.
func (s *Store) lockIdle() (release func(), ok bool, err error) {
	w, ok, err := s.flock(writerLock, unix.LOCK_EX|unix.LOCK_NB)
	if !ok {
		return nil, false, err
	}
	t, ok, err := s.flock(tmpLock, unix.LOCK_EX|unix.LOCK_NB)
	if !ok {
		w()
		return nil, false, err
	}
	return func() { t(); w() }, true, nil
}

// flock takes how on the lock file name in the store's root. ok is false when
// LOCK_NB found it held (err is nil then).
func (s *Store) flock(name string, how int) (release func(), ok bool, err error) {
	f, err := os.OpenFile(filepath.Join(s.root, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("locking store: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == unix.EWOULDBLOCK:
		f.Close()
		return nil, false, nil
	case err != nil:
		f.Close()
		return nil, false, fmt.Errorf("locking store: %w", err)
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, true, nil
}

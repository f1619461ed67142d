package journal

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock on f. flock belongs to the open file description,
// so goroutines that each opened the journal exclude each other as processes do, and
// the kernel drops the lock when a holder dies.
func lockFile(f *os.File) (func(), error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN) }, nil
		}
		if err != unix.EINTR {
			return nil, err
		}
	}
}

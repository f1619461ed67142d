package session

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

// waitReadable blocks until f has input or ctx ends. Polling with a short timeout,
// rather than reading in a goroutine, keeps every keystroke for whoever reads the
// terminal next (a command, a survey question) and leaves the file's flags alone.
func waitReadable(ctx context.Context, f *os.File) error {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Poll(fds, 200)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n > 0 {
			// On an error the read that follows reports it.
			return nil
		}
	}
}

// readyNow reports whether f has input waiting, without blocking.
func readyNow(f *os.File) bool {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
}

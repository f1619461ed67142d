package cmd

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox/runtime"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// terminalStreams connects the user's terminal to a container: raw mode when the
// container has a tty and stdin is a terminal (from Streams.Attached on), window sizes
// forwarded on SIGWINCH.
// The returned func restores the terminal.
func terminalStreams(ios *iostreams.IOStreams, tty, stdin bool, detachKeys []byte) (runtime.Streams, func()) {
	s := runtime.Streams{Out: ios.Out, Err: ios.ErrOut, DetachKeys: detachKeys}
	if stdin {
		s.In = ios.In
	}
	var (
		mu  sync.Mutex
		raw *term.State // the terminal's state before raw mode, once set
	)
	inFd := iostreams.Fd(ios.In)
	if tty && stdin && inFd >= 0 && term.IsTerminal(inFd) {
		// Raw once the container side took the attach and the new window size, as Docker's
		// CLI does: what is typed after that meets a shell that has redrawn for it.
		s.Attached = func() {
			mu.Lock()
			defer mu.Unlock()
			if old, err := term.MakeRaw(inFd); err == nil {
				raw = old
			}
		}
	}
	restore := func() {
		mu.Lock()
		defer mu.Unlock()
		if raw != nil {
			_ = term.Restore(inFd, raw)
			raw = nil
		}
	}
	outFd := iostreams.Fd(ios.Out)
	if tty && outFd >= 0 && term.IsTerminal(outFd) {
		ch := make(chan runtime.WinSize, 1)
		send := func() {
			if ws, err := unix.IoctlGetWinsize(outFd, unix.TIOCGWINSZ); err == nil {
				select {
				case ch <- runtime.WinSize{Rows: ws.Row, Cols: ws.Col}:
				default:
				}
			}
		}
		send()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGWINCH)
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-sig:
					send()
				case <-done:
					return
				}
			}
		}()
		s.Resize = ch
		prev := restore
		restore = func() { signal.Stop(sig); close(done); prev() }
	}
	return s, restore
}

package tierkit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Terminal is a command running on a scripted terminal: what a learner sees when
// typing `docker run -it ubuntu bash` or `docker attach NAME` into a real shell.
// Lines are typed only when the container's shell shows a new prompt, so the
// transcript is the same on every run.
type Terminal struct {
	t    testing.TB
	e    *Engine
	args []string
	cmd  *exec.Cmd
	ptm  *os.File

	mu   sync.Mutex
	buf  []byte
	eof  chan struct{} // closed when the terminal reads end
	done chan struct{} // closed when the command has exited
	code int
	// obsFrom and obsTo are the Recorder's observations of this terminal (set by
	// EndTerminal), for CheckTerm.
	obsFrom, obsTo int
}

// Terminal starts args on a new pty (200x50, so lines do not wrap). Cleanup kills
// the command's process group if it is still running and closes the pty.
func (e *Engine) Terminal(t testing.TB, args ...string) *Terminal {
	t.Helper()
	ctx, cancel := guardContext(t)
	c := e.command(ctx, args)
	// pty.StartWithAttrs makes the command a session leader with the pty as its
	// controlling terminal; the process group is then its own.
	attrs := c.SysProcAttr
	attrs.Setpgid = false
	attrs.Setsid, attrs.Setctty = true, true
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	ptm, err := pty.StartWithAttrs(c, &pty.Winsize{Rows: 50, Cols: 200}, attrs)
	if err != nil {
		cancel()
		t.Fatalf("[%s] $ %s: cannot start on a pty: %v", e.Name, "docker "+ShellJoin(args), err)
	}
	term := &Terminal{t: t, e: e, args: args, cmd: c, ptm: ptm, eof: make(chan struct{}), done: make(chan struct{}), code: -1}
	go func() {
		defer close(term.eof)
		b := make([]byte, 32*1024)
		for {
			n, err := ptm.Read(b)
			term.mu.Lock()
			term.buf = append(term.buf, b[:n]...)
			term.mu.Unlock()
			if err != nil {
				return // EIO once no process holds the other side any more
			}
		}
	}()
	go func() {
		defer close(term.done)
		err := c.Wait()
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			term.code = 0
		case errors.As(err, &exitErr):
			term.code = exitErr.ExitCode()
		}
	}()
	t.Cleanup(func() {
		select {
		case <-term.done:
		default:
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-term.done
		}
		ptm.Close()
		cancel()
	})
	return term
}

// Cmd is the command as the learner typed it.
func (term *Terminal) Cmd() string { return "docker " + ShellJoin(term.args) }

// promptRE is bash's default root prompt, root@HOSTNAME:DIR# (or $ for a user).
var promptRE = regexp.MustCompile(`[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[^\n#$]*[#$] `)

// Screen is everything the terminal showed so far, as plain text (see CleanTerminal).
func (term *Terminal) Screen() string {
	term.mu.Lock()
	s := string(term.buf)
	term.mu.Unlock()
	return CleanTerminal(s)
}

func (term *Terminal) prompts() int { return len(promptRE.FindAllStringIndex(term.Screen(), -1)) }

// waitUntil polls cond until it holds; it fails the test when the command ends
// first or the test is about to run out of time (a hang guard, not a timing check).
func (term *Terminal) waitUntil(what string, cond func() bool) {
	term.t.Helper()
	ctx, cancel := guardContext(term.t)
	defer cancel()
	for !cond() {
		select {
		case <-term.done:
			<-term.eof
			if cond() {
				return
			}
			term.t.Fatalf("[%s] $ %s ended (exit %d) before %s; the terminal showed:\n%s", term.e.Name, term.Cmd(), term.code, what, term.Screen())
		case <-ctx.Done():
			term.t.Fatalf("[%s] $ %s: no %s after %v or before the test's deadline; the terminal shows:\n%s", term.e.Name, term.Cmd(), what, CommandGuard, term.Screen())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitRaw waits until the command has put its terminal in raw mode (echo off), as
// docker run -it and docker attach do before they pass keys on. Typed earlier, a
// line would be echoed by the terminal itself as well: a race no learner is fast
// enough to see.
func (term *Terminal) WaitRaw() {
	term.t.Helper()
	term.waitUntil("raw mode on its terminal", func() bool {
		raw := false
		rc, err := term.ptm.SyscallConn()
		if err != nil {
			return false
		}
		// On Linux the master answers with the terminal's (the slave's) settings.
		_ = rc.Control(func(fd uintptr) {
			tios, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
			raw = err == nil && tios.Lflag&unix.ECHO == 0
		})
		return raw
	})
}

// WaitPrompt waits until the terminal has shown n prompts in all.
func (term *Terminal) WaitPrompt(n int) {
	term.t.Helper()
	term.waitUntil(fmt.Sprintf("prompt number %d", n), func() bool { return term.prompts() >= n })
}

// SettlePrompt gives the shell up to d to show its nth prompt, and says whether it did;
// unlike WaitPrompt it goes on without one (for a redraw that an engine may not do,
// which the parity comparison then shows).
func (term *Terminal) SettlePrompt(n int, d time.Duration) bool {
	for deadline := time.Now().Add(d); term.prompts() < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// Type types line and Enter, then waits for the shell's next prompt.
func (term *Terminal) Type(line string) {
	term.t.Helper()
	n := term.prompts()
	term.send(line)
	term.WaitPrompt(n + 1)
}

// TypeLast types line (exit, say) and waits for the command to end; it returns the
// command's exit code.
func (term *Terminal) TypeLast(line string) int {
	term.t.Helper()
	term.send(line)
	return term.Wait()
}

// Wait waits for the command to end and for the terminal's last output; it returns
// the exit code.
func (term *Terminal) Wait() int {
	term.t.Helper()
	term.waitUntil("its end", func() bool {
		select {
		case <-term.done:
			return true
		default:
			return false
		}
	})
	// What the command wrote before it ended is already in the pty: the reader gets
	// it, then EIO once nobody holds the terminal. A process that kept the terminal
	// (a shim that inherited it, say) would be a bug; note it rather than hang.
	select {
	case <-term.eof:
	case <-time.After(3 * time.Second):
		term.t.Logf("[%s] $ %s ended but something still holds its terminal open", term.e.Name, term.Cmd())
	}
	return term.code
}

func (term *Terminal) send(line string) {
	term.t.Helper()
	if _, err := term.ptm.Write([]byte(line + "\r")); err != nil {
		term.t.Fatalf("[%s] $ %s: typing %q: %v", term.e.Name, term.Cmd(), line, err)
	}
}

// Exchange is one prompt of the shell in the terminal, the line typed at it and what
// that printed (up to the next prompt). The first exchange has no prompt: it is what
// came before the first one.
type Exchange struct {
	Prompt, Line, Output string
}

// Text is the exchange as the terminal showed it.
func (x Exchange) Text() string {
	if x.Prompt == "" && x.Line == "" {
		return x.Output
	}
	return x.Prompt + x.Line + "\n" + x.Output
}

// Exchanges splits the transcript at the prompts.
func (term *Terminal) Exchanges() []Exchange {
	s := term.Screen()
	ms := promptRE.FindAllStringIndex(s, -1)
	first := len(s)
	if len(ms) > 0 {
		first = ms[0][0]
	}
	out := []Exchange{{Output: s[:first]}}
	for i, m := range ms {
		end := len(s)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		line, rest, _ := strings.Cut(s[m[1]:end], "\n")
		out = append(out, Exchange{Prompt: s[m[0]:m[1]], Line: line, Output: rest})
	}
	return out
}

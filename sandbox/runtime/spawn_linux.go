package runtime

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// spawn is the part of os/exec the runtime needs, on syscall.ForkExec: stdio may be
// files, handed to the child as they are, or any reader and writers, through pipes
// that goroutines copy. Not os/exec itself: with it imported, this package would
// initialise among the last, after most of the CLI's packages, in every shim, init and
// exec helper (see early_linux.go).
type spawnAttr struct {
	Env    []string
	Stdin  io.Reader // nil: /dev/null
	Stdout io.Writer // nil: /dev/null; the same writer as Stderr: one pipe for both
	Stderr io.Writer
	Extra  []*os.File // descriptors 3, 4, ...
	Sys    *syscall.SysProcAttr
	// Exe, when set, is the program to run, as an open file (see protectedSelf); the
	// path argument is then ignored.
	Exe *os.File
	// Relay copies files given as stdio through pipes too, rather than handing them to
	// the child: it must hold none of the caller's descriptors.
	Relay bool
}

// child is a started process and the copying of its stdio. It is known by pid, not as
// an *os.Process: Go's os.StartProcess first checks pidfd support by forking a child
// of its own, once per process, a fifth of a millisecond of every run.
type child struct {
	pid    int
	stdin  *os.File   // our end of the stdin pipe
	outs   []*os.File // our ends of the output pipes
	copies sync.WaitGroup
}

func spawn(path string, args []string, a spawnAttr) (*child, error) {
	c := &child{}
	var theirs []*os.File // closed here once the child has its copies
	defer func() {
		for _, f := range theirs {
			f.Close()
		}
	}()
	files := make([]*os.File, 3, 3+len(a.Extra))
	fail := func(err error) (*child, error) {
		c.closePipes()
		return nil, err
	}

	// A nil *os.File is no stream, as with os/exec (to os.StartProcess, a closed descriptor).
	if f, ok := a.Stdin.(*os.File); ok && f == nil {
		a.Stdin = nil
	}
	if f, ok := a.Stdout.(*os.File); ok && f == nil {
		a.Stdout = nil
	}
	if f, ok := a.Stderr.(*os.File); ok && f == nil {
		a.Stderr = nil
	}
	in := a.Stdin
	inFile, isFile := in.(*os.File)
	switch {
	case in == nil:
		f, err := os.Open(os.DevNull)
		if err != nil {
			return fail(err)
		}
		files[0], theirs = f, append(theirs, f)
	case isFile && !a.Relay:
		files[0] = inFile
	default:
		r, w, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		files[0], theirs, c.stdin = r, append(theirs, r), w
		// Never waited for: a read of a terminal cannot be interrupted. Once the child
		// is gone, the closed pipe ends the copy at its next write.
		go func() {
			_, _ = io.Copy(w, in)
			w.Close()
		}()
	}
	for i, out := range []io.Writer{a.Stdout, a.Stderr} {
		if i == 1 && out != nil && out == a.Stdout {
			files[2] = files[1]
			continue
		}
		outFile, isFile := out.(*os.File)
		switch {
		case out == nil:
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return fail(err)
			}
			files[1+i], theirs = f, append(theirs, f)
		case isFile && !a.Relay:
			files[1+i] = outFile
		default:
			r, w, err := os.Pipe()
			if err != nil {
				return fail(err)
			}
			files[1+i], theirs, c.outs = w, append(theirs, w), append(c.outs, r)
			c.copies.Add(1)
			go func() {
				defer c.copies.Done()
				_, _ = io.Copy(out, r)
			}()
		}
	}
	files = append(files, a.Extra...)
	if a.Exe != nil {
		// The child moves its files to descriptors 0..len(files)-1 before the exec
		// resolves /proc/self/fd/N, parking any in the way (and its error pipe) first on
		// the descriptors just above both len(files) and the highest of them (see
		// syscall.forkAndExecInChild): N must lie above all of those.
		top := len(files)
		for _, f := range files {
			top = max(top, int(f.Fd()))
		}
		fd, err := unix.FcntlInt(a.Exe.Fd(), unix.F_DUPFD_CLOEXEC, top+len(files)+2)
		if err != nil {
			return fail(err)
		}
		defer unix.Close(fd)
		path = "/proc/self/fd/" + strconv.Itoa(fd)
	}
	env := a.Env
	if env == nil {
		env = os.Environ()
	}
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: env, Files: fds, Sys: a.Sys})
	runtime.KeepAlive(files)
	if err != nil {
		return fail(&os.PathError{Op: "fork/exec", Path: path, Err: err})
	}
	c.pid = pid
	return c, nil
}

// reap waits for the child pid to end.
func reap(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	_, err := syscall.Wait4(pid, &ws, 0, nil)
	for err == syscall.EINTR {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
	}
	return ws, err
}

// kill sends the child SIGKILL.
func (c *child) kill() error { return syscall.Kill(c.pid, syscall.SIGKILL) }

// wait waits for the process, then for its output to be copied: at most delay when
// delay > 0, as a process it left behind may hold the pipes open.
func (c *child) wait(delay time.Duration) (syscall.WaitStatus, error) {
	ws, err := reap(c.pid)
	done := make(chan struct{})
	go func() {
		c.copies.Wait()
		close(done)
	}()
	if delay > 0 {
		select {
		case <-done:
		case <-time.After(delay):
		}
	} else {
		<-done
	}
	c.closePipes()
	<-done
	return ws, err
}

func (c *child) closePipes() {
	if c.stdin != nil {
		c.stdin.Close()
	}
	for _, r := range c.outs {
		r.Close()
	}
}

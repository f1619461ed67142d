package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// A rootless container with a subordinate id range leaves files owned by ids the user
// cannot read as itself (apt-get's _apt-owned 0700 folders). Reading them takes a
// process that is root in a user namespace with the containers' mapping, as podman
// unshare does: RunMapped starts one, as role.MapWait, the first stage: it waits for
// its id maps, then re-execs as role.Mapped, with the capabilities of uid 0 (an exec
// before the maps were written dropped them). The runtime leaves that role, and its
// task (role.MappedTask), to its caller.

// ErrMappedHelper wraps what a mapped helper reported when it failed.
var ErrMappedHelper = errors.New("mapped helper failed")

// MappedError is a mapped helper's failure: its message (what it wrote to stderr).
type MappedError struct{ Msg string }

func (e *MappedError) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, ErrMappedHelper) match.
func (e *MappedError) Unwrap() error { return ErrMappedHelper }

// MappedReadNeeded says whether the files of this user's containers can be owned by
// ids other than the user's own: rootless with a subordinate range to map.
func MappedReadNeeded() bool { return os.Geteuid() != 0 && planIDMap() != nil }

// RunMapped runs this binary as a mapped helper doing task in a new user namespace
// with the containers' id mapping, args after its name, stdin and stdout given; it
// returns once the helper ended, with its stderr as the error when it failed. The helper keeps this process's
// name (os.Args[0]): a test binary that plays dockling by name plays the helper too.
func RunMapped(task string, args []string, stdin io.Reader, stdout io.Writer) error {
	plan := planIDMap()
	if plan == nil {
		return errors.New("reading as the containers' root: no subordinate id range to map")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	env := []string{role.MapWait.Environ(), role.MappedTask + "=" + task}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, role.Env+"=") && !strings.HasPrefix(kv, role.MappedTask+"=") {
			env = append(env, kv)
		}
	}
	if stdout == nil {
		stdout = io.Discard
	}
	var stderr bytes.Buffer
	out := &killOnFail{w: stdout}
	cmd, err := spawn("/proc/self/exe", append([]string{os.Args[0]}, args...), spawnAttr{
		Env: env, Stdin: stdin, Stdout: out, Stderr: &stderr, Extra: []*os.File{r},
		Sys: &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL},
	})
	r.Close()
	if err != nil {
		return fmt.Errorf("reading as the containers' root: %w%s", err, userNSHint(true, err))
	}
	out.pid.Store(int32(cmd.pid))
	if err := plan.apply(cmd.pid); err != nil {
		_ = cmd.kill()
		_, _ = cmd.wait(0)
		return fmt.Errorf("%w: %v", errIDMap, err)
	}
	if _, err := w.Write([]byte{1}); err != nil {
		_ = cmd.kill()
		_, _ = cmd.wait(0)
		return fmt.Errorf("reading as the containers' root: %w", err)
	}
	w.Close()
	ws, err := cmd.wait(0)
	if err != nil {
		return fmt.Errorf("reading as the containers' root: %w", err)
	}
	if err := out.failed(); err != nil {
		return err // the reader gave up: the helper was stopped
	}
	if code := statusCode(ws); code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = fmt.Sprintf("reading as the containers' root: %s exited with status %d", task, code)
		}
		return &MappedError{Msg: msg}
	}
	return nil
}

// killOnFail passes the helper's output on; once the reader fails (a commit that gave
// up), it stops the helper, which would otherwise block on a pipe no one reads.
type killOnFail struct {
	w   io.Writer
	pid atomic.Int32
	mu  sync.Mutex
	err error
}

func (k *killOnFail) Write(p []byte) (int, error) {
	n, err := k.w.Write(p)
	if err != nil {
		k.mu.Lock()
		if k.err == nil {
			k.err = err
			if pid := k.pid.Load(); pid > 0 {
				_ = syscall.Kill(int(pid), syscall.SIGKILL)
			}
		}
		k.mu.Unlock()
	}
	return n, err
}

func (k *killOnFail) failed() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// mapWaitMain waits on fd 3 for the parent to write the id maps, then re-execs as
// uid 0 of the namespace, a mapped helper (its environment keeps its task).
func mapWaitMain() {
	const sync = 3
	var b [1]byte
	n, err := unix.Read(sync, b[:])
	unix.Close(sync)
	if err != nil || n != 1 {
		os.Exit(1) // the parent could not map us, and says why
	}
	err = unix.Exec("/proc/self/exe", os.Args, append(os.Environ(), role.Mapped.Environ()))
	fmt.Fprintf(os.Stderr, "reading as the containers' root: re-exec after id mapping: %v\n", err)
	os.Exit(1)
}

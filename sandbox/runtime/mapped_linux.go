package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
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
	return runMappedHow(task, args, stdin, stdout, mappedHow{plan: plan})
}

// RunContained runs this binary as a helper doing task as the containers' root: root
// itself, or root in a new user namespace with the containers' mapping (a range, or
// the user's single id). root, when set, is a running container's root folder (see
// OpenRoot), given to the helper as descriptor 4; newMountNS gives it a mount
// namespace of its own, to mount a stopped container's file systems in (MountRoot).
func RunContained(task string, root *os.File, newMountNS bool, stdin io.Reader, stdout io.Writer) error {
	how := mappedHow{plan: planIDMap(), rootless: os.Geteuid() != 0}
	if root != nil {
		how.extra = []*os.File{root}
	}
	if newMountNS {
		how.flags = unix.CLONE_NEWNS
	}
	return runMappedHow(task, nil, stdin, stdout, how)
}

// mappedHow is how a mapped helper starts.
type mappedHow struct {
	plan     *idMapPlan // the range to map; nil: the user's single id (rootless) or none (root)
	rootless bool       // a new user namespace even without a plan
	flags    uintptr    // namespaces beyond the user namespace
	extra    []*os.File // descriptors 4, 5, ...
}

func runMappedHow(task string, args []string, stdin io.Reader, stdout io.Writer, how mappedHow) error {
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
	flags := how.flags
	if how.plan != nil || how.rootless {
		flags |= unix.CLONE_NEWUSER
	}
	cmd, err := spawn("/proc/self/exe", append([]string{os.Args[0]}, args...), spawnAttr{
		Env: env, Stdin: stdin, Stdout: out, Stderr: &stderr, Extra: append([]*os.File{r}, how.extra...),
		Sys: &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL},
	})
	r.Close()
	if err != nil {
		return fmt.Errorf("reading as the containers' root: %w%s", err, userNSHint(true, err))
	}
	out.pid.Store(int32(cmd.pid))
	mapErr := error(nil)
	switch {
	case how.plan != nil:
		mapErr = how.plan.apply(cmd.pid)
	case how.rootless:
		mapErr = writeSingleMap(cmd.pid)
	}
	if mapErr != nil {
		_ = cmd.kill()
		_, _ = cmd.wait(0)
		return fmt.Errorf("%w: %v", errIDMap, mapErr)
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

// writeSingleMap maps the user's own uid and gid to root in pid's user namespace,
// which an unprivileged process may do itself once setgroups is denied.
func writeSingleMap(pid int) error {
	uids, gids := idMaps()
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	for _, f := range []struct{ name, data string }{
		{"setgroups", "deny"},
		{"uid_map", fmt.Sprintf("0 %d 1", uids[0].HostID)},
		{"gid_map", fmt.Sprintf("0 %d 1", gids[0].HostID)},
	} {
		if err := os.WriteFile(dir+f.name, []byte(f.data), 0); err != nil {
			return err
		}
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

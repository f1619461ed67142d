package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// ErrExecNeedsCgo: this build has no C constructor to enter a container with (see
// package nsenter), and a process started without it would run on the host.
var ErrExecNeedsCgo = errors.New("this dockling was built without cgo; exec cannot enter a container safely; rebuild with CGO_ENABLED=1")

// execConfig is what Exec hands the exec helper on its sync socket.
type execConfig struct {
	Process  Process
	Hostname string
}

// Exec runs p as a new process in the running container's namespaces and root, with the
// container's default capabilities, and returns its exit code. As with Docker, the
// process never holds one of the caller's descriptors and runs in a session of its own:
// with p.Tty it gets a pty of the container's devpts (s.Resize applies to it), else
// pipes that Exec copies to and from s.In (when p.OpenStdin), s.Out and s.Err. A command
// that cannot be executed comes back as *ExecError.
func Exec(dir string, p Process, s Streams) (int, error) {
	if len(p.Args) == 0 {
		return -1, fmt.Errorf("exec: no command given")
	}
	if err := CheckUser(p.User); err != nil {
		// Docker's exit code for an exec its runtime refused to start.
		return -1, &ExecError{Code: 126, Msg: err.Error()}
	}
	st, err := status(dir)
	if err != nil {
		return -1, err
	}
	if st.Status != "running" || !alive(st.Pid, st.InitStart) {
		return -1, ErrNotRunning
	}
	if !nsenter.Works() {
		return -1, ErrExecNeedsCgo
	}
	if p.Security, err = execSecurity(dir, p.Security); err != nil {
		return -1, fmt.Errorf("exec: %w", err)
	}
	cmd, sock, err := startExecHelper(dir, st, p, s)
	if err != nil {
		return -1, err
	}
	defer unix.Close(sock)

	if err := sendConfig(sock, execConfig{Process: p, Hostname: readHostname(dir)}); err != nil {
		_ = cmd.kill()
		_, _ = cmd.wait(time.Second)
		// EPIPE: the helper is gone (its constructor failed), so reading cannot block,
		// and what it sent says why.
		if errors.Is(err, unix.EPIPE) {
			if _, herr := awaitExec(sock, nil); herr != nil {
				return -1, herr
			}
		}
		return -1, fmt.Errorf("exec: %w", err)
	}
	master, err := awaitExec(sock, s.Resize)
	if err != nil {
		_, _ = cmd.wait(time.Second)
		return -1, err
	}
	if s.Attached != nil {
		s.Attached()
	}
	outDone := make(chan struct{})
	if master != nil {
		defer master.Close()
		stop := relayPty(master, p, s, outDone)
		defer close(stop)
	} else {
		close(outDone)
	}
	// The wait must not hang on a caller's stdin that never ends, nor on output pipes a
	// process left behind holds open.
	ws, err := cmd.wait(time.Second)
	select {
	case <-outDone:
	case <-time.After(2 * time.Second):
	}
	if err != nil {
		return -1, nil
	}
	return statusCode(ws), nil
}

// startExecHelper starts the exec helper for the container of st: this binary, which
// nsenter's constructor puts in the container, with its end of a new sync socket as fd
// 3. Without a tty its stdio are pipes that the caller's streams are copied through.
func startExecHelper(dir string, st *diskState, p Process, s Streams) (*child, int, error) {
	self, err := protectedSelf()
	if err != nil {
		return nil, -1, fmt.Errorf("exec: %w", err)
	}
	defer self.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("exec: %w", err)
	}
	childSock := os.NewFile(uintptr(fds[1]), "sync")
	defer childSock.Close()
	filter, err := filterFile(p.Security)
	if err != nil {
		unix.Close(fds[0])
		return nil, -1, fmt.Errorf("exec: %w", err)
	}
	a := spawnAttr{
		Env: []string{role.Exec.Environ(),
			role.NsenterPID + "=" + strconv.Itoa(st.Pid),
			role.NsenterCaps + "=" + strconv.FormatUint(defaultCapMask(), 10)},
		Extra: []*os.File{childSock},
		Sys:   &syscall.SysProcAttr{},
		// From the protected binary: the helper is visible inside the container before it execs.
		Exe: self,
		// Never a descriptor of the caller's (its terminal, its files): the container could
		// reopen them, or type into the caller's shell (TIOCSTI).
		Relay: true,
	}
	if filter != nil {
		defer filter.Close()
		a.Extra = append(a.Extra, filter)
		a.Env = append(a.Env, role.NsenterFilter+"="+strconv.Itoa(2+len(a.Extra)))
	}
	if st.Cgroup != "" && checkCgroupPath(st.Cgroup, path.Base(dir)) == nil {
		a.Env = append(a.Env, role.NsenterCgroup+"="+st.Cgroup)
	}
	if !p.Tty { // with a tty, the helper makes the pty in the container and stdio is /dev/null
		if p.OpenStdin {
			a.Stdin = s.In
		}
		a.Stdout, a.Stderr = s.Out, s.Err
	}
	cmd, err := spawn("", []string{"dockling-exec"}, a)
	if err != nil {
		unix.Close(fds[0])
		return nil, -1, fmt.Errorf("exec: starting helper: %w", err)
	}
	return cmd, fds[0], nil
}

// awaitExec reads the helper's messages until its process started (the socket closes on
// its exec) or failed; with a tty, the helper sends the pty's master on the way, which
// gets the first size from resize before the process starts.
func awaitExec(sock int, resize <-chan WinSize) (master *os.File, err error) {
	for {
		m, fd, ok, err := recvMsg(sock)
		if errors.Is(err, unix.ECONNRESET) {
			// The helper's constructor failed before reading its config: the kernel
			// reports that once, ahead of the error the constructor sent.
			continue
		}
		if fd >= 0 {
			if master != nil {
				master.Close()
			}
			master = os.NewFile(uintptr(fd), "pty-master")
			if resize != nil {
				select {
				case ws, ok := <-resize:
					if ok {
						_ = setWinsize(master, ws)
					}
				default:
				}
			}
		}
		switch {
		case err != nil || (ok && m.Type == "error"):
			if master != nil {
				master.Close()
			}
			if err != nil {
				return nil, fmt.Errorf("exec: %w", err)
			}
			return nil, msgErr(m)
		case !ok:
			return master, nil
		}
	}
}

// relayPty copies between the caller's streams and the pty's master, and passes size
// changes on, until the returned channel is closed; outDone is closed once the output
// ended.
func relayPty(master *os.File, p Process, s Streams, outDone chan struct{}) chan struct{} {
	out := s.Out
	if out == nil {
		out = io.Discard
	}
	go func() { _, _ = io.Copy(out, master); close(outDone) }()
	if s.In != nil && p.OpenStdin {
		go func() { _, _ = io.Copy(master, s.In) }()
	}
	stop := make(chan struct{})
	if s.Resize != nil {
		go func() {
			for {
				select {
				case <-stop:
					return
				case ws, ok := <-s.Resize:
					if !ok {
						return
					}
					_ = setWinsize(master, ws)
				}
			}
		}()
	}
	return stop
}

func readHostname(dir string) string {
	b, _ := os.ReadFile(path.Join(dir, "hostname"))
	return strings.TrimSpace(string(b))
}

// execMain is the exec helper after nsenter's constructor put it in the container's
// namespaces (mount namespace included, so "/" is the container's root), with no more
// capabilities than the container's processes and non-dumpable, in a session keyring
// of its own and, without no_new_privs, under the container's seccomp filter.
func execMain() {
	const sock = 3
	for _, k := range []string{role.NsenterPID, role.NsenterCaps, role.NsenterCgroup, role.NsenterFilter} {
		os.Unsetenv(k)
	}
	fail := roleFailer(sock, 125)
	if !nsenter.Joined() {
		fail(ErrExecNeedsCgo) // started without the constructor: this is the host
	}
	var cfg execConfig
	recvRoleConfig(sock, &cfg, "exec", 125, fail)
	if err := execSession(sock, cfg.Process.Tty); err != nil {
		fail(err)
	}
	pp, err := prepareProcess(cfg.Process, cfg.Hostname)
	if err != nil {
		fail(err)
	}
	fail(pp.exec())
}

// execSession gives the exec'd process a session of its own, so that it has no
// controlling terminal of the caller's; with tty, a new pty of the container's devpts
// (as Docker's `exec -t` makes) is its controlling terminal and stdio, and the master
// goes to the caller.
func execSession(sock int, tty bool) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("exec: starting a session: %w", err)
	}
	if !tty {
		return nil
	}
	master, slave, err := openPty()
	if err != nil {
		return fmt.Errorf("exec: creating the container's pty: %w", err)
	}
	defer slave.Close()
	err = sendMsg(sock, syncMsg{Type: "pty"}, int(master.Fd()))
	master.Close()
	if err != nil {
		return fmt.Errorf("exec: passing the pty: %w", err)
	}
	if err := unix.IoctlSetInt(int(slave.Fd()), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("exec: setting the controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(int(slave.Fd()), fd, 0); err != nil {
			return fmt.Errorf("exec: setting up stdio: %w", err)
		}
	}
	return nil
}

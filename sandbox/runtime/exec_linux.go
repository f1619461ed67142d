package runtime

import (
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// execConfig is what Exec hands the exec helper on its sync socket.
type execConfig struct {
	Process  Process
	Hostname string
}

// Exec runs p as a new process in the running container's namespaces and root, with the
// container's default capabilities, and returns its exit code. The process gets a new
// pty when p.Tty (s.Resize applies to it), else s.In (when p.OpenStdin), s.Out and s.Err.
// A command that cannot be executed comes back as *ExecError.
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
	if p.Security, err = execSecurity(dir, p.Security); err != nil {
		return -1, fmt.Errorf("exec: %w", err)
	}
	self, err := protectedSelf()
	if err != nil {
		return -1, fmt.Errorf("exec: %w", err)
	}
	defer self.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("exec: %w", err)
	}
	sock := fds[0]
	defer unix.Close(sock)
	childSock := os.NewFile(uintptr(fds[1]), "sync")
	defer childSock.Close()

	a := spawnAttr{
		Env: []string{roleEnv + "=" + roleExec,
			"_DOCKLING_NSENTER_PID=" + strconv.Itoa(st.Pid)},
		Extra: []*os.File{childSock},
		Sys:   &syscall.SysProcAttr{},
	}
	if st.Cgroup != "" && checkCgroupPath(st.Cgroup, path.Base(dir)) == nil {
		a.Env = append(a.Env, "_DOCKLING_NSENTER_CGROUP="+st.Cgroup)
	}
	var master, slave *os.File
	if p.Tty {
		master, slave, err = openPty()
		if err != nil {
			return -1, fmt.Errorf("exec: creating a pty: %w", err)
		}
		defer master.Close()
		defer slave.Close()
		a.Stdin, a.Stdout, a.Stderr = slave, slave, slave
		a.Sys.Setsid, a.Sys.Setctty = true, true
	} else {
		if p.OpenStdin {
			a.Stdin = s.In
		}
		a.Stdout, a.Stderr = s.Out, s.Err
	}
	// From the protected binary: the helper is visible inside the container before it execs.
	a.Exe = self
	cmd, err := spawn("", []string{"dockling-exec"}, a)
	if err != nil {
		return -1, fmt.Errorf("exec: starting helper: %w", err)
	}
	childSock.Close()
	if slave != nil {
		slave.Close() // the child has its copy; ours would keep the pty open after it exits
	}

	if err := sendConfig(sock, execConfig{Process: p, Hostname: readHostname(dir)}); err != nil {
		_ = cmd.kill()
		_, _ = cmd.wait(time.Second)
		return -1, fmt.Errorf("exec: %w", err)
	}
	m, _, ok, err := recvMsg(sock)
	if err != nil || (ok && m.Type == "error") {
		_, _ = cmd.wait(time.Second)
		if err != nil {
			return -1, fmt.Errorf("exec: %w", err)
		}
		return -1, msgErr(m)
	}

	if master != nil && s.Resize != nil { // the first size before the caller's terminal goes raw
		select {
		case ws, ok := <-s.Resize:
			if ok {
				_ = setWinsize(master, ws)
			}
		default:
		}
	}
	if s.Attached != nil {
		s.Attached()
	}
	outDone := make(chan struct{})
	if master != nil {
		out := s.Out
		if out == nil {
			out = io.Discard
		}
		go func() { _, _ = io.Copy(out, master); close(outDone) }()
		if s.In != nil && p.OpenStdin {
			go func() { _, _ = io.Copy(master, s.In) }()
		}
		if s.Resize != nil {
			stop := make(chan struct{})
			defer close(stop)
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

func readHostname(dir string) string {
	b, _ := os.ReadFile(path.Join(dir, "hostname"))
	return strings.TrimSpace(string(b))
}

// execMain is the exec helper after nsenter's constructor put it in the container's
// namespaces (mount namespace included, so "/" is the container's root).
func execMain() {
	const sock = 3
	os.Unsetenv("_DOCKLING_NSENTER_PID")
	fail := roleFailer(sock, 125)
	var cfg execConfig
	recvRoleConfig(sock, &cfg, "exec", 125, fail)
	pp, err := prepareProcess(cfg.Process, cfg.Hostname)
	if err != nil {
		fail(err)
	}
	fail(pp.exec())
}

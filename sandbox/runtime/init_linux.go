package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
	// Its cgo constructors join a container's namespaces before the Go runtime starts
	// threads (setns into mount and user namespaces needs a single-threaded process), and
	// fork a root container's init early in its shim.
	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// initConfig is what the shim sends the container init.
type initConfig struct {
	Spec     Spec
	Rootless bool // in a user namespace: bind devices, no mknod, userxattr overlay
}

// syncMsg travels on the seqpacket socket between the shim and init.
type syncMsg struct {
	Type string `json:"type"` // "pty" (with the master fd), "ready", "go", "error"
	Msg  string `json:"msg,omitempty"`
	Code int    `json:"code,omitempty"` // 126/127 for exec errors
}

func sendMsg(fd int, m syncMsg, passFd int) error {
	b, _ := json.Marshal(m)
	var oob []byte
	if passFd >= 0 {
		oob = unix.UnixRights(passFd)
	}
	return unix.Sendmsg(fd, b, oob, nil, 0)
}

// recvMsg returns the next message; io.EOF-like end is reported as ok=false.
func recvMsg(fd int) (m syncMsg, passed int, ok bool, err error) {
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4))
	passed = -1
	for {
		n, oobn, _, _, rerr := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if rerr == unix.EINTR {
			continue
		}
		if rerr != nil {
			return m, -1, false, rerr
		}
		if n == 0 && oobn == 0 {
			return m, -1, false, nil
		}
		if oobn > 0 {
			if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, cm := range cms {
					if fds, err := unix.ParseUnixRights(&cm); err == nil && len(fds) > 0 {
						passed = fds[0]
					}
				}
			}
		}
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			return m, passed, false, fmt.Errorf("bad sync message: %w", err)
		}
		return m, passed, true, nil
	}
}

// initProc is the shim's handle on the container init.
type initProc struct {
	// pid, not an *os.Process: os.FindProcess (the early init is not started by Go)
	// first checks pidfd support by forking a child, once per process (see child).
	pid                   int
	code                  int // its exit code, once reaped
	reaped                bool
	master                *os.File
	stdin, stdout, stderr *os.File
	childFiles            []*os.File
	// pasta connects its network namespace (Spec.Net): started as soon as the init
	// hands the namespace over, so that it works while the init mounts the root.
	pasta    *pasta
	pastaErr error

	mu   sync.Mutex // release (an attach goroutine) and wait (the shim's main) share sock
	sock int        // the shim's end of the sync socket; -1 once closed
}

func msgErr(m syncMsg) error {
	if m.Code == 126 || m.Code == 127 {
		return &ExecError{Code: m.Code, Msg: m.Msg}
	}
	return errors.New(m.Msg)
}

// spawnInit starts the container init in new namespaces and runs it up to "ready": the
// root file system is set up and the command resolved, the exec waits for release.
//
// With plan (rootless with subordinate ids) init starts unmapped; the shim maps it with
// newuidmap/newgidmap and tells it "mapped", and init re-execs itself, since a process
// exec'd while unmapped holds no capabilities in its namespace.
func spawnInit(spec *Spec, plan *idMapPlan) (*initProc, error) {
	rootless := os.Geteuid() != 0
	self, err := protectedSelf()
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	defer self.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	ip := &initProc{sock: fds[0]}
	childSock := os.NewFile(uintptr(fds[1]), "sync")
	ip.childFiles = append(ip.childFiles, childSock)
	cleanup := func() {
		for _, f := range ip.childFiles {
			f.Close()
		}
		ip.childFiles = nil
	}
	defer cleanup()

	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		unix.Close(ip.sock)
		return nil, fmt.Errorf("starting container: %w", err)
	}
	ip.childFiles = append(ip.childFiles, devnull)
	stdio := [3]*os.File{devnull, devnull, devnull} // a tty replaces them inside init
	if !spec.Process.Tty {
		var pipes [3][2]*os.File
		for i := range pipes {
			if i == 0 && !spec.Process.OpenStdin {
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				unix.Close(ip.sock)
				ip.closeAll()
				return nil, fmt.Errorf("starting container: %w", err)
			}
			pipes[i] = [2]*os.File{r, w}
		}
		if spec.Process.OpenStdin {
			stdio[0], ip.stdin = pipes[0][0], pipes[0][1]
			ip.childFiles = append(ip.childFiles, pipes[0][0])
		}
		stdio[1], ip.stdout = pipes[1][1], pipes[1][0]
		stdio[2], ip.stderr = pipes[2][1], pipes[2][0]
		ip.childFiles = append(ip.childFiles, pipes[1][1], pipes[2][1])
	}

	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if spec.OwnNetwork() {
		flags |= unix.CLONE_NEWNET
	}
	attr := &syscall.SysProcAttr{
		Cloneflags: flags,
		Setsid:     true,
		// The container dies with its shim rather than running unsupervised.
		Pdeathsig: syscall.SIGKILL,
	}
	env := []string{role.Init.Environ()}
	if rootless {
		attr.Cloneflags |= unix.CLONE_NEWUSER
		if plan == nil {
			attr.UidMappings, attr.GidMappings = idMaps()
			attr.GidMappingsEnableSetgroups = false
		} else {
			env = append(env, waitMapEnv+"=1")
		}
	}
	// Run from the protected binary: /proc/<init>/exe cannot be written through.
	cmd, err := spawn("", []string{"dockling-init"}, spawnAttr{
		Exe:    self,
		Env:    env,
		Stdin:  stdio[0],
		Stdout: stdio[1],
		Stderr: stdio[2],
		Extra:  []*os.File{childSock},
		Sys:    attr,
	})
	if err != nil {
		unix.Close(ip.sock)
		ip.closeAll()
		return nil, fmt.Errorf("starting container init: %w%s", err, userNSHint(rootless, err))
	}
	ip.pid = cmd.pid
	cleanup()
	if plan != nil {
		if err := plan.apply(ip.pid); err != nil {
			ip.kill()
			return nil, fmt.Errorf("%w: %v", errIDMap, err)
		}
		if err := sendMsg(ip.sock, syncMsg{Type: "mapped"}, -1); err != nil {
			ip.kill()
			return nil, fmt.Errorf("starting container: %w", err)
		}
	}

	if err := sendConfig(ip.sock, initConfig{Spec: *spec, Rootless: rootless}); err != nil {
		ip.kill()
		return nil, fmt.Errorf("starting container: sending config to init: %w", err)
	}
	return ip.waitReady(spec.Net)
}

// waitReady reads init's messages until it is ready (its pty master, if any, on the
// way; and its network namespace, which pasta connects when net is set).
func (ip *initProc) waitReady(net *Net) (_ *initProc, err error) {
	defer func() {
		if err != nil {
			ip.pasta.stop()
		}
	}()
	for {
		m, fd, ok, err := recvMsg(ip.sock)
		switch {
		case fd >= 0 && m.Type == "netns":
			netns := os.NewFile(uintptr(fd), "netns")
			if net != nil && ip.pasta == nil {
				ip.pasta, ip.pastaErr = launchPasta(netns, net, os.Geteuid() != 0)
			}
			netns.Close()
			continue
		case fd >= 0:
			ip.master = os.NewFile(uintptr(fd), "pty-master")
		}
		switch {
		case err != nil:
			ip.kill()
			return nil, fmt.Errorf("starting container: %w", err)
		case !ok:
			code := ip.wait()
			return nil, fmt.Errorf("starting container: init exited with status %d before it was ready", code)
		case m.Type == "error":
			ip.wait()
			return nil, msgErr(m)
		case m.Type == "ready":
			return ip, nil
		}
	}
}

// release lets the held process exec and reports whether the exec worked: the sync
// socket closes on exec, or init reports the error.
func (ip *initProc) release() error {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if ip.sock < 0 {
		return errors.New("starting container: init is gone")
	}
	if err := sendMsg(ip.sock, syncMsg{Type: "go"}, -1); err != nil {
		// An init that failed after "ready" (confining itself) said why before it went.
		if m, _, ok, _ := recvMsg(ip.sock); ok && m.Type == "error" {
			return msgErr(m)
		}
		return fmt.Errorf("starting container: %w", err)
	}
	m, _, ok, err := recvMsg(ip.sock)
	unix.Close(ip.sock)
	ip.sock = -1
	if err != nil {
		return fmt.Errorf("starting container: %w", err)
	}
	if ok && m.Type == "error" {
		return msgErr(m)
	}
	return nil
}

func (ip *initProc) closeAll() {
	for _, f := range []*os.File{ip.master, ip.stdin, ip.stdout, ip.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// wait reaps init and returns its exit code.
func (ip *initProc) wait() int {
	if !ip.reaped {
		ws, err := reap(ip.pid)
		ip.code, ip.reaped = -1, true
		if err == nil {
			ip.code = statusCode(ws)
		}
	}
	ip.mu.Lock()
	if ip.sock >= 0 {
		unix.Close(ip.sock)
		ip.sock = -1
	}
	ip.mu.Unlock()
	return ip.code
}

func (ip *initProc) kill() {
	_ = unix.Kill(ip.pid, unix.SIGKILL)
	ip.wait()
	ip.closeAll()
}

// earlyEnv tells a shim's constructor to fork the init (see nsenter.Early); its value is
// "cloneflags,sync,stdin,stdout,stderr" with the init's descriptors as numbered in the shim.
const earlyEnv = role.EarlyInit

// earlyInit is a container's init prepared with its shim (PrepareShim): the sync socket
// (its config comes later, from Shim.Start) and the pipes, handed to the shim as these
// descriptor numbers.
// The shim's C constructor forks the init with them before the shim's Go runtime starts
// (the two start-ups overlap on two cores); if it could not, adoptInit starts it the
// ordinary way with the same descriptors.
type earlyInit struct {
	Flags                                uintptr
	Sync, ChildSync                      int // the shim's end, the init's end (its fd 3)
	ChildStdin, ChildStdout, ChildStderr int // the init's stdio; 0 is the shim's /dev/null
	Stdin, Stdout, Stderr                int // the shim's ends; -1: none
	// Rootless: the init gets a new user namespace in which the user and the user's
	// group are root (idMaps), mapped by the shim's constructor.
	Rootless bool
}

func (e *earlyInit) envValue() string {
	v := fmt.Sprintf("%d,%d,%d,%d,%d", e.Flags, e.ChildSync, e.ChildStdin, e.ChildStdout, e.ChildStderr)
	if e.Rootless {
		v += fmt.Sprintf(",%d,%d", os.Getuid(), os.Getgid())
	}
	return v
}

// prepareEarly makes the init's sync socket and pipes; the files become the shim's
// descriptors first, first+1, … in that order, the shim's end of the socket first (the
// init's config goes there once the container is known). The caller closes them once
// the shim started.
func prepareEarly(plan ShimPlan, first int) (*earlyInit, []*os.File, error) {
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if plan.NewNet {
		flags |= unix.CLONE_NEWNET
	}
	rootless := os.Geteuid() != 0
	if rootless {
		flags |= unix.CLONE_NEWUSER
	}
	e := &earlyInit{Flags: flags, Stdin: -1, Stdout: -1, Stderr: -1, Rootless: rootless}
	var files []*os.File
	add := func(f *os.File) int {
		files = append(files, f)
		return first + len(files) - 1
	}
	fail := func(err error) (*earlyInit, []*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, nil, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	e.Sync = add(os.NewFile(uintptr(fds[0]), "sync"))
	e.ChildSync = add(os.NewFile(uintptr(fds[1]), "init-sync"))
	if !plan.Tty { // with a tty, init makes the pty and stdio starts as /dev/null
		pipe := func(childReads bool) (child, shim int, err error) {
			r, w, err := os.Pipe()
			if err != nil {
				return 0, 0, err
			}
			if childReads {
				return add(r), add(w), nil
			}
			return add(w), add(r), nil
		}
		if plan.OpenStdin {
			if e.ChildStdin, e.Stdin, err = pipe(true); err != nil {
				return fail(err)
			}
		}
		if e.ChildStdout, e.Stdout, err = pipe(false); err != nil {
			return fail(err)
		}
		if e.ChildStderr, e.Stderr, err = pipe(false); err != nil {
			return fail(err)
		}
	}
	return e, files, nil
}

// adoptInit takes over the init that the shim's constructor forked, or starts it with
// the descriptors Start prepared, and waits until it is ready.
func adoptInit(e *earlyInit, net *Net) (*initProc, error) {
	file := func(fd int, name string) *os.File {
		switch {
		case fd < 0:
			return nil
		case fd <= 2:
			return os.Stdin // the shim's stdio are /dev/null
		}
		return os.NewFile(uintptr(fd), name)
	}
	ip := &initProc{sock: e.Sync, stdin: file(e.Stdin, "stdin"), stdout: file(e.Stdout, "stdout"), stderr: file(e.Stderr, "stderr")}
	childSync := file(e.ChildSync, "init-sync")
	stdio := []*os.File{file(e.ChildStdin, "init-stdin"), file(e.ChildStdout, "init-stdout"), file(e.ChildStderr, "init-stderr")}
	closeChild := func() {
		// The init has its copies; ours would hide the ends of its sync socket and output.
		childSync.Close()
		for _, f := range stdio {
			if f != nil && f != os.Stdin {
				f.Close()
			}
		}
	}
	if pid, _ := nsenter.Early(); pid > 0 {
		ip.pid = pid
	} else {
		self, err := protectedSelf()
		if err != nil {
			closeChild()
			unix.Close(ip.sock)
			ip.closeAll()
			return nil, fmt.Errorf("starting container: %w", err)
		}
		defer self.Close()
		cmd, err := spawn("", []string{"dockling-init"}, spawnAttr{
			Exe:    self,
			Env:    []string{role.Init.Environ()},
			Stdin:  stdio[0],
			Stdout: stdio[1],
			Stderr: stdio[2],
			Extra:  []*os.File{childSync},
			Sys:    earlyAttr(e),
		})
		if err != nil {
			closeChild()
			unix.Close(ip.sock)
			ip.closeAll()
			return nil, fmt.Errorf("starting container init: %w", err)
		}
		ip.pid = cmd.pid
	}
	closeChild()
	return ip.waitReady(net)
}

// earlyAttr starts, the ordinary way, the init the shim's constructor did not fork.
func earlyAttr(e *earlyInit) *syscall.SysProcAttr {
	// The container dies with its shim rather than running unsupervised.
	attr := &syscall.SysProcAttr{Cloneflags: e.Flags, Setsid: true, Pdeathsig: syscall.SIGKILL}
	if e.Rootless {
		attr.UidMappings, attr.GidMappings = idMaps()
		attr.GidMappingsEnableSetgroups = false
	}
	return attr
}

// waitMapEnv tells init to wait for its id maps and re-exec (see spawnInit).
const waitMapEnv = role.WaitIDMap

var errIDMap = errors.New("mapping the container's user ids")

// initMain is the container init: pid 1 of the new namespaces, fd 3 the sync socket.
func initMain() {
	const sock = 3
	if os.Getenv(waitMapEnv) != "" {
		m, _, ok, err := recvMsg(sock)
		if err != nil || !ok || m.Type != "mapped" {
			os.Exit(1)
		}
		// Now uid 0 in the namespace: exec'ing again grants its capabilities. The sync
		// socket (fd 3, not close-on-exec) and stdio carry over; the binary is the protected one.
		err = unix.Exec("/proc/self/exe", []string{"dockling-init"}, []string{role.Init.Environ()})
		_ = sendMsg(sock, syncMsg{Type: "error", Msg: "container init: re-exec after id mapping: " + err.Error()}, -1)
		os.Exit(1)
	}
	fail := roleFailer(sock, 1)
	// Until it execs, the init holds more than its container will (Go's other threads
	// keep every capability): nothing in the container may ptrace it. execve makes the
	// command dumpable again.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fail(fmt.Errorf("container init: %w", err))
	}
	var cfg initConfig
	recvRoleConfig(sock, &cfg, "container init", 1, fail)
	spec := &cfg.Spec
	if spec.Net != nil {
		// The shim connects it: a non-dumpable process's namespaces are ours to hand.
		if err := sendNetns(sock); err != nil {
			fail(err)
		}
	}
	if err := setupRootfs(spec, cfg.Rootless, sock); err != nil {
		fail(err)
	}
	pp, err := prepareProcess(spec.Process, spec.Hostname)
	if err != nil {
		fail(err)
	}
	if err := sendMsg(sock, syncMsg{Type: "ready"}, -1); err != nil {
		os.Exit(1)
	}
	if err := pp.confine(); err != nil { // while the shim gets ready to release it
		fail(err)
	}
	msg, _, ok, err := recvMsg(sock)
	if err != nil || !ok || msg.Type != "go" {
		os.Exit(1) // the shim is gone
	}
	fail(pp.execve())
}

// roleFailer reports err to the side waiting on sock and ends this re-executed role
// with Docker's exit code for it: an ExecError's own (126, 127), else def.
func roleFailer(sock, def int) func(error) {
	return func(err error) {
		code := def
		var ee *ExecError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		_ = sendMsg(sock, syncMsg{Type: "error", Msg: err.Error(), Code: code}, -1)
		os.Exit(code)
	}
}

// sendConfig sends v, as JSON, to the role waiting on sock: in a memfd passed with a
// "config" message, so that its size is bounded by memory, not by the socket's buffer
// (a large environment, one datagram, was refused with EMSGSIZE), and sending never
// waits for the reader.
func sendConfig(sock int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("dockling-config", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("passing the config: %w", err)
	}
	f := os.NewFile(uintptr(fd), "config")
	defer f.Close()
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("passing the config: %w", err)
	}
	return sendMsg(sock, syncMsg{Type: "config"}, fd)
}

// recvRoleConfig reads the role's JSON config, the first message on sock (see
// sendConfig); a role that gets none has nothing to do and exits with code.
func recvRoleConfig(sock int, v any, role string, code int, fail func(error)) {
	m, fd, ok, err := recvMsg(sock)
	if err != nil || !ok || fd < 0 || m.Type != "config" {
		os.Exit(code)
	}
	f := os.NewFile(uintptr(fd), "config")
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		fail(fmt.Errorf("%s: reading config: %w", role, err))
	}
	b := make([]byte, st.Size)
	_, err = f.ReadAt(b, 0)
	f.Close()
	if err != nil {
		fail(fmt.Errorf("%s: reading config: %w", role, err))
	}
	if err := json.Unmarshal(b, v); err != nil {
		fail(fmt.Errorf("%s: reading config: %w", role, err))
	}
}

package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// shimConfig is what Start hands the shim on fd 3.
type shimConfig struct {
	Spec  Spec
	Hold  bool
	IDMap *idMapPlan // rootless with subordinate ids; decided by the caller
	Early *earlyInit // root: the init is started by the shim's constructor
}

// shimReply is what the shim tells Start on fd 4 once the container runs (or failed).
type shimReply struct {
	Pid      int    `json:"pid,omitempty"`
	Error    string `json:"error,omitempty"`
	ExecCode int    `json:"execCode,omitempty"` // 126/127: Error is an ExecError message
}

// isID says whether s is 64 lowercase hex digits (a regular expression cost a
// quarter of a millisecond to compile on every start).
func isID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

func checkSpec(spec *Spec) error {
	switch {
	case !isID(spec.ID):
		return fmt.Errorf("starting container: id %q is not 64 hex digits", spec.ID)
	case len(spec.Process.Args) == 0:
		return errors.New("starting container: no command given")
	case CheckUser(spec.Process.User) != nil:
		return fmt.Errorf("starting container: %w", CheckUser(spec.Process.User))
	case checkSecurity(&spec.Process.Security) != nil:
		return fmt.Errorf("starting container: %w", checkSecurity(&spec.Process.Security))
	case spec.Rootfs.Copy == "" && (len(spec.Rootfs.Lower) == 0 || spec.Rootfs.Upper == "" || spec.Rootfs.Work == "" || spec.Rootfs.Merged == ""):
		return errors.New("starting container: rootfs needs lower, upper, work and merged dirs")
	}
	paths := append([]string{spec.Dir, spec.Rootfs.Upper, spec.Rootfs.Work, spec.Rootfs.Merged}, spec.Rootfs.Lower...)
	if spec.Rootfs.Copy != "" {
		paths = []string{spec.Dir, spec.Rootfs.Copy}
	}
	for _, p := range paths {
		if !path.IsAbs(p) {
			return fmt.Errorf("starting container: %q is not an absolute path", p)
		}
		if strings.ContainsAny(p, ",:") {
			// overlay's option syntax has no escaping for these.
			return fmt.Errorf("starting container: path %q contains ',' or ':', which overlay cannot take", p)
		}
	}
	if fi, err := os.Stat(spec.Dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("starting container: container dir %s does not exist", spec.Dir)
	}
	return nil
}

// Start runs the container's process under a new shim and returns once the process has
// exec'd, or is held waiting for the first Attach (opts.HoldUntilAttach). A command that
// cannot be executed comes back as *ExecError.
func Start(spec Spec, opts StartOptions) error {
	if err := checkSpec(&spec); err != nil {
		return err
	}
	sh, err := PrepareShim(PlanOf(&spec))
	if err != nil {
		return err
	}
	return sh.Start(spec, opts)
}

// Shim is a container shim started ahead of its container (PrepareShim): its Go runtime
// and its init's start up while the caller still makes the container (run's create),
// instead of after it. It waits for Start; Close without Start ends it.
type Shim struct {
	plan  ShimPlan
	cfgW  *os.File // the shim's config goes here (its fd 3)
	repR  *os.File // its reply comes back here (its fd 4)
	sync  *os.File // the shim's end of the early init's sync socket: the init's config goes here
	early *earlyInit
	idmap *idMapPlan
	pid   int
	ended chan struct{} // closed once the shim is reaped (while we live)
}

// PrepareShim starts a shim for a container that plan describes.
func PrepareShim(plan ShimPlan) (*Shim, error) {
	if !isID(plan.ID) {
		return nil, fmt.Errorf("starting container: id %q is not 64 hex digits", plan.ID)
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, fmt.Errorf("starting container: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		for _, f := range []*os.File{cfgR, cfgW, repR, repW} {
			f.Close()
		}
		return nil, fmt.Errorf("starting container: %w", err)
	}
	defer devnull.Close()
	a := spawnAttr{
		Env:    shimEnv(),
		Stdin:  devnull,
		Stdout: devnull,
		Stderr: devnull,
		Extra:  []*os.File{cfgR, repW},
		// Its own session: the shim outlives the CLI and gets no terminal signals.
		Sys: &syscall.SysProcAttr{Setsid: true},
	}
	sh := &Shim{plan: plan, cfgW: cfgW, repR: repR}
	sh.idmap = planIDMap() // rootless with newuidmap ranges: the shim maps the init
	if self := earlySelf(sh.idmap); self != nil {
		// The init needs nothing from the shim to start: it is forked before the shim's
		// Go runtime starts (see earlyInit), from a shim run from the protected binary.
		defer self.Close()
		a.Exe = self
		var extra []*os.File
		sh.early, extra, err = prepareEarly(plan, 3+len(a.Extra))
		if err != nil {
			cfgR.Close()
			repW.Close()
			sh.Close()
			return nil, fmt.Errorf("starting container: %w", err)
		}
		sh.sync = extra[0]
		a.Extra = append(a.Extra, extra...)
		a.Env = append(a.Env, earlyEnv+"="+sh.early.envValue())
		if cg := earlyFreezer(plan.ID); cg != "" {
			a.Env = append(a.Env, earlyCgroupEnv+"="+cg)
		}
	}
	if os.Getenv("DOCKLING_SHIM_DEBUG") != "" {
		a.Stderr = os.Stderr
	}
	proc, err := spawn("/proc/self/exe", []string{"dockling-shim", plan.ID[:12]}, a)
	// The shim has its copies. Ours must go at once (but the end the init's config goes
	// to): the init's end of its sync socket closing is how the shim learns that the
	// init exec'd.
	for _, f := range a.Extra {
		if f != sh.sync {
			f.Close()
		}
	}
	if err != nil {
		sh.Close()
		return nil, fmt.Errorf("starting container shim: %w", err)
	}
	// Reap the shim if it ends while we live; after we exit, init adopts it.
	sh.pid, sh.ended = proc.pid, make(chan struct{})
	go func() {
		_, _ = reap(proc.pid)
		close(sh.ended)
	}()
	return sh, nil
}

// Plan is what the shim was prepared for.
func (sh *Shim) Plan() ShimPlan { return sh.plan }

// Close ends a shim that was not started: it and its init see their configs end
// and exit. After Start, it does nothing; so it does on nil.
func (sh *Shim) Close() {
	if sh == nil {
		return
	}
	for _, f := range []**os.File{&sh.cfgW, &sh.repR, &sh.sync} {
		if *f != nil {
			(*f).Close()
			*f = nil
		}
	}
}

// Start runs spec's container in the prepared shim, as the package's Start does. The
// shim is used up either way.
func (sh *Shim) Start(spec Spec, opts StartOptions) error {
	defer sh.Close()
	if sh.cfgW == nil {
		return errors.New("starting container: the shim was already used")
	}
	if err := checkSpec(&spec); err != nil {
		return err
	}
	if PlanOf(&spec) != sh.plan {
		return errors.New("starting container: the container does not fit the shim prepared for it")
	}
	st, err := status(spec.Dir)
	if err != nil {
		return err
	}
	if st.Status == "running" {
		return errors.New("starting container: container is already running")
	}
	_ = os.Remove(path.Join(spec.Dir, sockFile))
	if err := writeEtcFiles(&spec); err != nil {
		return failStart(&spec, err)
	}
	if err := saveSecurity(&spec); err != nil {
		return failStart(&spec, err)
	}
	if sh.early != nil {
		// The init, forked with the shim, waits for this as its first message.
		if err := sendConfig(int(sh.sync.Fd()), initConfig{Spec: spec, Rootless: sh.early.Rootless}); err != nil {
			return fmt.Errorf("starting container: queueing the init's config: %w", err)
		}
	}
	cfg := shimConfig{Spec: spec, Hold: opts.HoldUntilAttach, Early: sh.early}
	if sh.early == nil {
		cfg.IDMap = sh.idmap
	}
	err = json.NewEncoder(sh.cfgW).Encode(cfg)
	sh.cfgW.Close()
	sh.cfgW = nil
	var rep shimReply
	derr := json.NewDecoder(sh.repR).Decode(&rep)
	if derr != nil {
		if err == nil {
			err = derr
		}
		return fmt.Errorf("starting container: the shim ended before reporting: %v", err)
	}
	if rep.ExecCode != 0 {
		return &ExecError{Code: rep.ExecCode, Msg: rep.Error}
	}
	if rep.Error != "" {
		return errors.New(rep.Error)
	}
	return nil
}

// shimMain is the shim role: fd 3 carries the config, fd 4 the reply to Start.
func shimMain() {
	reply := os.NewFile(4, "reply")
	// The cgroup the constructor made for the early init goes with the shim, however
	// it ends (the shim's run removes it sooner).
	earlyCgroup := os.Getenv(earlyCgroupEnv)
	os.Unsetenv(earlyCgroupEnv)
	var cfg shimConfig
	if err := json.NewDecoder(os.NewFile(3, "config")).Decode(&cfg); err != nil {
		// Closed without Start: the early init, waiting for its config, goes too.
		if pid, _ := nsenter.Early(); pid > 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
			_, _ = reap(pid)
		}
		removeFreezer(earlyCgroup)
		_ = json.NewEncoder(reply).Encode(shimReply{Error: "starting container shim: reading config: " + err.Error()})
		os.Exit(1)
	}
	os.Unsetenv(earlyEnv)
	s := &shim{spec: cfg.Spec, hold: cfg.Hold, idmap: cfg.IDMap, early: cfg.Early, reply: reply}
	code := s.run()
	removeFreezer(earlyCgroup)
	os.Exit(code)
}

type shim struct {
	spec  Spec
	hold  bool
	idmap *idMapPlan
	early *earlyInit
	reply *os.File
	state diskState
	init  *initProc
	hub   *hub
}

// diskFull says so when err comes from a full disk.
func diskFull(dir string, err error) error {
	if (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) && !strings.Contains(err.Error(), "disk is full") {
		return fmt.Errorf("starting container: the disk holding %s is full: %w", dir, err)
	}
	return err
}

// failStart records a start that failed before the shim ran, as the shim would.
func failStart(spec *Spec, err error) error {
	err = diskFull(spec.Dir, err)
	now := time.Now().UTC()
	_ = writeState(spec.Dir, &diskState{Status: "exited", ExitCode: 125, StartedAt: now, FinishedAt: now,
		Error: err.Error(), Tty: spec.Process.Tty, StopSignal: int(spec.StopSignal)})
	return err
}

// fail records a start failure in state.json and reports it to Start.
func (s *shim) fail(err error) int {
	code := 125 // Docker's "the daemon could not run it"
	err = diskFull(s.spec.Dir, err)
	var ee *ExecError
	rep := shimReply{Error: err.Error()}
	if errors.As(err, &ee) {
		code = ee.Code
		rep.ExecCode = ee.Code
	}
	now := time.Now().UTC()
	s.state = diskState{Status: "exited", ExitCode: code, StartedAt: now, FinishedAt: now,
		Error: err.Error(), Tty: s.spec.Process.Tty, StopSignal: int(s.spec.StopSignal)}
	_ = writeState(s.spec.Dir, &s.state)
	if s.reply != nil {
		_ = json.NewEncoder(s.reply).Encode(rep)
		s.reply.Close()
	}
	return 1
}

func (s *shim) run() int {
	dir := s.spec.Dir
	_ = os.WriteFile(path.Join(dir, shimPidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	logf, err := os.OpenFile(path.Join(dir, s.spec.ID+"-json.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_CLOEXEC, 0o640)
	if err != nil {
		return s.fail(fmt.Errorf("opening the container log: %w", err))
	}
	s.hub = newHub(s.spec.Process.Tty, &jsonLog{f: logf})

	var ip *initProc
	if s.early != nil {
		ip, err = adoptInit(s.early, s.spec.Net)
	} else {
		ip, err = spawnInit(&s.spec, s.idmap)
		if err != nil && s.idmap != nil && errors.Is(err, errIDMap) {
			// The helpers refused (say, a stale /etc/subuid): one mapped id still runs it.
			ip, err = spawnInit(&s.spec, nil)
		}
	}
	if err != nil {
		return s.fail(err)
	}
	s.init = ip
	// Hold the container's mount namespace. Were pid 1 its last user, its exit would
	// unmount everything (and wait out the kernel's RCU grace period) before the
	// shim could reap it and report the exit code; held here, that happens as the
	// shim itself exits, after the report.
	if fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", ip.pid), unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		defer unix.Close(fd)
	}
	// Connected before the command runs, as Docker's network is.
	net := ip.pasta
	if s.spec.Net != nil {
		if err = ip.pastaErr; err == nil && net == nil {
			err = errors.New("connecting the container's network: the init did not hand over its namespace")
		}
		if err == nil {
			err = net.ready()
		}
		if err != nil {
			net.stop()
			ip.kill()
			return s.fail(err)
		}
		defer net.stop() // on the failures below
	}
	if ip.master != nil {
		s.hub.master = ip.master
	}
	if ip.stdin != nil {
		s.hub.stdin = ip.stdin
	}

	// Before the init execs the command: every process of the container inherits it.
	cgroup := joinFreezer(s.spec.ID, ip.pid)
	defer removeFreezer(cgroup) // on the failures below; a second remove does nothing
	limits, err := applyLimits(s.spec.ID, ip.pid, cgroup, s.spec.Resources)
	defer removeLimits(limits)
	if err != nil {
		ip.kill()
		return s.fail(fmt.Errorf("setting resource limits: %w", err))
	}
	shimStart, _ := procStart(os.Getpid())
	initStart, _ := procStart(ip.pid)
	s.state = diskState{Status: "running", Pid: ip.pid, StartedAt: time.Now().UTC(),
		ShimPid: os.Getpid(), ShimStart: shimStart, InitStart: initStart,
		StopSignal: int(s.spec.StopSignal), Tty: s.spec.Process.Tty, Cgroup: cgroup,
		RestartCount: s.spec.RestartCount}
	if s.spec.RestartCount == 0 {
		clearStopped(dir) // a start by hand; a restart keeps a stop that came meanwhile
	}

	ln, err := listen(dir)
	if err != nil {
		ip.kill()
		return s.fail(err)
	}
	defer ln.Close()

	if !s.hold || !s.spec.Process.Tty {
		if s.hold {
			// Without a terminal, nothing but the output needs the first attacher
			// (a terminal's size does: the shell reads it as it starts). The command
			// runs now, while the caller connects, and its output is kept for it.
			s.hub.keepForFirstAttach(10 * time.Second)
		}
		if err := ip.release(); err != nil {
			ip.kill()
			ln.Close()
			_ = os.Remove(path.Join(dir, sockFile))
			return s.fail(err)
		}
	} else {
		s.hub.onFirstAttach = func() {
			if err := ip.release(); err != nil {
				s.hub.mu.Lock()
				s.hub.execErr = err
				s.hub.mu.Unlock()
			}
		}
	}
	if err := writeState(dir, &s.state); err != nil {
		ip.kill()
		return s.fail(err)
	}
	go s.hub.serve(ln)
	s.hub.pump(ip)
	_ = json.NewEncoder(s.reply).Encode(shimReply{Pid: ip.pid})
	s.reply.Close()
	s.reply = nil
	// Setup is done: once the container has run a while, shed the binary's pages it
	// needed.
	trim := time.AfterFunc(settleDelay, trimText)

	code := ip.wait()
	net.stop() // the container's pasta ends with it
	trim.Stop()
	s.hub.drain()
	s.state.Status = "exited"
	s.state.ExitCode = code
	s.state.FinishedAt = time.Now().UTC()
	s.state.Pid = 0
	s.hub.mu.Lock()
	if s.hub.execErr != nil {
		s.state.Error = s.hub.execErr.Error()
	}
	s.hub.mu.Unlock()
	// A `run` whose command ended before it connected still gets the output and the
	// exit code: the socket stays until it came. Otherwise it goes first, so that
	// nobody connects to a container known to have exited.
	s.state.AwaitingAttach = s.hub.keeping()
	if !s.state.AwaitingAttach {
		_ = os.Remove(path.Join(dir, sockFile))
	}
	_ = writeState(dir, &s.state)
	s.hub.finish(code)
	// After the report, so that no caller waits for it.
	removeFreezer(cgroup)
	if s.state.AwaitingAttach {
		s.hub.awaitFirstAttach()
		_ = os.Remove(path.Join(dir, sockFile))
	}
	if shouldRestart(&s.spec, code) {
		if err := restart(s.spec); err != nil {
			s.state.Error = "restarting: " + err.Error()
			_ = writeState(dir, &s.state)
		}
	}
	return 0
}

// writeEtcFiles writes Dir/hostname, hosts and resolv.conf, which init binds over the
// container's /etc files. In place, not through a rename: nothing reads them while the
// container is stopped, and a start interrupted halfway is followed by another that
// writes them again.
func writeEtcFiles(spec *Spec) error {
	host := spec.Hostname
	if host == "" {
		host = spec.ID[:12]
	}
	hosts, resolv := spec.Hosts, spec.ResolvConf
	if hosts == "" {
		hosts = DefaultHosts
	}
	if resolv == "" && spec.NetworkNone {
		resolv = "# no network: --network none\n"
	}
	if resolv == "" {
		// The host's resolvers, as a container sharing its network uses them.
		b, err := os.ReadFile("/etc/resolv.conf")
		if err != nil {
			b = []byte("nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
		}
		resolv = string(b)
	}
	for name, data := range map[string]string{"hostname": host + "\n", "hosts": hosts, "resolv.conf": resolv} {
		if err := os.WriteFile(path.Join(spec.Dir, name), []byte(data), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// earlySelf returns the binary to run a shim from whose init is forked early, or nil
// when the init is to be started the ordinary way. The init, a fork of the shim, runs
// from the same file, so it must be protected (see protectedSelf): as root, the
// read-only bind mount. Rootless, it is whatever protectedSelf gives, and only where the
// shim's constructor can map the user itself (one id: no plan of newuidmap ranges).
func earlySelf(plan *idMapPlan) *os.File {
	if !nsenter.Works() {
		return nil
	}
	if os.Geteuid() == 0 {
		if os.Getenv(copyExeEnv) != "" {
			return nil
		}
		self, err := readonlySelf()
		if err != nil {
			return nil
		}
		return self
	}
	if plan != nil {
		return nil
	}
	self, err := protectedSelf()
	if err != nil {
		return nil
	}
	return self
}

// shimEnv is the shim's environment: ours, with its role and its Go settings in place
// of any the user set.
func shimEnv() []string {
	set := append(append([]string(nil), shimGoEnv...), role.Shim.Environ())
	env := make([]string, 0, len(os.Environ())+len(set))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, k+"=") }) {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// statusCode turns a wait status into Docker's exit code (128+signal when killed).
func statusCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

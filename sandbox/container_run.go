package sandbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/seccomp"
	"github.com/dockling/dockling/sandbox/store"
)

// spec turns a container record into what the runtime runs.
func (sb *Sandbox) spec(c *Container) (runtime.Spec, error) {
	var rw store.RWLayer
	if c.layer != nil {
		rw = *c.layer // just created: the store would say the same
	} else {
		var err error
		if rw, err = sb.Store.RWLayer(c.ID); err != nil {
			return runtime.Spec{}, err
		}
	}
	sig := syscall.Signal(0)
	if c.Config.StopSignal != "" {
		sig = parseSignal(c.Config.StopSignal)
	}
	sec, err := securityOf(c.HostConfig.SecurityOpt)
	if err != nil {
		return runtime.Spec{}, err
	}
	args, initBin := append([]string{c.Path}, c.Args...), ""
	if c.HostConfig.Init {
		if initBin, err = findInit(); err != nil {
			return runtime.Spec{}, err
		}
		args = append([]string{runtime.InitPath, "--"}, args...)
	}
	spec := runtime.Spec{
		ID:  c.ID,
		Dir: sb.containerDir(c.ID),
		Rootfs: runtime.Rootfs{
			Lower: rw.Lower, Upper: rw.Upper, Work: rw.Work, Merged: rw.Merged, Copy: rw.Copy,
			Untrusted: sb.Untrusted,
		},
		Process: runtime.Process{
			Args: args, Env: c.Config.Env, Cwd: c.Config.WorkingDir,
			User: c.Config.User, Tty: c.Config.Tty, OpenStdin: c.Config.OpenStdin, Security: sec,
		},
		Hostname:       c.Config.Hostname,
		StopSignal:     sig,
		Mounts:         sb.runtimeMounts(c),
		ReadonlyRootfs: c.HostConfig.ReadonlyRootfs,
		Resources:      Limits{Memory: c.HostConfig.Memory, NanoCPUs: c.HostConfig.NanoCpus, PidsLimit: c.HostConfig.PidsLimit},
		Init:           initBin,
		Restart:        c.HostConfig.RestartPolicy,
	}
	netSpec(c, &spec)
	return spec, nil
}

// Start runs a created or stopped container's command again on the same writable
// layer. hold makes the first attach see all of it (run, start -a; see
// runtime.StartOptions). The container comes back as it was found: its state is not
// read again (callers want its ID and config; a command may already have ended).
func (sb *Sandbox) Start(name string, hold bool) (*Container, error) {
	return sb.StartPrepared(nil, name, hold)
}

// PrepareStart starts the shim for a container that Create is about to make from co (it
// presets co.ID), so that the shim's and its init's start-up overlap the creation:
// `run` then hands it to StartPrepared. It returns nil when it cannot (StartPrepared
// then starts a shim itself); a shim that is not used must be closed.
func (sb *Sandbox) PrepareStart(co *CreateOptions) *runtime.Shim {
	if co.ID == "" {
		co.ID = store.NewID()
	}
	seccomp.Prepare(runtime.DefaultCapabilities()) // Docker's default profile, ready by the start
	sh, err := runtime.PrepareShim(runtime.ShimPlan{ID: co.ID, NewNet: co.NewNet(), Tty: co.Tty, OpenStdin: co.OpenStdin})
	if err != nil {
		return nil
	}
	return sh
}

// StartPrepared is Start in the shim PrepareStart made for the container (nil: a new
// one). The shim is used up either way.
func (sb *Sandbox) StartPrepared(sh *runtime.Shim, name string, hold bool) (*Container, error) {
	defer sh.Close()
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	if c.State.Running {
		return c, nil // Docker: starting a running container is not an error
	}
	if err := sb.start(sh, c, hold); err != nil {
		return nil, err
	}
	return c, nil
}

// StartCreated starts c, which Create returned to this process (run): its record and
// layer are known, so neither is read again. The shim is used up either way.
func (sb *Sandbox) StartCreated(sh *runtime.Shim, c *Container, hold bool) error {
	if c.layer == nil { // not from Create: read it
		_, err := sb.StartPrepared(sh, c.ID, hold)
		return err
	}
	defer sh.Close()
	return sb.start(sh, c, hold)
}

// start runs the stopped container c, in sh when it fits.
func (sb *Sandbox) start(sh *runtime.Shim, c *Container, hold bool) error {
	spec, err := sb.spec(c)
	if err != nil {
		return err
	}
	if err := c.checkPorts(sb.containerRecordsLive); err != nil {
		return err
	}
	opts := runtime.StartOptions{HoldUntilAttach: hold}
	if sh != nil && runtime.PlanOf(&spec) == sh.Plan() {
		return sh.Start(spec, opts)
	}
	return runtime.Start(spec, opts)
}

// Attach connects streams to a running container; it returns the exit code when the
// process ends, or runtime.ErrDetached.
func (sb *Sandbox) Attach(name string, s runtime.Streams) (int, error) {
	c, err := sb.Container(name)
	if err != nil {
		return 0, err
	}
	if !c.State.Running {
		return 0, fmt.Errorf("%w: You cannot attach to a stopped container, start it first", ErrNotRunning)
	}
	return runtime.Attach(sb.containerDir(c.ID), s)
}

// AttachID is Attach for a container known by full ID (no lookup race with rm).
func (sb *Sandbox) AttachID(id string, s runtime.Streams) (int, error) {
	return runtime.Attach(sb.containerDir(id), s)
}

// Stop stops a running container: its stop signal, then SIGKILL after timeout.
func (sb *Sandbox) Stop(name string, timeout time.Duration) (*Container, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return c, nil
	}
	if err := runtime.Stop(sb.containerDir(c.ID), timeout); err != nil {
		return nil, fmt.Errorf("stopping %s: %w", c.ShortName(), err)
	}
	return c, sb.clearPaused(c) // a stop thaws a paused container, as Docker's does
}

// Kill sends a signal to a running container.
func (sb *Sandbox) Kill(name string, sig syscall.Signal) (*Container, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return nil, fmt.Errorf("%w: cannot kill container: %s: container %s is not running", ErrNotRunning, name, c.ID)
	}
	if err := runtime.Signal(sb.containerDir(c.ID), sig); err != nil {
		return nil, fmt.Errorf("killing %s: %w", c.ShortName(), err)
	}
	return c, sb.clearPaused(c) // the signal thawed it
}

// Wait blocks until the container stops and returns its exit code.
func (sb *Sandbox) Wait(name string) (int, error) {
	c, err := sb.Container(name)
	if err != nil {
		return 0, err
	}
	if !c.State.Running {
		return c.State.ExitCode, nil
	}
	return runtime.Wait(sb.containerDir(c.ID))
}

// Remove deletes a container and its writable layer; a running one only with force.
func (sb *Sandbox) Remove(name string, force bool) (*Container, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	if c.State.Running {
		if !force {
			return nil, fmt.Errorf("cannot remove container %q: %w: stop the container before removing or force remove", c.Name, ErrRunning)
		}
		dir := sb.containerDir(c.ID)
		if err := runtime.Signal(dir, syscall.SIGKILL); err != nil {
			return nil, fmt.Errorf("removing %s: %w", c.ShortName(), err)
		}
		if _, err := runtime.Wait(dir); err != nil {
			return nil, fmt.Errorf("removing %s: %w", c.ShortName(), err)
		}
	}
	return c, sb.removeRecord(c)
}

// RemoveExited removes c, which the caller saw exit (run --rm, after its exit code):
// it trusts the record it has rather than reading it again, but not its state.
func (sb *Sandbox) RemoveExited(c *Container) error {
	if st, err := runtime.Status(sb.containerDir(c.ID)); err != nil || st.Status == "running" {
		_, err := sb.Remove(c.ID, true)
		return err
	}
	return sb.removeRecord(c)
}

// removeRecord takes the stopped container c out of the store; its files go to the trash.
func (sb *Sandbox) removeRecord(c *Container) error {
	// A shim that was killed could not remove its container's cgroup.
	runtime.RemoveFreezer(sb.containerDir(c.ID))
	if c.HostConfig.AutoRemove { // --rm takes the container's anonymous volumes along, as in Docker
		defer sb.RemoveVolumesOf(c)
	}
	err := sb.Store.Write(func(w *store.Writer) error {
		// The container's folder goes first, its record with it: a crash after it
		// leaves only a layer, which system check removes.
		if err := w.Trash(sb.containerDir(c.ID)); err != nil {
			return fmt.Errorf("removing %s: %w", c.ShortName(), err)
		}
		return w.RemoveRWLayer(c.ID)
	})
	if err == nil {
		sb.emptyTrash()
	}
	return err
}

// LogEntry is one line of a container's json log.
type LogEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// Logs calls fn for every entry of the container's log. With follow, it keeps
// reading until the container stops.
func (sb *Sandbox) Logs(name string, follow bool, fn func(LogEntry) error) error {
	c, err := sb.Container(name)
	if err != nil {
		return err
	}
	f, err := os.Open(c.LogPath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading logs: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var e LogEntry
			if json.Unmarshal(line, &e) == nil {
				if err := fn(e); err != nil {
					return err
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading logs: %w", err)
		}
		if !follow {
			return nil
		}
		st, _ := runtime.Status(sb.containerDir(c.ID))
		if st.Status != "running" {
			// One more pass catches what was written just before the exit.
			follow = false
		}
		if len(line) > 0 {
			// A partial line: put it back by seeking; simpler to wait for the rest.
			f.Seek(-int64(len(line)), io.SeekCurrent)
			r.Reset(f)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Top lists the container's processes.
func (sb *Sandbox) Top(name string) ([]runtime.Proc, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return nil, fmt.Errorf("%w: container %s is not running", ErrNotRunning, c.ID)
	}
	return runtime.Top(sb.containerDir(c.ID))
}

// Exec runs another process in a running container.
func (sb *Sandbox) Exec(name string, p runtime.Process, s runtime.Streams) (int, error) {
	c, err := sb.Container(name)
	if err != nil {
		return 0, err
	}
	if !c.State.Running {
		return 0, fmt.Errorf("%w: container %s is not running", ErrNotRunning, c.ID)
	}
	if c.State.Paused {
		return 0, refused(ErrPaused, "Container %s is paused, unpause the container before exec", name)
	}
	if p.Env == nil {
		p.Env = c.Config.Env
	}
	return runtime.Exec(sb.containerDir(c.ID), p, s)
}

// parseSignal reads "SIGTERM", "TERM" or "15".
func parseSignal(s string) syscall.Signal {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && n > 0 {
		return syscall.Signal(n)
	}
	if sig, ok := signalNames[trimSIG(s)]; ok {
		return sig
	}
	return syscall.SIGTERM
}

// ParseSignal is parseSignal for the CLI (kill -s, --stop-signal).
func ParseSignal(s string) (syscall.Signal, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	if sig, ok := signalNames[trimSIG(s)]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}

func trimSIG(s string) string {
	if len(s) > 3 && (s[:3] == "SIG" || s[:3] == "sig") {
		s = s[3:]
	}
	out := []byte(s)
	for i, b := range out {
		if b >= 'a' && b <= 'z' {
			out[i] = b - 32
		}
	}
	return string(out)
}

var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "TERM": syscall.SIGTERM, "STOP": syscall.SIGSTOP,
	"CONT": syscall.SIGCONT, "WINCH": syscall.SIGWINCH, "ALRM": syscall.SIGALRM,
}

// ReapAutoRemoved removes exited containers that were run with --rm but whose
// client was not there to remove them (run -d --rm), and returns the others, newest
// first (what Containers returns, read once).
func (sb *Sandbox) ReapAutoRemoved() ([]*Container, error) {
	cs, err := sb.Containers()
	if err != nil {
		return nil, err
	}
	kept := cs[:0]
	for _, c := range cs {
		if c.HostConfig.AutoRemove && c.State.Status == "exited" {
			if _, err := sb.Remove(c.ID, false); err == nil {
				continue
			}
		}
		kept = append(kept, c)
	}
	return kept, nil
}

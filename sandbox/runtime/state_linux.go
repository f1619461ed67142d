package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dockling/dockling/internal/rawfile"
	"golang.org/x/sys/unix"
)

// Files the runtime owns in Spec.Dir.
const (
	stateFile   = "state.json"
	sockFile    = "attach.sock"
	shimPidFile = "shim.pid"
)

// diskState is state.json: the public State plus what the runtime needs to find the shim.
type diskState struct {
	Status     string    `json:"status"`
	Pid        int       `json:"pid,omitempty"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Error      string    `json:"error,omitempty"`
	ShimPid    int       `json:"shimPid,omitempty"`
	ShimStart  uint64    `json:"shimStart,omitempty"` // /proc/<pid>/stat starttime, guards against pid reuse
	InitStart  uint64    `json:"initStart,omitempty"`
	StopSignal int       `json:"stopSignal,omitempty"`
	Tty        bool      `json:"tty,omitempty"`
	// Cgroup is the container's freezer cgroup (see joinFreezer); "" when it has none.
	// It stays after the exit until removed (by the shim, else by rm).
	Cgroup string `json:"cgroup,omitempty"`
	// AwaitingAttach: exited, but the shim keeps the output for the first attacher
	// of a start that asked for one, who has not connected yet.
	AwaitingAttach bool `json:"awaitingAttach,omitempty"`
	RestartCount   int  `json:"restartCount,omitempty"`
}

func (d *diskState) public() State {
	return State{Status: d.Status, Pid: d.Pid, ExitCode: d.ExitCode, StartedAt: d.StartedAt,
		FinishedAt: d.FinishedAt, Error: d.Error, RestartCount: d.RestartCount}
}

func readState(dir string) (*diskState, error) {
	p := path.Join(dir, stateFile)
	b, err := rawfile.ReadFile(p)
	return parseState(p, b, err)
}

// parseState makes the state out of what reading the file at p returned.
func parseState(p string, b []byte, err error) (*diskState, error) {
	if errors.Is(err, os.ErrNotExist) {
		return &diskState{Status: "created"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading container state: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// state.json is written without fsync (see writeState): a host crash can leave it
		// empty. Every shim died with the host, so the container is not running.
		return &diskState{Status: "exited", ExitCode: -1, Error: "the container's state was lost (did the host crash?)"}, nil
	}
	var st diskState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("reading container state %s: %w", p, err)
	}
	return &st, nil
}

// writeState replaces state.json atomically: a reader sees the old or the new file, never
// half. It is not fsync'ed: it matters only while the host runs (after a crash no shim
// is alive, and an empty file reads as exited), and a sync costs every start and exit.
// When the disk is full, the state is overwritten in place instead, which needs no new
// block, so a container's exit code is kept even then.
func writeState(dir string, st *diskState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding container state: %w", err)
	}
	p := path.Join(dir, stateFile)
	err = writeFileAtomic(p, b, 0o644)
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		if writeInPlace(p, b) == nil {
			return nil
		}
	}
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return fmt.Errorf("saving the container state: the disk is full: %w", err)
	}
	return err
}

// writeInPlace overwrites an existing file with one write, padding with blanks (which JSON
// ignores) to its old length rather than truncating, so no reader sees a stale tail.
func writeInPlace(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if pad := fi.Size() - int64(len(data)); pad > 0 {
		data = append(data, bytes.Repeat([]byte{' '}, int(pad))...)
	}
	_, err = f.WriteAt(data, 0)
	return err
}

// writeFileAtomic writes path through a temporary file and a rename (no fsync).
func writeFileAtomic(name string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(path.Dir(name), "."+path.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// procStart returns the start time (clock ticks since boot) of pid, and whether it is alive
// (exists and is not a zombie).
func procStart(pid int) (uint64, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// comm may contain spaces and parens: fields start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false
	}
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return start, f[0] != "Z" && f[0] != "X"
}

// alive reports whether pid is the process that started at start. A state without
// a start time cannot prove who the pid is (a forged or foreign state.json naming a
// host process), so it never counts as alive: exec and signals would reach that
// process.
func alive(pid int, start uint64) bool {
	if pid <= 0 || start == 0 || unix.Kill(pid, 0) == unix.ESRCH {
		return false
	}
	s, ok := procStart(pid)
	return ok && s == start
}

// Status reports the container's state. A container whose shim died is reported exited
// (exit code 137 when its process is gone too, -1 when it is not), with Error set; the
// finding is saved so later calls agree.
func Status(dir string) (State, error) {
	st, err := status(dir)
	if err != nil {
		return State{}, err
	}
	return st.public(), nil
}

// StatusIn is Status of the container folder id in the folder open as d: a listing of
// many containers reads each state with a short path.
func StatusIn(d *rawfile.Dir, id string) (State, error) {
	p := id + "/" + stateFile
	var st *diskState
	parsed := false
	err := d.Parse(p, func(b []byte) error {
		var err error
		st, err = parseState(p, b, nil)
		parsed = true
		return err
	})
	if !parsed { // the read failed: no file is a created container
		st, err = parseState(p, nil, err)
	}
	if err != nil {
		return State{}, err
	}
	if st.Status == "running" && !alive(st.ShimPid, st.ShimStart) {
		return Status(path.Join(d.Name(), id)) // the slow path settles the dead shim
	}
	return st.public(), nil
}

func status(dir string) (*diskState, error) {
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	if st.Status != "running" || alive(st.ShimPid, st.ShimStart) {
		return st, nil
	}
	// Re-read: the shim may have just written its final state and exited.
	if st2, err := readState(dir); err == nil && st2.Status != "running" {
		return st2, nil
	}
	st.Status = "exited"
	st.FinishedAt = time.Now().UTC()
	if alive(st.Pid, st.InitStart) {
		// The init is killed with the shim (pdeathsig); it lingering means something odd.
		st.ExitCode = -1
		st.Error = "container shim died; the container process is still running"
	} else {
		st.ExitCode = 137
		st.Error = "container shim died unexpectedly"
	}
	st.Pid = 0
	_ = writeState(dir, st)
	_ = os.Remove(path.Join(dir, sockFile))
	return st, nil
}

// Signal sends sig to the container's pid 1.
func Signal(dir string, sig syscall.Signal) error {
	st, err := status(dir)
	if err != nil {
		return err
	}
	if st.Status != "running" || !alive(st.Pid, st.InitStart) {
		return ErrNotRunning
	}
	markStopped(dir) // a stop or kill ends the restart policy, as in Docker
	thawAbandoned(st.Cgroup, path.Base(dir))
	if err := unix.Kill(st.Pid, sig); err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("sending %v to the container: %w", sig, err)
	}
	return nil
}

// Stop sends the stop signal (Spec.StopSignal, default SIGTERM), waits up to timeout for
// the container to exit, then sends SIGKILL and waits for the exit.
// Like Docker, a pid 1 without a handler for the signal ignores it (bash does).
func Stop(dir string, timeout time.Duration) error {
	st, err := status(dir)
	if err != nil {
		return err
	}
	if st.Status != "running" {
		return nil
	}
	sig := syscall.Signal(st.StopSignal)
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if timeout > 0 {
		if err := Signal(dir, sig); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		if _, err := wait(dir, timeout); err == nil {
			return nil
		} else if !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
	}
	if err := Signal(dir, syscall.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	// SIGKILL cannot be ignored; the bound only guards against a wedged kernel or shim.
	_, err = wait(dir, time.Minute)
	if err != nil {
		return fmt.Errorf("stopping container: %w", err)
	}
	return nil
}

// Wait blocks until the container exits and returns its exit code. For a container that
// is not running it returns the last exit code at once.
func Wait(dir string) (int, error) {
	return wait(dir, 0)
}

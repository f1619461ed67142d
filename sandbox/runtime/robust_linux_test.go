package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Readers of state.json never see a torn or half-written file while shims replace it.
func TestStateAtomic(t *testing.T) {
	dir := t.TempDir()
	const writers, writes = 4, 100
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				// Different lengths, so a torn read could not parse.
				st := &diskState{Status: "exited", ExitCode: w*1000 + i, Error: strings.Repeat("x", (w*writes+i)%300)}
				if err := writeState(dir, st); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var readErr error
	reads := 0
	var rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			st, err := readState(dir)
			if err != nil {
				readErr = err
				return
			}
			if st.Status != "created" && (st.Status != "exited" || len(st.Error) != (st.ExitCode/1000*writes+st.ExitCode%1000)%300) {
				readErr = fmt.Errorf("mixed-up state %+v", st)
				return
			}
			reads++
		}
	})
	wg.Wait()
	close(done)
	rg.Wait()
	if readErr != nil {
		t.Fatalf("after %d good reads: %v", reads, readErr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// state.json is not fsync'ed; the one a host crash can leave (empty) reads as exited.
func TestStateLost(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, stateFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Status(dir)
	if err != nil || st.Status != "exited" || !strings.Contains(st.Error, "lost") {
		t.Fatalf("Status of an empty state.json = %+v, %v", st, err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Status(dir); err == nil {
		t.Fatal("Status of a corrupt state.json: no error")
	}
}

// writeInPlace, the full-disk fallback, leaves a file that parses whatever came before.
func TestWriteInPlace(t *testing.T) {
	dir := t.TempDir()
	long := &diskState{Status: "running", Pid: 12345, Error: strings.Repeat("e", 100)}
	if err := writeState(dir, long); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&diskState{Status: "exited", ExitCode: 3})
	if err := writeInPlace(filepath.Join(dir, stateFile), b); err != nil {
		t.Fatal(err)
	}
	st, err := readState(dir)
	if err != nil || st.Status != "exited" || st.ExitCode != 3 || st.Pid != 0 || st.Error != "" {
		t.Fatalf("after writeInPlace: %+v, %v", st, err)
	}
}

// smallDisk mounts a tiny tmpfs on dir (root only); it is unmounted when the test ends.
func smallDisk(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=256k,mode=755"); err != nil {
		t.Skipf("mounting a small tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
}

// fillDisk writes dir/filler until the file system is full.
func fillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// A full disk: Start fails saying so, and a running container's exit is still recorded.
func TestDiskFull(t *testing.T) {
	requireRoot(t)
	t.Run("start", func(t *testing.T) {
		spec := newSpec(t, "true")
		smallDisk(t, spec.Dir)
		fillDisk(t, spec.Dir)
		err := Start(*spec, StartOptions{})
		if err == nil || !strings.Contains(err.Error(), "is full") || !strings.Contains(err.Error(), "no space left on device") {
			t.Fatalf("Start on a full disk = %v", err)
		}
		t.Log(err)
		if st, err := Status(spec.Dir); err != nil || st.Status == "running" {
			t.Fatalf("Status after a failed start = %+v, %v", st, err)
		}
	})
	t.Run("exit", func(t *testing.T) {
		spec := newSpec(t, "sleep", "1000")
		smallDisk(t, spec.Dir)
		if err := Start(*spec, StartOptions{}); err != nil {
			t.Fatal(err)
		}
		fillDisk(t, spec.Dir)
		if err := Stop(spec.Dir, 0); err != nil {
			t.Fatal(err)
		}
		st, err := Status(spec.Dir)
		if err != nil || st.Status != "exited" || st.ExitCode != 137 || st.Error != "" {
			t.Fatalf("Status after exiting on a full disk = %+v, %v", st, err)
		}
		if err := writeState(spec.Dir, &diskState{Status: "exited", Error: strings.Repeat("x", 8192)}); err == nil || !strings.Contains(err.Error(), "disk is full") {
			t.Fatalf("writeState of a big state on a full disk = %v", err)
		}
	})
}

// The shim's pid 1 dies with the shim; Status notices at once and a new Start works.
func TestShimKilledThenStart(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	st0, _ := readState(spec.Dir)
	if err := syscall.Kill(st0.ShimPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Start's goroutine reaps the shim (it is this process's child).
	waitFor(t, "the shim to be gone", func() bool { return !alive(st0.ShimPid, st0.ShimStart) })
	st, err := Status(spec.Dir)
	if err != nil || st.Status != "exited" || st.Error == "" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	waitFor(t, "the container process to die with its shim", func() bool { return !alive(st0.Pid, st0.InitStart) })
	spec.Process.Args = []string{"sh", "-c", "exit 5"}
	code, _, _ := run(t, spec)
	if code != 5 {
		t.Fatalf("run after the shim crash: %d", code)
	}
	if st, _ := Status(spec.Dir); st.Error != "" || st.ExitCode != 5 {
		t.Fatalf("Status after the new run = %+v", st)
	}
}

// A state.json naming a live host process without its start time (a forged or
// foreign one, as a submitted bundle could carry) is not a running container: exec
// must not join that process's namespaces, nor signals reach it.
func TestStateWithoutStartTimeIsNotRunning(t *testing.T) {
	dir := t.TempDir()
	self := os.Getpid()
	forged := []byte(fmt.Sprintf(`{"status":"running","pid":%d,"shimPid":%d}`, self, self))
	if err := os.WriteFile(filepath.Join(dir, stateFile), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Status(dir)
	if err != nil || st.Status != "exited" {
		t.Fatalf("Status of a forged running state = %+v, %v; want exited", st, err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Exec(dir, Process{Args: []string{"/bin/true"}}, Streams{}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Exec with a forged host pid: %v; want ErrNotRunning", err)
	}
	if err := Signal(dir, syscall.Signal(0)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal with a forged host pid: %v; want ErrNotRunning", err)
	}
}

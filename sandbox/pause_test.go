package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockling/dockling/sandbox/runtime"
)

// startWriter starts a container that appends to /log without pause and waits until
// the log is there; it returns the container and the log's path on the host.
func startWriter(t *testing.T, sb *Sandbox) (*Container, string) {
	t.Helper()
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"sh", "-c", "while :; do date >> /log; done"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) })
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	dir := rw.Upper
	if rw.Driver == "vfs" {
		dir = rw.Copy
	}
	log := filepath.Join(dir, "log")
	waitFor(t, "the container to write its log", func() bool { return logSize(log) > 0 })
	return c, log
}

func logSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// containerFreezer opens the container's freezer cgroup (the test skips without one).
func containerFreezer(t *testing.T, sb *Sandbox, c *Container) *runtime.Freezer {
	t.Helper()
	f, err := runtime.OpenFreezer(context.Background(), sb.containerDir(c.ID))
	if errors.Is(err, runtime.ErrNoFreezer) {
		t.Skip("containers get no freezer cgroup here")
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func setPausedHook(t *testing.T, fn func(*runtime.Freezer)) {
	pausedHook = fn
	t.Cleanup(func() { pausedHook = nil })
}

// A running container is frozen while commit reads its layer (it writes nothing
// meanwhile), runs on afterwards, and the image holds the log as it was when frozen.
func TestCommitFreezesARunningContainer(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, log := startWriter(t, sb)
	containerFreezer(t, sb, c).Close()
	var frozen, still bool
	var snapshot []byte
	setPausedHook(t, func(f *runtime.Freezer) {
		frozen, _ = f.Frozen()
		before := logSize(log)
		time.Sleep(100 * time.Millisecond)
		still = logSize(log) == before
		snapshot, _ = os.ReadFile(log)
	})
	res, err := sb.Commit(c.ID, CommitOptions{Ref: "snap:1", Pause: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Warning != "" {
		t.Errorf("warning %q for a container with a freezer", res.Warning)
	}
	if !frozen || !still {
		t.Fatalf("during the commit: frozen %v, log unchanged %v; want both", frozen, still)
	}
	after := logSize(log)
	waitFor(t, "the log to grow after the commit", func() bool { return logSize(log) > after })
	fsys, err := sb.ImageFS("snap:1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(fsys, "log")
	if err != nil {
		t.Fatal(err)
	}
	if len(snapshot) == 0 || !bytes.Equal(got, snapshot) {
		t.Fatalf("the image's /log (%d bytes) is not the log when frozen (%d bytes)", len(got), len(snapshot))
	}
}

// A commit whose context ends while the container is frozen (Ctrl-C) thaws it, gives
// up and makes no image.
func TestInterruptedCommitThaws(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, log := startWriter(t, sb)
	containerFreezer(t, sb, c).Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setPausedHook(t, func(f *runtime.Freezer) {
		cancel()
		// The thaw runs at once, not when the commit returns.
		waitFor(t, "the thaw", func() bool { fr, err := f.Frozen(); return err == nil && !fr })
	})
	_, err = sb.Commit(c.ID, CommitOptions{Ref: "snap:2", Pause: true, Context: ctx})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit = %v, want it interrupted", err)
	}
	if _, err := sb.ImageFS("snap:2"); err == nil {
		t.Fatal("the interrupted commit made an image")
	}
	f := containerFreezer(t, sb, c)
	defer f.Close()
	if fr, err := f.Frozen(); err != nil || fr {
		t.Fatalf("after the interrupted commit: frozen %v, %v", fr, err)
	}
	after := logSize(log)
	waitFor(t, "the log to grow", func() bool { return logSize(log) > after })
}

// --pause=false commits a running container without freezing it and without a warning.
func TestCommitWithoutPause(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := startWriter(t, sb)
	called := false
	setPausedHook(t, func(*runtime.Freezer) { called = true })
	res, err := sb.Commit(c.ID, CommitOptions{Pause: false})
	if err != nil {
		t.Fatal(err)
	}
	if called || res.Warning != "" {
		t.Fatalf("--pause=false: frozen %v, warning %q", called, res.Warning)
	}
}

// The container's cgroup goes when its process ends, and with rm (also when a killed
// shim left it); system check's FreezerLeftovers thaws one a killed commit left frozen
// and removes one whose container is gone.
func TestFreezerCgroupLifetime(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"sleep", "100"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) })
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	f := containerFreezer(t, sb, c)
	cg := f.Dir()
	f.Close()
	gone := func() bool { _, err := os.Stat(cg); return errors.Is(err, os.ErrNotExist) }
	if _, err := sb.Stop(c.ID, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cgroup to go after the exit", gone)

	// A commit killed while the container was frozen: frozen, nobody holds the lock.
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	f = containerFreezer(t, sb, c)
	cg = f.Dir()
	if err := f.Freeze(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fixLeftover(t, cg, "frozen")
	f = containerFreezer(t, sb, c)
	if fr, err := f.Frozen(); err != nil || fr {
		t.Fatalf("after system check: frozen %v, %v", fr, err)
	}
	f.Close()

	// A shim killed: its container dies, the empty cgroup stays until rm or system check.
	st, err := os.ReadFile(filepath.Join(sb.containerDir(c.ID), "shim.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(st)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the container to stop", func() bool {
		c2, err := sb.Container(c.ID)
		return err == nil && !c2.State.Running
	})
	// Whatever else took it away, system check must not leave the cgroup of a
	// container that is gone (an empty one counts only once it is a few seconds old).
	for end := time.Now().Add(15 * time.Second); !gone() && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for _, l := range sb.FreezerLeftovers() {
			if strings.Contains(l.What, cg) {
				if !strings.Contains(l.What, "gone") {
					t.Fatalf("leftover %q, want one of a container that is gone", l.What)
				}
				if err := l.Fix(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if !gone() {
		b, _ := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
		t.Fatalf("system check left the cgroup of a container that is gone (processes: %q)", b)
	}

	// rm removes what is left.
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	f = containerFreezer(t, sb, c)
	cg = f.Dir()
	f.Close()
	if _, err := sb.Remove(c.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cgroup to go with rm", gone)
}

// fixLeftover waits until FreezerLeftovers lists the cgroup dir (an empty one only
// once it is a few seconds old), checks that its What mentions want, and fixes only
// that one: others may belong to other tests.
func fixLeftover(t *testing.T, dir, want string) {
	t.Helper()
	var found *runtime.Leftover
	waitFor(t, "system check to list "+dir, func() bool {
		for _, l := range runtime.FreezerLeftovers(func(string) bool { return true }) {
			if strings.Contains(l.What, dir) {
				found = &l
				return true
			}
		}
		return false
	})
	if !strings.Contains(found.What, want) {
		t.Fatalf("leftover %q, want one that says %q", found.What, want)
	}
	if err := found.Fix(); err != nil {
		t.Fatal(err)
	}
}

// A commit killed while the container was frozen (SIGKILL: no thaw ran) leaves the
// cgroup frozen with nobody holding it. stop, kill and rm -f must still end the
// container, as Docker's do a paused one: they thaw it first.
func TestStopKillRemoveThawAbandonedFreeze(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"stop", "kill", "rm -f"} {
		t.Run(strings.ReplaceAll(verb, " ", ""), func(t *testing.T) {
			c, _ := startWriter(t, sb)
			f := containerFreezer(t, sb, c)
			if err := f.Freeze(context.Background()); err != nil {
				f.Close()
				t.Fatal(err)
			}
			f.Close() // as a killed commit's lock goes: the cgroup stays frozen
			t.Cleanup(func() {
				if g, err := runtime.OpenFreezer(context.Background(), sb.containerDir(c.ID)); err == nil {
					_ = g.Thaw()
					g.Close()
				}
			})
			done := make(chan error, 1)
			go func() {
				var err error
				switch verb {
				case "stop":
					_, err = sb.Stop(c.ID, time.Second)
				case "kill":
					if _, err = sb.Kill(c.ID, syscall.SIGKILL); err == nil {
						_, err = sb.Wait(c.ID)
					}
				default:
					_, err = sb.Remove(c.ID, true)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v", verb, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s of a container a killed commit left frozen did not return in 10 s", verb)
			}
		})
	}
}

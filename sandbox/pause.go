package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/dockling/dockling/sandbox/runtime"
)

// notPausedWarning is what commit says when a running container cannot be paused.
const notPausedWarning = "the container could not be paused (it has no freezer cgroup: rootless without a delegated cgroup subtree, or started by an older dockling); the snapshot may be inconsistent"

// pausedHook, when set (by tests), runs while the container is frozen for a commit.
var pausedHook func(f *runtime.Freezer)

// pause freezes a running container's cgroup, so that its layer is read in one state
// and its processes notice nothing (no SIGSTOP a shell's job control would report).
// resume thaws it; it may be called more than once. The end of ctx (SIGINT or SIGTERM
// in the CLI) thaws it at once, while the commit gives up. A container without a
// freezer cgroup runs on, with a warning.
func (sb *Sandbox) pause(ctx context.Context, c *Container) (resume func(), warning string, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	// The CLI's context catches SIGINT and SIGTERM only once asked: from here on, an
	// interrupted commit thaws before it exits rather than dying with the container frozen.
	_ = ctx.Done()
	if c.State.Paused {
		return func() {}, "", nil // paused already, and it stays so
	}
	f, err := runtime.OpenFreezer(ctx, sb.containerDir(c.ID))
	switch {
	case errors.Is(err, runtime.ErrNoFreezer):
		return func() {}, notPausedWarning, nil
	case errors.Is(err, runtime.ErrNotRunning):
		return func() {}, "", nil // it stopped meanwhile: nothing runs to pause
	case err != nil:
		return nil, "", fmt.Errorf("pausing container: %w", err)
	}
	if err := f.Freeze(ctx); err != nil {
		f.Close()
		return nil, "", err
	}
	var once sync.Once
	thaw := func() {
		once.Do(func() {
			_ = f.Thaw()
			f.Close()
		})
	}
	stop := context.AfterFunc(ctx, thaw)
	if pausedHook != nil {
		pausedHook(f)
	}
	return func() {
		stop()
		thaw() // waits for the AfterFunc's thaw when that one runs
	}, "", nil
}

// interruptible makes a read of r fail once ctx ends, so an interrupted commit stops
// writing its layer (and, its store write undone, leaves no image).
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	if ctx == nil {
		return r
	}
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("interrupted: %w", err)
	}
	return c.r.Read(p)
}

// FreezerLeftovers lists what interrupted commits and killed shims left of this
// sandbox's containers' freezer cgroups (see runtime.FreezerLeftovers); other data
// roots' containers share the cgroup folder and are left alone.
func (sb *Sandbox) FreezerLeftovers() []runtime.Leftover {
	return runtime.FreezerLeftovers(func(id string) bool {
		_, err := os.Stat(sb.containerDir(id))
		// A container paused by `docker pause` is frozen on purpose.
		_, paused := os.Stat(filepath.Join(sb.containerDir(id), pausedFile))
		return err == nil && paused != nil
	})
}

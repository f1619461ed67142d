package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockling/dockling/sandbox/runtime"
)

// pausedFile marks a container paused by `docker pause` (not by a commit), so that
// listings say so and system check does not take its frozen cgroup for a leftover.
const pausedFile = "paused"

// Errors of pause and unpause, in Docker's words.
var (
	ErrPaused    = errors.New("container is paused")
	ErrNotPaused = errors.New("container is not paused")
	// ErrCannotPause is a running container without a freezer cgroup.
	ErrCannotPause = errors.New("cannot pause: the container has no freezer cgroup (rootless without a delegated cgroup v2 subtree, or started by an older dockling)")
)

// stateError is Docker's words for what a container's state refuses; errors.Is
// matches its kind.
type stateError struct {
	kind error
	msg  string
}

func (e *stateError) Error() string { return e.msg }
func (e *stateError) Unwrap() error { return e.kind }

func refused(kind error, format string, a ...any) error {
	return &stateError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

// Pause freezes every process of a running container, as `docker pause` does.
func (sb *Sandbox) Pause(name string) error {
	c, err := sb.Container(name)
	if err != nil {
		return err
	}
	switch {
	case !c.State.Running:
		return refused(ErrNotRunning, "Container %s is not running", c.ID)
	case c.State.Paused:
		return refused(ErrPaused, "Container %s is already paused", c.ID)
	}
	dir := sb.containerDir(c.ID)
	f, err := runtime.OpenFreezer(context.Background(), dir)
	switch {
	case errors.Is(err, runtime.ErrNoFreezer):
		return ErrCannotPause
	case err != nil:
		return err
	}
	defer f.Close()
	// The mark first: a frozen cgroup without it would be a commit's leftover.
	if err := os.WriteFile(filepath.Join(dir, pausedFile), nil, 0o644); err != nil {
		return fmt.Errorf("pausing container: %w", err)
	}
	if err := f.Freeze(context.Background()); err != nil {
		os.Remove(filepath.Join(dir, pausedFile))
		return err
	}
	return nil
}

// Unpause thaws a paused container.
func (sb *Sandbox) Unpause(name string) error {
	c, err := sb.Container(name)
	if err != nil {
		return err
	}
	if !c.State.Paused {
		return refused(ErrNotPaused, "Container %s is not paused", c.ID)
	}
	dir := sb.containerDir(c.ID)
	f, err := runtime.OpenFreezer(context.Background(), dir)
	if err != nil {
		return fmt.Errorf("unpausing container: %w", err)
	}
	defer f.Close()
	if err := f.Thaw(); err != nil {
		return err
	}
	return sb.clearPaused(c)
}

// clearPaused drops the mark once the container runs again (or is stopped).
func (sb *Sandbox) clearPaused(c *Container) error {
	if err := os.Remove(filepath.Join(sb.containerDir(c.ID), pausedFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

package runtime

import (
	"errors"
	"os"
	"path"
	"time"
)

// Restart policies (run --restart) are the shim's: there is no daemon. When the
// container's command ends and the policy says so, the shim starts a new shim for
// the same container after Docker's back-off (100 ms, doubling) and exits. A stop or
// kill leaves a mark that ends the restarts, as Docker's "manually stopped". Nothing
// survives a reboot: no process is left to start the container again.

// stoppedFile marks a container stopped or killed by hand since its last start.
const stoppedFile = "stopped-manually"

// maxBackoff bounds the wait between restarts.
const maxBackoff = 10 * time.Second

// markStopped records a stop or kill, before its signal, so the shim does not restart.
func markStopped(dir string) { _ = os.WriteFile(path.Join(dir, stoppedFile), nil, 0o644) }

// clearStopped forgets the mark as the container starts.
func clearStopped(dir string) { _ = os.Remove(path.Join(dir, stoppedFile)) }

// shouldRestart applies the policy to an exit with code after count restarts.
func shouldRestart(spec *Spec, code int) bool {
	if _, err := os.Stat(path.Join(spec.Dir, stoppedFile)); !errors.Is(err, os.ErrNotExist) {
		return false
	}
	switch spec.Restart.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (spec.Restart.MaximumRetryCount == 0 || spec.RestartCount < spec.Restart.MaximumRetryCount)
	}
	return false
}

// restart starts the container again from a new shim, after the back-off.
func restart(spec Spec) error {
	wait := 100 * time.Millisecond << min(spec.RestartCount, 10)
	time.Sleep(min(wait, maxBackoff))
	if _, err := os.Stat(path.Join(spec.Dir, stoppedFile)); err == nil {
		return nil // stopped (or removed) meanwhile
	}
	if _, err := os.Stat(spec.Dir); err != nil {
		return nil
	}
	spec.RestartCount++
	return Start(spec, StartOptions{})
}

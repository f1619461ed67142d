package sandbox

import (
	"os"
	"os/exec"
	"syscall"

	"github.com/dockling/dockling/sandbox/store"
)

// emptyTrashEnv names the data root a re-executed dockling empties the trash of.
const emptyTrashEnv = "_DOCKLING_EMPTY_TRASH"

// A dockling re-executed to empty a trash does only that (see emptyTrash).
func init() {
	if root := os.Getenv(emptyTrashEnv); root != "" {
		code := 0
		if store.EmptyTrash(root) != nil {
			code = 1
		}
		os.Exit(code)
	}
}

// emptyTrash deletes what Remove moved to the trash, in a process of its own that
// outlives this one: the command that removed the container need not wait for the
// file system (`run --rm` answers that much sooner). Where no process can be started,
// it deletes it here.
// One reaper at a time per sandbox: it empties the trash until nothing is left, so a
// loop of removals (rm a b c, container prune) starts one process, not one each.
func (sb *Sandbox) emptyTrash() {
	if !sb.reaping.CompareAndSwap(false, true) {
		return
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"dockling-empty-trash"},
		Env:         []string{emptyTrashEnv + "=" + sb.dir},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err == nil {
		go func() {
			_ = cmd.Wait() // no zombie while this process lives on (a lesson session)
			sb.reaping.Store(false)
		}()
		return
	}
	_ = store.EmptyTrash(sb.dir)
	sb.reaping.Store(false)
}

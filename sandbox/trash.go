package sandbox

import "github.com/dockling/dockling/sandbox/trash"

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
	dir := sb.Store.TmpDir()
	if pid, err := trash.Start(dir); err == nil {
		go func() {
			_ = trash.Wait(pid) // no zombie while this process lives on (a lesson session)
			sb.reaping.Store(false)
		}()
		return
	}
	_ = trash.Empty(dir)
	sb.reaping.Store(false)
}

package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// Snapshots is a Sandbox that keeps what it holds at the start of each step (the
// real one does, see sandbox.Snapshot), so that back and reset put it back.
type Snapshots interface {
	// Snapshot keeps the sandbox as it is now, as the start of step.
	Snapshot(step string) error
	// Restore puts the sandbox back as it was at the start of step.
	Restore(step string) (sandbox.Restored, error)
	// HasSnapshot reports whether the start of step is kept.
	HasSnapshot(step string) bool
	// DropSnapshots removes the snapshots of every step not in keep.
	DropSnapshots(keep []string) error
}

func (r *realSandbox) open() (*sandbox.Sandbox, error) { return sandbox.Open(r.dir) }

func (r *realSandbox) Snapshot(step string) error {
	sb, err := r.open()
	if err != nil {
		return err
	}
	return sb.Snapshot(step)
}

func (r *realSandbox) Restore(step string) (sandbox.Restored, error) {
	sb, err := r.open()
	if err != nil {
		return sandbox.Restored{}, err
	}
	return sb.Restore(step)
}

func (r *realSandbox) HasSnapshot(step string) bool {
	sb, err := r.open()
	return err == nil && sb.HasSnapshot(step)
}

func (r *realSandbox) DropSnapshots(keep []string) error {
	sb, err := r.open()
	if err != nil {
		return err
	}
	return sb.DropSnapshots(keep)
}

// takeSnapshot keeps the sandbox as the current step begins; steps no longer in the
// lesson lose theirs. A failure costs only the undo, so it is a warning.
func (s *Session) takeSnapshot() {
	sn, ok := s.cfg.Sandbox.(Snapshots)
	if !ok {
		return
	}
	if err := sn.Snapshot(s.steps[s.p.Step].ID); err != nil {
		s.warn(fmt.Sprintf("%v (back and reset cannot put this step's start back)", err))
	}
}

// dropSnapshots keeps the snapshots of steps[from:to] only.
func (s *Session) dropSnapshots(from, to int) {
	sn, ok := s.cfg.Sandbox.(Snapshots)
	if !ok {
		return
	}
	var keep []string
	for _, st := range s.steps[from:to] {
		keep = append(keep, st.ID)
	}
	if err := sn.DropSnapshots(keep); err != nil {
		s.warn(err.Error())
	}
}

// back goes to the previous step (from a finished lesson, to the last one) with the
// sandbox as it was when that step began; the step is to be done again.
func (s *Session) back(ctx context.Context) {
	if s.p.Step == 0 && !s.p.Done {
		fmt.Fprintln(s.out, "This is the first step.")
		return
	}
	to := s.p.Step - 1
	if s.p.Done {
		to = s.p.Step
	}
	if s.restore(to) {
		fmt.Fprintf(s.out, "Back to step %d, with the sandbox as it was when that step began: do it again.\n", to+1)
		s.dropSnapshots(0, to+1) // later steps' are taken again when the learner gets there
	}
	s.goTo(ctx, to)
}

// restore puts the sandbox back to the start of step i and forgets that step and
// those after it (done, their bindings, their commands); false when it cannot, said.
func (s *Session) restore(i int) bool {
	sn, ok := s.cfg.Sandbox.(Snapshots)
	id := s.steps[i].ID
	if !ok || !sn.HasSnapshot(id) {
		fmt.Fprintf(s.out, "The sandbox as step %d began was not kept; it stays as it is.\n", i+1)
		return false
	}
	res, err := sn.Restore(id)
	if err != nil {
		s.warn(err.Error())
		return false
	}
	for _, name := range res.Restarted {
		fmt.Fprintf(s.out, "%s was running when the step began: it is started again (its command runs afresh).\n", s.st.code.Sprint(name))
	}
	for _, name := range slices.Sorted(maps.Keys(res.Failed)) {
		fmt.Fprintf(s.out, "%s was running when the step began, but could not be started again: %s\n", s.st.code.Sprint(name), res.Failed[name])
	}
	later := map[string]bool{}
	for _, st := range s.steps[i:] {
		later[st.ID] = true
		delete(s.p.Hints, st.ID)
	}
	s.p.Completed = slices.DeleteFunc(s.p.Completed, func(id string) bool { return later[id] })
	s.p.Skipped = slices.DeleteFunc(s.p.Skipped, func(id string) bool { return later[id] })
	for name, made := range s.cfg.Lesson.Made {
		if made.Step >= i {
			delete(s.p.Bindings, name)
		}
	}
	s.p.Done = false
	s.fails = 0
	// Commands typed before no longer count for the step, nor for those after it.
	if seq, _, err := journal.Head(s.cfg.Sandbox.Dir()); err == nil {
		s.p.Since = seq
		if s.p.Opened == nil {
			s.p.Opened = map[string]int{}
		}
		for id := range later {
			s.p.Opened[id] = seq
		}
	}
	return true
}

// resetStep puts the sandbox back as it was when the current step began, and the
// step is to be done again. Without a snapshot (a session from before snapshots),
// it removes the containers and images made since the step began.
func (s *Session) resetStep(ctx context.Context) {
	if sn, ok := s.cfg.Sandbox.(Snapshots); ok && sn.HasSnapshot(s.steps[s.p.Step].ID) {
		ok, err := s.cfg.Prompter.Confirm(ctx, "Put the sandbox back as it was when this step began?", false)
		if err != nil || !ok {
			fmt.Fprintln(s.out, "Nothing was reset.")
			return
		}
		if !s.restore(s.p.Step) {
			return
		}
		fmt.Fprintln(s.out, "The sandbox is as it was when this step began: containers, their files, images and tags.")
		s.save()
		s.showStep()
		if st := s.steps[s.p.Step]; st.Quiz != nil {
			s.quiz(ctx)
		}
		return
	}
	s.removeSince(ctx)
}

// removeSince is the step reset without a snapshot: what was made since goes.
func (s *Session) removeSince(ctx context.Context) {
	start := s.p.StepStart
	if start == nil {
		fmt.Fprintf(s.out, "dockling does not know what this step began with; %s starts the whole lesson over.\n", s.st.code.Sprint("reset lesson"))
		return
	}
	ok, err := s.cfg.Prompter.Confirm(ctx, "Remove the containers and images made since this step began?", false)
	if err != nil || !ok {
		fmt.Fprintln(s.out, "Nothing was reset.")
		return
	}
	removed, err := s.cfg.Sandbox.RemoveExcept(start.Containers, start.Images)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.warn(err.Error())
	}
	if len(removed) == 0 {
		fmt.Fprintln(s.out, "Nothing was made since this step began.")
	} else {
		fmt.Fprintf(s.out, "Removed %s.\n", strings.Join(removed, ", "))
	}
	fmt.Fprintln(s.out, s.st.dim.Sprint("(Containers that existed before keep their changes.)"))
	st := s.steps[s.p.Step]
	delete(s.p.Hints, st.ID)
	s.p.Completed = slices.DeleteFunc(s.p.Completed, func(id string) bool { return id == st.ID })
	s.fails = 0
	if seq, _, err := journal.Head(s.cfg.Sandbox.Dir()); err == nil {
		s.p.Since = seq
	}
	s.save()
	s.showStep()
	if st.Quiz != nil {
		s.quiz(ctx)
	}
}

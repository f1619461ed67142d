package lessons

import (
	"fmt"
	"maps"
	"strings"

	"github.com/dockling/dockling/checker"
)

// Runner carries out a lesson's shell lines in a sandbox for AuthorTest.
type Runner interface {
	// Reset empties the sandbox and makes the lesson's images ready.
	Reset() error
	// Run runs a solution or a wrong answer (shell lines, with docker meaning
	// dockling) without a terminal, recording each command in the sandbox's journal
	// with its output, as the session does. A command that fails is not an error
	// (wrong answers may fail); Run fails only when it cannot run at all.
	Run(script string) error
	// View shows the sandbox to the checks.
	View() checker.View
}

// Snapshotter is a Runner that can save the sandbox and put it back, which spares
// AuthorTest replaying every earlier solution after each wrong answer.
type Snapshotter interface {
	// Save records the sandbox as it is; the returned function restores it.
	Save() (restore func() error, err error)
}

// Phases of a step in the author test, in the order they run.
const (
	PhaseBefore = "before" // the checks fail before the solution
	PhaseWrong  = "wrong"  // a wrong answer is rejected ("wrong 1", "wrong 2", …)
	PhaseAfter  = "after"  // the checks pass after the solution
	PhaseAgain  = "again"  // checking again gives the same result
)

// PhaseResult is one phase of one step in the author test.
type PhaseResult struct {
	Step  string
	Phase string // PhaseBefore, "wrong N", PhaseAfter, PhaseAgain
	OK    bool
	// Detail says what happened: why it is fine ("checks fail", "rejected") or, when
	// not OK, what is wrong.
	Detail string
	File   string
	Pos    checker.Pos // the step, solution or wrong answer concerned
}

// String is the phase's report line: "step s: before ok (checks fail)", or for a
// failure "file:line:col: step s: wrong 1 FAIL: …".
func (p PhaseResult) String() string {
	if p.OK {
		return fmt.Sprintf("step %s: %s ok (%s)", p.Step, p.Phase, p.Detail)
	}
	return fmt.Sprintf("%s:%d:%d: step %s: %s FAIL: %s", p.File, p.Pos.Line, p.Pos.Col, p.Step, p.Phase, p.Detail)
}

// Problem is the failed phase as a positioned problem.
func (p PhaseResult) Problem() Problem {
	return Problem{File: p.File, Line: p.Pos.Line, Col: p.Pos.Col, Msg: fmt.Sprintf("step %s: %s: %s", p.Step, p.Phase, p.Detail)}
}

// AuthorOptions narrow an author test.
type AuthorOptions struct {
	// Step tests only the step with this ID; the steps before it are replayed (their
	// solutions run to reach its starting state) but not tested.
	Step string
}

// AuthorTest proves a lesson's steps, each in phases: before its solution its checks
// fail; after each of its wrong answers (run on the state the earlier solutions
// leave) they fail; after its solution they pass; and checking again gives the same
// result. Quiz steps are skipped. The error is for a runner that broke (or an
// unknown opts.Step); the phases up to then come back with it.
func AuthorTest(l *Lesson, r Runner, opts AuthorOptions) ([]PhaseResult, error) {
	if opts.Step != "" && l.Step(opts.Step) == nil {
		return nil, fmt.Errorf("author test: %s has no step %q", l.ID, opts.Step)
	}
	var out []PhaseResult
	phase := func(s *Step, name string, ok bool, at checker.Pos, format string, args ...any) {
		if at.Line == 0 {
			at = s.Pos
		}
		out = append(out, PhaseResult{Step: s.ID, Phase: name, OK: ok, Detail: fmt.Sprintf(format, args...), File: l.File, Pos: at})
	}
	if err := r.Reset(); err != nil {
		return nil, fmt.Errorf("author test: resetting the sandbox: %w", err)
	}
	b := checker.Bindings{}
	for i, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		since, err := LastSeq(r.View())
		if err != nil {
			return out, fmt.Errorf("author test: reading the journal: %w", err)
		}
		if opts.Step != "" && s.ID != opts.Step {
			// Only replayed: its solution makes the state (and bindings) later steps need.
			if b, err = runSolution(s, r, b, since); err != nil {
				return out, err
			}
			continue
		}
		if res := EvaluateStep(s, r.View(), b, since); res.Passed {
			phase(s, PhaseBefore, false, s.Pos, "the checks pass before the solution ran: they prove nothing")
		} else {
			phase(s, PhaseBefore, true, s.Pos, "checks fail")
		}
		for n, wrong := range s.Wrong {
			name := fmt.Sprintf("%s %d", PhaseWrong, n+1)
			var at checker.Pos
			if n < len(s.wrongAt) {
				at = s.wrongAt[n]
			}
			restore, err := save(r)
			if err != nil {
				return out, err
			}
			script, err := checker.Render(wrong, b)
			if err != nil {
				phase(s, name, false, at, "%v", err)
				continue
			}
			if err := r.Run(script); err != nil {
				return out, fmt.Errorf("author test: step %s: running wrong answer %d: %w", s.ID, n+1, err)
			}
			if res := EvaluateStep(s, r.View(), b, since); res.Passed {
				phase(s, name, false, at, "the wrong answer passes the checks: %s", oneLine(wrong))
			} else {
				phase(s, name, true, at, "rejected")
			}
			if restore != nil {
				if err := restore(); err != nil {
					return out, fmt.Errorf("author test: restoring the sandbox: %w", err)
				}
			} else if b, err = replay(l, r, i); err != nil {
				return out, err
			}
			if since, err = LastSeq(r.View()); err != nil {
				return out, fmt.Errorf("author test: reading the journal: %w", err)
			}
		}
		script, err := checker.Render(s.Solution, b)
		if err != nil {
			phase(s, PhaseAfter, false, s.solutionAt, "solution: %v", err)
			return out, nil
		}
		if err := r.Run(script); err != nil {
			return out, fmt.Errorf("author test: step %s: running the solution: %w", s.ID, err)
		}
		res := EvaluateStep(s, r.View(), b, since)
		if res.Passed {
			phase(s, PhaseAfter, true, s.solutionAt, "checks pass")
		} else {
			phase(s, PhaseAfter, false, s.solutionAt, "the checks fail after the solution: %s%s", failures(res), failedLines(r.View(), since))
		}
		again := EvaluateStep(s, r.View(), b, since)
		if why := differs(res, again); why != "" {
			phase(s, PhaseAgain, false, s.Pos, "checking again gives another result: %s", why)
		} else {
			phase(s, PhaseAgain, true, s.Pos, "same result")
		}
		b = res.Bindings
		if opts.Step != "" {
			break
		}
	}
	return out, nil
}

func failures(res StepResult) string {
	var why []string
	for _, c := range res.Results {
		if !c.Passed {
			why = append(why, c.Label+": "+c.Message)
		}
	}
	return strings.Join(why, "; ")
}

// differs says how two evaluations of the same step on the same sandbox differ: a
// check that passed once and failed the other time, or bound something else.
func differs(a, b StepResult) string {
	if len(a.Results) != len(b.Results) {
		return fmt.Sprintf("%d results, then %d", len(a.Results), len(b.Results))
	}
	word := map[bool]string{true: "passed", false: "failed"}
	for i := range a.Results {
		x, y := a.Results[i], b.Results[i]
		if x.Passed != y.Passed {
			return fmt.Sprintf("%s %s, then %s (%s)", x.Label, word[x.Passed], word[y.Passed], y.Message)
		}
	}
	if !maps.Equal(a.Bindings, b.Bindings) {
		return "the checks bound other objects the second time"
	}
	return ""
}

func save(r Runner) (func() error, error) {
	sn, ok := r.(Snapshotter)
	if !ok {
		return nil, nil
	}
	restore, err := sn.Save()
	if err != nil {
		return nil, fmt.Errorf("author test: saving the sandbox: %w", err)
	}
	return restore, nil
}

// runSolution runs s's solution and returns the bindings it leaves.
func runSolution(s *Step, r Runner, b checker.Bindings, since int) (checker.Bindings, error) {
	script, err := checker.Render(s.Solution, b)
	if err != nil {
		return nil, fmt.Errorf("author test: step %s: %w", s.ID, err)
	}
	if err := r.Run(script); err != nil {
		return nil, fmt.Errorf("author test: step %s: running the solution: %w", s.ID, err)
	}
	return EvaluateStep(s, r.View(), b, since).Bindings, nil
}

// replay rebuilds the state before step upto: a fresh sandbox and the earlier
// solutions, with the bindings they make (new IDs each time).
func replay(l *Lesson, r Runner, upto int) (checker.Bindings, error) {
	if err := r.Reset(); err != nil {
		return nil, fmt.Errorf("author test: resetting the sandbox: %w", err)
	}
	b := checker.Bindings{}
	for _, s := range l.Steps[:upto] {
		if s.IsQuiz() {
			continue
		}
		since, err := LastSeq(r.View())
		if err != nil {
			return nil, fmt.Errorf("author test: reading the journal: %w", err)
		}
		if b, err = runSolution(s, r, b, since); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// failedLines names the solution's commands that failed, with the start of what
// they printed: the likely reason its checks fail (a typo, a missing program).
func failedLines(v checker.View, since int) string {
	cmds, err := v.Journal()
	if err != nil {
		return ""
	}
	var out []string
	for _, c := range cmds {
		if c.Seq <= since || c.ExitCode == 0 {
			continue
		}
		said := oneLine(c.Output)
		if r := []rune(said); len(r) > 200 {
			said = string(r[:200]) + "…"
		}
		if said == "" {
			said = "nothing"
		}
		out = append(out, fmt.Sprintf("`%s` exited with code %d and printed %s", oneLine(c.Line), c.ExitCode, said))
	}
	if len(out) == 0 {
		return ""
	}
	return "; the solution failed: " + strings.Join(out, "; ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

package lessons

import (
	"fmt"
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

// AuthorTest proves a lesson's steps: before a step's solution its checks fail,
// after each of its wrong answers (run on the state the earlier solutions leave)
// they fail, and after its solution they pass. Quiz steps are skipped. Problems
// name the step's place in the file; the error is for a runner that broke.
func AuthorTest(l *Lesson, r Runner) ([]Problem, error) {
	var problems []Problem
	report := func(s *Step, format string, args ...any) {
		problems = append(problems, Problem{File: l.File, Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf("step %s: ", s.ID) + fmt.Sprintf(format, args...)})
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
			return problems, fmt.Errorf("author test: reading the journal: %w", err)
		}
		if res := EvaluateStep(s, r.View(), b, since); res.Passed {
			report(s, "the checks pass before the solution ran: they prove nothing")
		}
		for n, wrong := range s.Wrong {
			restore, err := save(r)
			if err != nil {
				return problems, err
			}
			script, err := checker.Render(wrong, b)
			if err != nil {
				report(s, "wrong answer %d: %v", n+1, err)
				continue
			}
			if err := r.Run(script); err != nil {
				return problems, fmt.Errorf("author test: step %s: running wrong answer %d: %w", s.ID, n+1, err)
			}
			if res := EvaluateStep(s, r.View(), b, since); res.Passed {
				report(s, "wrong answer %d passes the checks: %s", n+1, oneLine(wrong))
			}
			if restore != nil {
				if err := restore(); err != nil {
					return problems, fmt.Errorf("author test: restoring the sandbox: %w", err)
				}
			} else if b, err = replay(l, r, i); err != nil {
				return problems, err
			}
			if since, err = LastSeq(r.View()); err != nil {
				return problems, fmt.Errorf("author test: reading the journal: %w", err)
			}
		}
		script, err := checker.Render(s.Solution, b)
		if err != nil {
			report(s, "solution: %v", err)
			return problems, nil
		}
		if err := r.Run(script); err != nil {
			return problems, fmt.Errorf("author test: step %s: running the solution: %w", s.ID, err)
		}
		res := EvaluateStep(s, r.View(), b, since)
		if !res.Passed {
			var why []string
			for _, c := range res.Results {
				if !c.Passed {
					why = append(why, c.Label+": "+c.Message)
				}
			}
			report(s, "the checks fail after the solution: %s", strings.Join(why, "; "))
		}
		b = res.Bindings
	}
	return problems, nil
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
		script, err := checker.Render(s.Solution, b)
		if err != nil {
			return nil, fmt.Errorf("author test: step %s: %w", s.ID, err)
		}
		if err := r.Run(script); err != nil {
			return nil, fmt.Errorf("author test: step %s: running the solution: %w", s.ID, err)
		}
		b = EvaluateStep(s, r.View(), b, since).Bindings
	}
	return b, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

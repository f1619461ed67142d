package lessons

import (
	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/report"
)

// StepResult is a step's checks evaluated once.
type StepResult struct {
	Step              *Step
	Results           []checker.Result
	Passed            bool // every check passed (false for a quiz step: the session asks it)
	Points, MaxPoints int
	// Bindings are b plus what the step's passing checks bound: what later steps
	// should see.
	Bindings checker.Bindings
}

// EvaluateStep checks step against the sandbox v. b are the bindings of the earlier
// steps (left untouched); since is the journal Seq of the last command before the
// step began, so ran and output checks look only at the step's own commands.
func EvaluateStep(step *Step, v checker.View, b checker.Bindings, since int) StepResult {
	ctx := &checker.Context{View: v, Bindings: b.Clone(), Since: since}
	res := StepResult{Step: step}
	if step.IsQuiz() {
		res.Bindings = ctx.Bindings
		return res
	}
	res.Results, res.Passed = checker.EvaluateAll(ctx, step.Checks)
	for _, r := range res.Results {
		res.Points += r.Points
		res.MaxPoints += r.MaxPoints
	}
	res.Bindings = ctx.Bindings
	return res
}

// Grade checks a whole sandbox against the lesson, step by step with the bindings
// carried along, looking at the whole journal for every step. Practice steps
// (grade: false) are evaluated for their bindings but left out of the report; quiz
// steps are skipped.
func Grade(l *Lesson, v checker.View, subject string) report.Report {
	r := report.Report{Subject: subject, Lesson: l.ID}
	b := checker.Bindings{}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		res := EvaluateStep(s, v, b, 0)
		b = res.Bindings
		if s.Grade {
			r.Steps = append(r.Steps, report.Step{ID: s.ID, Title: s.Title, Results: res.Results})
		}
	}
	return r
}

// LastSeq is the Seq of the newest journal entry, 0 for an empty journal: what to
// pass as since when a step begins.
func LastSeq(v checker.View) (int, error) {
	cmds, err := v.Journal()
	if err != nil || len(cmds) == 0 {
		return 0, err
	}
	return cmds[len(cmds)-1].Seq, nil
}

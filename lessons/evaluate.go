package lessons

import (
	"fmt"
	"regexp"
	"sync"

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
	madeBy := map[string]string{} // as: name → the step whose check makes it
	for _, s := range l.Steps {
		for _, top := range s.Checks {
			for _, ent := range top.AllEntries() {
				if _, seen := madeBy[ent.As]; ent.As != "" && !seen {
					madeBy[ent.As] = s.ID
				}
			}
		}
	}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		res := EvaluateStep(s, v, b, 0)
		b = res.Bindings
		if !s.Grade {
			continue
		}
		for i := range res.Results {
			gradersWords(&res.Results[i], madeBy)
		}
		r.Steps = append(r.Steps, report.Step{ID: s.ID, Title: s.Title, Results: res.Results})
	}
	return r
}

// unboundRE is a use of a binding left in a text because it was not made.
var unboundRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z]+\s*-?\}\}`)
})

// gradersWords rewords a failed check's texts for a grader, who reads them after
// the fact: a binding that was never made ({{.marked.Name}}, which the guided
// session puts in words of its own) reads <marked>, and a check that waited for it
// says which step's check should have made it.
func gradersWords(c *checker.Result, madeBy map[string]string) {
	if c.Passed {
		return
	}
	if c.Waiting != "" {
		c.Message = fmt.Sprintf("not checked: it is about %s, which a check of step %s names (as: %s) when it passes, and that check failed", c.Waiting, madeBy[c.Waiting], c.Waiting)
		if madeBy[c.Waiting] == "" {
			c.Message = fmt.Sprintf("not checked: it is about %s, which no check made", c.Waiting)
		}
	}
	c.Message = unboundRE().ReplaceAllString(c.Message, "<$1>")
	c.Fail = unboundRE().ReplaceAllString(c.Fail, "<$1>")
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

package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
)

// FromLesson is what the session needs of a loaded lesson.
func FromLesson(l *lessons.Lesson) Lesson {
	out := Lesson{ID: l.ID, Title: l.Title, Summary: l.Summary}
	for _, im := range l.Images {
		out.Images = append(out.Images, Image{Ref: im.Ref, Standin: im.Standin, Optional: !im.Require, Missing: im.Missing})
	}
	for i, s := range l.Steps {
		for _, top := range s.Checks {
			for _, ent := range top.AllEntries() {
				if name, kind := ent.Binds(); name != "" {
					if out.Made == nil {
						out.Made = map[string]Made{}
					}
					if _, seen := out.Made[name]; !seen {
						out.Made[name] = Made{Kind: string(kind), Step: i}
					}
				}
			}
		}
		st := Step{ID: s.ID, Title: s.Title, Text: s.Text, Try: s.Try, Hints: s.Hints, Solution: s.Solution, Wrong: s.Wrong, Checks: len(s.Checks)}
		for _, id := range l.Prerequisites(s) {
			if j := slices.IndexFunc(l.Steps, func(o *lessons.Step) bool { return o.ID == id }); j >= 0 {
				st.Needs = append(st.Needs, j)
			}
		}
		if s.Quiz != nil {
			st.Quiz = &Quiz{Question: s.Quiz.Question, Choices: s.Quiz.Choices, Answer: s.Quiz.AnswerIndex(), Why: s.Quiz.Why}
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// LessonChecker checks l's steps with package checker against the sandbox in dir.
func LessonChecker(l *lessons.Lesson, dir string) Checker {
	return CheckFunc(func(ctx context.Context, req CheckRequest) (Outcome, error) {
		if req.Step < 0 || req.Step >= len(l.Steps) {
			return Outcome{}, fmt.Errorf("checking step %d: lesson %s has %d steps", req.Step+1, l.ID, len(l.Steps))
		}
		sb, err := sandbox.Open(dir)
		if err != nil {
			return Outcome{}, err
		}
		bound := checker.Bindings{}
		for k, b := range req.Bindings {
			bound[k] = checker.Object{Kind: checker.Kind(b.Kind), ID: b.ID, ShortID: b.ShortID, Hex: b.Hex, Name: b.Name, Image: b.Image}
		}
		res := lessons.EvaluateStep(l.Steps[req.Step], sandboxview.New(sb), bound, req.Since)
		var out Outcome
		for _, r := range res.Results {
			msg := r.Message
			if r.Error != "" && msg == "" {
				msg = r.Error
			}
			out.Results = append(out.Results, CheckResult{Label: r.Label, Passed: r.Passed, Message: msg, Fail: r.Fail, Words: r.Words, Waiting: r.Waiting != ""})
		}
		for k, o := range res.Bindings {
			if old, ok := bound[k]; ok && old == o {
				continue
			}
			if out.Bindings == nil {
				out.Bindings = Bindings{}
			}
			out.Bindings[k] = Binding{Kind: string(o.Kind), ID: o.ID, ShortID: o.ShortID, Hex: o.Hex, Name: o.Name, Image: o.Image}
		}
		return out, nil
	})
}

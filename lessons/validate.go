package lessons

import (
	"slices"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/internal/cmdline"
)

// validate checks what spans steps: unique step IDs and images, and the order of
// bindings. A check that did not decode still counts as binding its as: names, so
// its own problem is not echoed at every later use.
func (d *decoder) validate(l *Lesson) {
	ids := map[string]*Step{}
	for _, s := range l.Steps {
		if first, dup := ids[s.ID]; dup && s.ID != "" {
			d.problem(s.Pos, "step id %q is already used by the step at line %d", s.ID, first.Pos.Line)
			continue
		}
		ids[s.ID] = s
	}
	d.validateNeeds(l)
	refs := map[string]bool{}
	for _, img := range l.Images {
		if refs[cmdline.NormRef(img.Ref)] {
			d.problem(img.Pos, "image %s is listed twice", img.Ref)
		}
		refs[cmdline.NormRef(img.Ref)] = true
	}
	bound := map[string]bool{}
	for _, s := range l.Steps {
		for _, top := range s.Checks {
			for _, ent := range top.AllEntries() {
				if ent.As != "" {
					bound[ent.As] = true
				}
			}
		}
		for _, name := range s.brokenAs {
			bound[name] = true
		}
	}
	known := map[string]checker.Kind{}
	for _, s := range l.Steps {
		// A step's texts are shown before its checks pass: only earlier steps'
		// bindings exist then.
		d.checkerErrors(checker.ValidateRefs(s.textRefs, known, bound))
		for _, name := range s.brokenAs {
			known[name] = "" // of unknown kind: any use is accepted
		}
		for _, ent := range s.Checks {
			d.checkerErrors(ent.Validate(known, bound))
		}
	}
	if len(l.Steps) > 0 && allQuiz(l) {
		d.problem(l.Pos, "lesson %s has only quiz steps; give it at least one step with checks", l.ID)
	}
}

// validateNeeds: a step needs only earlier steps (so the lesson can be done in
// order), each named once.
func (d *decoder) validateNeeds(l *Lesson) {
	before := map[string]bool{}
	for _, s := range l.Steps {
		for i, id := range s.Needs {
			switch {
			case id == s.ID:
				d.problem(s.needsAt, "step %s needs itself", s.ID)
			case slices.Contains(s.Needs[:i], id):
				d.problem(s.needsAt, "step %s needs %s twice", s.ID, id)
			case !before[id] && l.Step(id) != nil:
				d.problem(s.needsAt, "step %s needs %s, which comes after it: a step may need only earlier steps", s.ID, id)
			case !before[id]:
				d.problem(s.needsAt, "step %s needs %q, and there is no step with that id", s.ID, id)
			}
		}
		before[s.ID] = true
	}
}

func allQuiz(l *Lesson) bool {
	for _, s := range l.Steps {
		if !s.IsQuiz() {
			return false
		}
	}
	return true
}

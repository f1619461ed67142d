package session

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// guideWordNames are the guide's own words at the prompt, in the order help lists
// them. Only a line that is exactly one of them (reset may name what) is taken; to
// run a shell command of the same name, write `command NAME`.
var guideWordNames = []string{"hint", "check", "solution", "skip", "back", "next", "reset", "progress", "help", "quit"}

var guideHelp = map[string]string{
	"hint":     "a nudge; ask again for a stronger one",
	"check":    "check the step now (or answer its question again)",
	"solution": "show the step's solution (after asking)",
	"skip":     "go on to the next step without doing this one",
	"back":     "go back to the previous step",
	"next":     "go on from a step that only needs reading",
	"reset":    "start this step or the whole lesson over (reset step, reset lesson)",
	"progress": "how far you are",
	"help":     "this list",
	"quit":     "leave; your progress is kept (also exit, Ctrl-D)",
}

// guideWord recognises a guide word; exit is quit, as in a shell.
func guideWord(line string) (word, arg string, ok bool) {
	f := strings.Fields(line)
	switch {
	case len(f) == 1 && f[0] == "exit":
		return "quit", "", true
	case len(f) == 1 && slices.Contains(guideWordNames, f[0]):
		return f[0], "", true
	case len(f) == 2 && f[0] == "reset" && (f[1] == "step" || f[1] == "lesson"):
		return "reset", f[1], true
	}
	return "", "", false
}

// guide carries out a guide word; it reports whether the learner asked to leave.
func (s *Session) guide(ctx context.Context, word, arg string) bool {
	st := s.steps[s.p.Step]
	switch word {
	case "quit":
		return true
	case "help":
		fmt.Fprintln(s.out, "Type commands as in a terminal; these words are the guide's own:")
		for _, w := range guideWordNames {
			fmt.Fprintf(s.out, "  %-9s %s\n", w, guideHelp[w])
		}
		fmt.Fprintf(s.out, "To run a shell command with one of these names, type %s.\n", s.st.code.Sprint("command NAME"))
	case "hint":
		s.hint(st)
	case "check":
		if s.p.Done {
			fmt.Fprintln(s.out, "You finished this lesson; there is nothing left to check.")
			return false
		}
		s.check(ctx, false, 0)
	case "solution":
		s.solution(ctx, st)
	case "skip":
		if s.p.Done {
			fmt.Fprintln(s.out, "You finished this lesson; there is nothing left to skip.")
			return false
		}
		if !slices.Contains(s.p.Completed, st.ID) && !slices.Contains(s.p.Skipped, st.ID) {
			s.p.Skipped = append(s.p.Skipped, st.ID)
		}
		fmt.Fprintf(s.out, "Skipped step %d.\n", s.p.Step+1)
		s.advance(ctx)
	case "back":
		s.back(ctx) // undo.go
	case "next":
		switch {
		case s.p.Done:
			fmt.Fprintln(s.out, "You finished this lesson.")
		case st.Quiz == nil && st.Checks == 0:
			s.pass(ctx)
		case slices.Contains(s.p.Completed, st.ID):
			// Done before (the learner came back to it): on to the next one.
			s.advance(ctx)
		default:
			fmt.Fprintf(s.out, "This step is not done yet: %s checks it, %s helps, %s moves on anyway.\n",
				s.st.code.Sprint("check"), s.st.code.Sprint("hint"), s.st.code.Sprint("skip"))
		}
	case "reset":
		s.reset(ctx, arg)
	case "progress":
		s.showProgress()
	}
	return false
}

func (s *Session) hint(st Step) {
	used := s.p.Hints[st.ID]
	switch {
	case len(st.Hints) == 0:
		fmt.Fprintf(s.out, "This step has no hints; %s shows the answer.\n", s.st.code.Sprint("solution"))
	case used >= len(st.Hints):
		fmt.Fprintf(s.out, "No more hints. %s shows the answer.\n", s.st.code.Sprint("solution"))
	default:
		fmt.Fprint(s.out, s.st.hint.Sprintf("Hint %d/%d: ", used+1, len(st.Hints)))
		fmt.Fprint(s.out, Render(s.expand(st.Hints[used]), s.width-10, s.cfg.Colour))
		s.p.Hints[st.ID] = used + 1
		s.save()
	}
}

func (s *Session) solution(ctx context.Context, st Step) {
	if st.Solution == "" && st.Quiz == nil {
		fmt.Fprintln(s.out, "This step has no written solution.")
		return
	}
	q := "Show the solution? Working it out yourself sticks better (hint gives a nudge)."
	if s.p.Hints[st.ID] >= len(st.Hints) {
		q = "Show the solution?"
	}
	ok, err := s.cfg.Prompter.Confirm(ctx, q, false)
	if err != nil || !ok {
		return
	}
	if st.Quiz != nil {
		fmt.Fprintf(s.out, "The answer: %s\n", st.Quiz.Choices[st.Quiz.Answer])
		if st.Quiz.Why != "" {
			fmt.Fprint(s.out, Render(s.expand(st.Quiz.Why), s.width, s.cfg.Colour))
		}
		return
	}
	sol, notes := s.expandCommand(st.Solution)
	fmt.Fprint(s.out, Render("```\n"+strings.TrimRight(sol, "\n")+"\n```", s.width, s.cfg.Colour))
	for _, n := range notes {
		fmt.Fprintln(s.out, s.st.dim.Sprint(n))
	}
}

// reset starts the step (remove what it made) or the whole lesson over.
func (s *Session) reset(ctx context.Context, what string) {
	if what == "" {
		i, err := s.cfg.Prompter.Select(ctx, "Reset what?", []string{
			"this step: put the sandbox back as it was when the step began",
			"the whole lesson: delete its sandbox and your progress",
			"nothing",
		})
		if err != nil || i == 2 {
			return
		}
		what = []string{"step", "lesson"}[i]
	}
	if what == "step" {
		s.resetStep(ctx)
		return
	}
	ok, err := s.cfg.Prompter.Confirm(ctx, "Delete this lesson's containers, images, journal and progress, and start over?", false)
	if err != nil || !ok {
		fmt.Fprintln(s.out, "Nothing was reset.")
		return
	}
	if err := s.cfg.Sandbox.Destroy(); err != nil {
		s.warn(err.Error())
		return
	}
	if err := ClearProgress(s.cfg.DataRoot, s.cfg.Lesson.ID); err != nil {
		s.warn(err.Error())
	}
	s.p = Progress{Lesson: s.cfg.Lesson.ID, Hints: map[string]int{}, Bindings: Bindings{}, Opened: map[string]int{}}
	fmt.Fprintln(s.out, "The lesson is reset: a fresh sandbox, from step 1.")
	s.prepare(ctx)
	s.goTo(ctx, 0)
}

func (s *Session) showProgress() {
	l := s.cfg.Lesson
	fmt.Fprintf(s.out, "%s: %d of %d steps done.\n", l.Title, s.p.CompletedOf(l), len(s.steps))
	for i, st := range s.steps {
		mark := s.st.dim.Sprint("·")
		switch {
		case slices.Contains(s.p.Completed, st.ID):
			mark = s.st.ok.Sprint("✔")
		case slices.Contains(s.p.Skipped, st.ID):
			mark = s.st.dim.Sprint("↷")
		}
		if i == s.p.Step && !s.p.Done {
			mark = s.st.prompt.Sprint("➜")
		}
		extra := ""
		if n := s.p.Hints[st.ID]; n > 0 {
			extra = s.st.dim.Sprintf(" (%d of %d hints)", n, len(st.Hints))
		}
		fmt.Fprintf(s.out, "  %s %2d. %s%s\n", mark, i+1, s.expand(st.Title), extra)
	}
}

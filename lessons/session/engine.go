package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/dockling/dockling/internal/cmdline"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox/journal"
	"golang.org/x/term"
)

// Config is what a session runs with. Lesson, DataRoot, IO, Runner, Checker and
// Sandbox are required; Lines and Prompter default to NewConsole(IO, Colour).
type Config struct {
	Lesson   Lesson
	DataRoot string
	IO       *iostreams.IOStreams
	Colour   bool
	Width    int // columns for text; 0: the terminal's width, else 80
	Runner   Runner
	Checker  Checker
	Sandbox  Sandbox
	Lines    LineReader
	Prompter Prompter
	// Resume is the command that comes back to this lesson, said on leaving;
	// "" is dockling learn ID.
	Resume string
}

// Session is one lesson being worked through.
type Session struct {
	cfg   Config
	steps []Step
	st    *styles
	out   io.Writer
	width int
	p     Progress
	fails int // failed checks in a row on the current step
}

// New checks cfg and makes a session; nothing is shown or run yet.
func New(cfg Config) (*Session, error) {
	switch {
	case len(cfg.Lesson.Steps) == 0:
		return nil, fmt.Errorf("starting lesson %q: it has no steps", cfg.Lesson.ID)
	case cfg.DataRoot == "" || cfg.IO == nil || cfg.Runner == nil || cfg.Checker == nil || cfg.Sandbox == nil:
		return nil, errors.New("starting a session: data root, streams, runner, checker and sandbox are all needed")
	}
	if cfg.Lines == nil || cfg.Prompter == nil {
		lines, prompter := NewConsole(cfg.IO, cfg.Colour)
		if cfg.Lines == nil {
			cfg.Lines = lines
		}
		if cfg.Prompter == nil {
			cfg.Prompter = prompter
		}
	}
	s := &Session{cfg: cfg, steps: cfg.Lesson.Steps, st: newStyles(cfg.Colour), out: cfg.IO.Out, width: cfg.Width}
	if c, ok := cfg.Lines.(interface{ SetCompleter(Completer) }); ok {
		c.SetCompleter(s.complete)
	}
	if s.width == 0 {
		s.width = 80
		if f, ok := cfg.IO.Out.(*os.File); ok && cfg.IO.IsStdoutTTY() {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
				s.width = min(w, 100)
			}
		}
	}
	return s, nil
}

// Progress is the session's progress as it stands.
func (s *Session) Progress() Progress { return s.p }

// Run is the guided session: the step, a prompt, a line, ✔ or ✘, until the learner
// quits (quit, Ctrl-D or the end of input) or ctx ends. Ctrl-C at the prompt only
// drops the line. Progress is on disk whenever Run returns.
func (s *Session) Run(ctx context.Context) error {
	s.start(ctx, false)
	for {
		line, err := s.readCommand(ctx)
		switch {
		case errors.Is(err, ErrInterrupted):
			continue
		case errors.Is(err, io.EOF) || ctx.Err() != nil:
			fmt.Fprintln(s.out)
			s.leave()
			return nil
		case err != nil:
			s.save()
			return err
		}
		if quit := s.handle(ctx, line); quit {
			s.leave()
			return nil
		}
	}
}

// start loads progress, prepares the sandbox and shows where the learner is.
func (s *Session) start(ctx context.Context, watching bool) {
	l := s.cfg.Lesson
	p, err := LoadProgress(s.cfg.DataRoot, l.ID)
	if err != nil {
		s.warn(fmt.Sprintf("%v; starting the lesson afresh", err))
	}
	s.p = p
	if s.p.Opened == nil {
		// Progress from before steps were checked out of turn: the current step's
		// commands count from where it began.
		s.p.Opened = map[string]int{s.p.StepID: s.p.Since}
	}
	resumed := len(p.Completed) > 0 || p.Step > 0 || p.Done
	if i := slices.IndexFunc(s.steps, func(st Step) bool { return st.ID == p.StepID }); p.StepID != "" && i >= 0 {
		s.p.Step = i
	}
	s.p.Step = max(0, min(s.p.Step, len(s.steps)-1))
	s.p.StepID = s.steps[s.p.Step].ID

	fmt.Fprint(s.out, Render("# "+l.Title, s.width, s.cfg.Colour))
	if l.Summary != "" {
		fmt.Fprint(s.out, Render(l.Summary, s.width, s.cfg.Colour))
	}
	s.prepare(ctx)
	s.dropSnapshots(0, len(s.steps)) // those of steps the lesson no longer has
	if watching {
		fmt.Fprintf(s.out, "\nWatching this lesson's sandbox. In your own terminal, run:\n\n    %s\n\nthen type the commands there; each step is checked when the sandbox changes.\nHere you may type the guide's words (%s); Ctrl-C or %s stops watching.\n",
			s.st.code.Sprintf(`eval "$(dockling env --sandbox %s)"`, l.ID), strings.Join(guideWordNames, ", "), s.st.code.Sprint("quit"))
	} else {
		fmt.Fprintf(s.out, "\nType commands as in a terminal: %s here is dockling, acting on this lesson's own sandbox.\nGuide words: %s.\nCtrl-D or %s leaves; your progress is kept.\n",
			s.st.code.Sprint("docker"), strings.Join(guideWordNames, ", "), s.st.code.Sprint("quit"))
	}
	if s.p.Done {
		s.finished()
		return
	}
	if resumed {
		fmt.Fprintf(s.out, "\nWelcome back! You are at step %d of %d (%d done).\n", s.p.Step+1, len(s.steps), s.p.CompletedOf(l))
	}
	if s.p.StepStart == nil {
		s.snapshotStep()
		s.save()
	}
	s.showStep()
	if s.steps[s.p.Step].Quiz != nil {
		s.quiz(ctx)
	}
}

// prepare gets the lesson's images. Ctrl-C stops a pull that takes too long (the
// session then goes on without the image, saying so), even where Ctrl-C otherwise
// belongs to the learner's commands.
func (s *Session) prepare(ctx context.Context) {
	pctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if err := s.cfg.Sandbox.Prepare(pctx, s.cfg.Lesson.Images, s.out); err != nil {
		if pctx.Err() != nil && ctx.Err() == nil {
			fmt.Fprintln(s.out)
		}
		s.warn(err.Error())
	}
}

// readCommand reads one command; a line ending in a backslash continues.
func (s *Session) readCommand(ctx context.Context) (string, error) {
	line, err := s.cfg.Lines.ReadLine(ctx, s.prompt())
	for err == nil && strings.HasSuffix(line, `\`) {
		var more string
		more, err = s.cfg.Lines.ReadLine(ctx, "> ")
		line += "\n" + more
	}
	return line, err
}

func (s *Session) prompt() string {
	dir := s.cfg.Runner.Dir()
	if home, err := os.UserHomeDir(); err == nil && home != "/" && (dir == home || strings.HasPrefix(dir, home+"/")) {
		dir = "~" + dir[len(home):]
	}
	label := fmt.Sprintf("%s %d/%d", s.cfg.Lesson.ID, s.p.Step+1, len(s.steps))
	if s.p.Done {
		label = s.cfg.Lesson.ID + " ✔"
	}
	return s.st.prompt.Sprint(label) + " " + s.st.dim.Sprint(dir) + " $ "
}

// handle acts on one line: a guide word, Enter, or a command for the shell. It
// reports whether the learner asked to leave.
func (s *Session) handle(ctx context.Context, line string) bool {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		if st := s.steps[s.p.Step]; !s.p.Done && st.Quiz == nil && st.Checks == 0 {
			s.pass(ctx)
		}
		return false
	}
	if word, arg, ok := guideWord(trimmed); ok {
		return s.guide(ctx, word, arg)
	}
	s.runLine(ctx, line)
	return false
}

// runLine runs a command, journals it and checks the steps.
func (s *Session) runLine(ctx context.Context, line string) {
	before := s.cfg.Sandbox.Capture()
	res, err := s.cfg.Runner.Run(ctx, line)
	if err != nil {
		s.warn(err.Error())
		return
	}
	if res.ExitCode == 128+int(syscall.SIGINT) || res.ExitCode == 128+int(syscall.SIGQUIT) ||
		res.Output != "" && !strings.HasSuffix(res.Output, "\n") {
		// Ctrl-C leaves the terminal's ^C at the end of a line, and output can stop
		// mid-line: keep the ✔ / ✘ and the prompt off it.
		fmt.Fprintln(s.out)
	}
	cs, is := journal.Used(line, before, s.cfg.Sandbox.Capture())
	err = journal.Append(s.cfg.Sandbox.Dir(), journal.Entry{
		Line: line, ExitCode: res.ExitCode, Output: res.Output, Containers: cs, Images: is,
	})
	if err != nil {
		s.warn(err.Error())
	}
	if ctx.Err() != nil || s.p.Done {
		return
	}
	s.sweep(ctx, line, res.ExitCode)
}

// sweep checks, after a command, every step not yet passed whose prerequisites are
// passed, and the current step: the learner may do the steps in another order than
// the lesson's. A ✘ is said only for a step the command was an attempt at, so
// exploring (cd, ls, another step's commands) does not nag: for the first such
// step, and only when the command passed none (several steps may suggest the
// same command; the one it passed is the one it was for).
func (s *Session) sweep(ctx context.Context, line string, exitCode int) {
	checked := map[int]bool{}
	current, currentPassed, last := s.p.Step, false, -1
	attempt, attemptOut := -1, Outcome{}
	for again := true; again; {
		again = false // a step passed may open those that need it
		for i, st := range s.steps {
			if checked[i] || st.Quiz != nil || st.Checks == 0 || s.completed(i) || i != current && !s.available(i) {
				continue
			}
			checked[i] = true
			out, err := s.cfg.Checker.Check(ctx, CheckRequest{Step: i, Since: s.since(i), Bindings: s.p.Bindings})
			if err != nil {
				s.warn("checking the step: " + err.Error())
				continue
			}
			if !out.Passed() {
				if attempt < 0 && s.attempted(i, line, exitCode) {
					attempt, attemptOut = i, out
				}
				continue
			}
			s.heading(i)
			fmt.Fprint(s.out, s.results(out, false))
			s.markPassed(i, out.Bindings)
			s.celebrate(i)
			currentPassed = currentPassed || i == current
			last, again = max(last, i), true
		}
	}
	switch {
	case last < 0 && attempt >= 0:
		s.failed(attempt, attemptOut, exitCode)
	case currentPassed:
		s.advance(ctx)
	case last >= 0:
		s.save()
		s.remains(last)
	}
}

// failed says a step's ✘ after an attempt at it, and offers a hint when the learner
// seems stuck on the current step.
func (s *Session) failed(i int, out Outcome, exitCode int) {
	s.heading(i)
	fmt.Fprint(s.out, s.results(out, false))
	st := s.steps[i]
	if i != s.p.Step {
		return
	}
	s.fails++
	if (exitCode != 0 || s.fails >= 3) && s.p.Hints[st.ID] < len(st.Hints) {
		fmt.Fprintln(s.out, s.st.hint.Sprint("Stuck? Type hint for a nudge, or check to see what is expected and what was found."))
	}
}

// heading names a step other than the current one above what is said of it.
func (s *Session) heading(i int) {
	if i != s.p.Step {
		fmt.Fprintln(s.out, s.st.dim.Sprintf("Step %d, %s:", i+1, s.expand(s.steps[i].Title)))
	}
}

// remains says which earlier steps are still open after a later one was done.
func (s *Session) remains(upTo int) {
	var open []string
	for i := range upTo {
		if !s.completed(i) && !slices.Contains(s.p.Skipped, s.steps[i].ID) {
			open = append(open, fmt.Sprintf("step %d, %q", i+1, s.expand(s.steps[i].Title)))
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(s.out, "Still open before it: %s. You are at step %d.\n", strings.Join(open, "; "), s.p.Step+1)
	}
}

// attempted reports whether line was an attempt at step i: it runs what the step
// suggests (its Try, else a line of its solution) or one of its expected wrong
// answers, or it failed while i is the current step.
func (s *Session) attempted(i int, line string, exitCode int) bool {
	if i == s.p.Step && exitCode != 0 {
		return true
	}
	st := s.steps[i]
	like := slices.Clone(st.Wrong)
	if st.Try != "" {
		like = append(like, st.Try)
	} else {
		like = append(like, strings.Split(st.Solution, "\n")...)
	}
	keys := commandKeys(line)
	return slices.ContainsFunc(like, func(l string) bool {
		return slices.ContainsFunc(commandKeys(l), func(k string) bool { return slices.Contains(keys, k) })
	})
}

// commandKeys are what a line runs, to match attempts with steps: each command's
// program, and for docker its canonical verb ("docker ps" for docker container ls).
func commandKeys(line string) []string {
	cmds, err := cmdline.Parse(line)
	if err != nil {
		return nil
	}
	keys := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if d, ok := c.Docker(); ok {
			keys = append(keys, "docker "+d.Verb)
			continue
		}
		keys = append(keys, filepath.Base(c.Words[0].Text))
	}
	return keys
}

// check checks the current step when asked (the check word, or the watcher).
func (s *Session) check(ctx context.Context, afterCommand bool, exitCode int) {
	st := s.steps[s.p.Step]
	switch {
	case st.Quiz != nil:
		if !afterCommand {
			s.quiz(ctx)
		}
		return
	case st.Checks == 0:
		if !afterCommand {
			fmt.Fprintln(s.out, "Nothing to check in this step: press Enter to go on.")
		}
		return
	}
	out, err := s.cfg.Checker.Check(ctx, CheckRequest{Step: s.p.Step, Since: s.p.Since, Bindings: s.p.Bindings})
	if err != nil {
		s.warn("checking the step: " + err.Error())
		return
	}
	fmt.Fprint(s.out, s.results(out, !afterCommand))
	if out.Passed() {
		for k, v := range out.Bindings {
			s.p.Bindings[k] = v
		}
		s.pass(ctx)
	}
}

// results is the ✔ / ✘ list of an outcome, in words: what each check wants and
// the lesson's own words when one fails; with detail, what was expected and found,
// dimmed, below. A check waiting for a binding is left out while the check that
// makes it fails: its ✘ would only repeat that one.
func (s *Session) results(out Outcome, detail bool) string {
	otherFailed := slices.ContainsFunc(out.Results, func(r CheckResult) bool { return !r.Passed && !r.Waiting })
	var b strings.Builder
	for _, r := range out.Results {
		if r.Waiting && otherFailed {
			continue
		}
		words := r.Words
		if words == "" {
			words = r.Label
		}
		words = s.st.inline(s.expand(words))
		if r.Passed {
			fmt.Fprintf(&b, "  %s %s\n", s.st.ok.Sprint("✔"), words)
			continue
		}
		head := "not yet: " + words
		if r.Fail != "" {
			head = s.st.inline(s.expand(r.Fail))
		}
		fmt.Fprintf(&b, "  %s %s\n", s.st.bad.Sprint("✘"), head)
		if detail && r.Message != "" {
			fmt.Fprintf(&b, "    %s\n", s.st.dim.Sprint(s.expand(r.Message)))
		}
	}
	return b.String()
}

var celebrations = []string{"Nice work!", "Well done!", "That's it!", "Spot on!", "Great!", "Exactly right!"}

// pass completes the current step and moves on.
func (s *Session) pass(ctx context.Context) {
	i := s.p.Step
	s.markPassed(i, nil)
	if st := s.steps[i]; st.Checks > 0 || st.Quiz != nil {
		s.celebrate(i)
	}
	s.advance(ctx)
}

func (s *Session) celebrate(i int) {
	fmt.Fprintln(s.out, s.st.celebrate.Sprintf("✔ %s Step %d done.", celebrations[i%len(celebrations)], i+1))
}

// markPassed marks step i passed, keeps what it bound, and opens the steps that
// needed it: their commands count from now on.
func (s *Session) markPassed(i int, b Bindings) {
	for k, v := range b {
		s.p.Bindings[k] = v
	}
	id := s.steps[i].ID
	if !slices.Contains(s.p.Completed, id) {
		s.p.Completed = append(s.p.Completed, id)
	}
	s.p.Skipped = slices.DeleteFunc(s.p.Skipped, func(x string) bool { return x == id })
	for j, st := range s.steps {
		if slices.Contains(st.Needs, i) && !s.completed(j) && s.available(j) {
			s.p.Opened[st.ID] = s.lastSeq()
		}
	}
}

// completed reports whether step i was passed.
func (s *Session) completed(i int) bool { return slices.Contains(s.p.Completed, s.steps[i].ID) }

// available reports whether every step that step i needs was passed.
func (s *Session) available(i int) bool {
	for _, j := range s.steps[i].Needs {
		if !s.completed(j) {
			return false
		}
	}
	return true
}

// since is the journal seq after which step i's commands count.
func (s *Session) since(i int) int {
	if i == s.p.Step {
		return s.p.Since
	}
	return s.p.Opened[s.steps[i].ID]
}

// advance makes the first step neither passed nor skipped the current one; with
// none left the lesson is done.
func (s *Session) advance(ctx context.Context) {
	for i, st := range s.steps {
		if !s.completed(i) && !slices.Contains(s.p.Skipped, st.ID) {
			s.goTo(ctx, i)
			return
		}
	}
	s.goTo(ctx, len(s.steps))
}

// goTo makes step i current (past the last: the lesson is done), saves and shows it.
func (s *Session) goTo(ctx context.Context, i int) {
	if i >= len(s.steps) {
		s.p.Done, s.p.Finished = true, true
		s.dropSnapshots(len(s.steps)-1, len(s.steps)) // only the last step's start, for back
		s.save()
		s.finished()
		return
	}
	s.p.Done = false
	s.p.Step, s.p.StepID = i, s.steps[i].ID
	s.fails = 0
	s.snapshotStep()
	s.p.Since = s.p.Opened[s.p.StepID]
	s.save()
	s.showStep()
	if s.steps[i].Quiz != nil {
		s.quiz(ctx)
	}
}

// snapshotStep notes where the current step begins: the journal's length (checks
// of what was run look only after it) and what the sandbox holds (for reset step).
func (s *Session) snapshotStep() {
	seq, _, err := journal.Head(s.cfg.Sandbox.Dir())
	if err != nil {
		s.warn(err.Error())
	}
	s.p.Since = seq
	st := s.cfg.Sandbox.Capture()
	start := &StepStart{Containers: []string{}, Images: []string{}}
	for id := range st.Containers {
		start.Containers = append(start.Containers, id)
	}
	for id := range st.Images {
		start.Images = append(start.Images, id)
	}
	slices.Sort(start.Containers)
	slices.Sort(start.Images)
	s.p.StepStart = start
	s.takeSnapshot() // undo.go: what back and reset put back
}

func (s *Session) showStep() {
	st := s.steps[s.p.Step]
	head := fmt.Sprintf("Step %d/%d · %s", s.p.Step+1, len(s.steps), s.expand(st.Title))
	fmt.Fprintln(s.out)
	fmt.Fprint(s.out, Render("## "+head, s.width, s.cfg.Colour))
	fmt.Fprintln(s.out)
	if st.Text != "" {
		fmt.Fprint(s.out, Render(s.expand(st.Text), s.width, s.cfg.Colour))
	}
	if st.Try != "" {
		try, notes := s.expandCommand(st.Try)
		fmt.Fprintf(s.out, "\nTry: %s\n", s.st.code.Sprint(try))
		for _, n := range notes {
			fmt.Fprintf(s.out, "     %s\n", s.st.dim.Sprint(n))
		}
	}
	if st.Quiz == nil && st.Checks == 0 {
		fmt.Fprintln(s.out, s.st.dim.Sprint("(Press Enter to go on.)"))
	}
}

// quiz asks the step's question until it is answered right or the learner backs out.
func (s *Session) quiz(ctx context.Context) {
	q := s.steps[s.p.Step].Quiz
	explained := false
	for {
		idx, err := s.cfg.Prompter.Select(ctx, s.expand(q.Question), q.Choices)
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				fmt.Fprintln(s.out, s.st.dim.Sprint("(Type check to answer the question.)"))
			}
			return
		}
		if idx == q.Answer {
			fmt.Fprintf(s.out, "  %s Right: %s\n", s.st.ok.Sprint("✔"), q.Choices[idx])
			// A learner who got it right at once still gets the reason.
			if q.Why != "" && !explained {
				fmt.Fprint(s.out, Render(s.expand(q.Why), s.width, s.cfg.Colour))
			}
			s.pass(ctx)
			return
		}
		fmt.Fprintf(s.out, "  %s Not quite.\n", s.st.bad.Sprint("✘"))
		if q.Why != "" {
			fmt.Fprint(s.out, Render(s.expand(q.Why), s.width, s.cfg.Colour))
			explained = true
		}
	}
}

func (s *Session) finished() {
	l := s.cfg.Lesson
	fmt.Fprintf(s.out, "\n%s\n", s.st.celebrate.Sprintf("🎉 You finished %q: %d of %d steps done.", l.Title, s.p.CompletedOf(l), len(s.steps)))
	fmt.Fprintf(s.out, "Keep experimenting here, type %s to revisit a step or %s to start over; %s leaves.\n",
		s.st.code.Sprint("back"), s.st.code.Sprint("reset"), s.st.code.Sprint("quit"))
}

func (s *Session) leave() {
	s.save()
	resume := s.cfg.Resume
	if resume == "" {
		resume = "dockling learn " + s.cfg.Lesson.ID
	}
	fmt.Fprintf(s.out, "Progress saved. Come back with: %s\n", s.st.code.Sprint(resume))
}

func (s *Session) save() {
	if err := SaveProgress(s.cfg.DataRoot, s.p); err != nil {
		s.warn(err.Error())
	}
}

func (s *Session) warn(msg string) {
	fmt.Fprintf(s.cfg.IO.ErrOut, "%s %s\n", s.st.bad.Sprint("!"), msg)
}

var bindingRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z]+)\s*\}\}`)
}) // compiled on first use: start-up stays fast

// expand fills in {{.NAME.Field}} from the bindings. Anything else in braces stays
// as written: texts teach docker's own --format templates ({{.Repository}}). A
// binding not made yet (its step was skipped) reads as words saying so.
func (s *Session) expand(text string) string {
	return bindingRE().ReplaceAllStringFunc(text, func(m string) string {
		sub := bindingRE().FindStringSubmatch(m)
		b, ok := s.p.Bindings[sub[1]]
		if !ok {
			return s.unbound(sub[1])
		}
		switch sub[2] {
		case "ID":
			return b.ID
		case "ShortID":
			return b.ShortID
		case "Hex":
			return b.Hex
		case "Name":
			return b.Name
		case "Image":
			return b.Image
		case "Kind":
			return b.Kind
		}
		return m
	})
}

// expandCommand is expand for a command to type: a binding not made yet stays a
// placeholder (<marked>), explained in the notes, so the command still reads as one.
func (s *Session) expandCommand(text string) (string, []string) {
	var notes []string
	out := bindingRE().ReplaceAllStringFunc(text, func(m string) string {
		name := bindingRE().FindStringSubmatch(m)[1]
		if _, ok := s.p.Bindings[name]; ok {
			return s.expand(m)
		}
		note := fmt.Sprintf("<%s> is %s.", name, s.unbound(name))
		if !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
		return "<" + name + ">"
	})
	return out, notes
}

// unbound is what a text says in place of a binding no check has made yet.
func (s *Session) unbound(name string) string {
	return UnboundWords(s.cfg.Lesson, name, s.p.Skipped, s.p.Step)
}

// UnboundWords names, in words, the thing a lesson binds as name before it exists:
// "the container from step 7 (not made yet: you skipped that step)". current is
// the step being worked on, where a binding made by the step itself is what one
// of its checks finds.
func UnboundWords(l Lesson, name string, skipped []string, current int) string {
	made, ok := l.Made[name]
	what := "the container or image"
	switch made.Kind {
	case "container":
		what = "the container"
	case "image":
		what = "the image"
	}
	if !ok || made.Step < 0 || made.Step >= len(l.Steps) {
		return fmt.Sprintf("%s the lesson calls %q (not made yet)", what, name)
	}
	if made.Step == current {
		return what + " this step asks for (not made yet)"
	}
	why := fmt.Sprintf("step %d makes it", made.Step+1)
	if slices.Contains(skipped, l.Steps[made.Step].ID) {
		why = "you skipped the step that makes it"
	}
	return fmt.Sprintf("%s from step %d, %q (not made yet: %s)", what, made.Step+1, l.Steps[made.Step].Title, why)
}

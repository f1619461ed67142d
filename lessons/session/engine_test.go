package session

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox/journal"
)

// world is a fake sandbox: the fake runner changes it, the fake checker reads it.
type world struct {
	dir        string
	containers map[string]string
	images     map[string]string
	ran        []string
	destroyed  int
	removed    [][]string
	prepared   int
}

func (w *world) Dir() string { return w.dir }
func (w *world) Capture() journal.State {
	return journal.State{Containers: copyMap(w.containers), Images: copyMap(w.images)}
}
func (w *world) Prepare(ctx context.Context, images []Image, log io.Writer) error {
	w.prepared++
	return nil
}
func (w *world) RemoveExcept(cs, is []string) ([]string, error) {
	w.removed = append(w.removed, append(slices.Clone(cs), is...))
	var out []string
	for id := range w.containers {
		if !slices.Contains(cs, id) {
			delete(w.containers, id)
			out = append(out, "container "+id)
		}
	}
	return out, nil
}
func (w *world) Destroy() error {
	w.destroyed++
	w.containers, w.images = map[string]string{}, map[string]string{}
	return os.RemoveAll(w.dir)
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Run "understands" a few lines: docker run NAME makes a container NAME.
func (w *world) Run(ctx context.Context, line string) (Result, error) {
	w.ran = append(w.ran, line)
	f := strings.Fields(line)
	switch {
	case len(f) == 3 && f[0] == "docker" && f[1] == "run":
		w.containers[f[2]] = "exited"
		return Result{Output: "Hello from " + f[2] + "\n"}, nil
	case f[0] == "false":
		return Result{ExitCode: 1}, nil
	case f[0] == "dockr":
		return Result{ExitCode: 127, Output: "bash: line 1: dockr: command not found\n"}, nil
	}
	return Result{}, nil
}
func (w *world) Dir2() string { return "/" }

type fakeRunner struct{ w *world }

func (r fakeRunner) Run(ctx context.Context, line string) (Result, error) { return r.w.Run(ctx, line) }
func (r fakeRunner) Dir() string                                          { return "/work" }

// lesson: 1 needs a container "hello", 2 is read, 3 needs a container bound as
// "mine", 4 is a quiz, 5 needs container "last".
func testLesson() Lesson {
	return Lesson{ID: "demo", Title: "Demo lesson", Summary: "A *small* lesson.", Steps: []Step{
		{ID: "hello", Title: "Say hello", Text: "Run `docker run hello`.", Try: "docker run hello", Hints: []string{"first nudge", "second nudge"}, Solution: "docker run hello", Checks: 1},
		{ID: "read", Title: "Read this", Text: "# Images\nAn image is a **template**."},
		{ID: "bind", Title: "Make yours", Text: "Make a container named mine.", Checks: 1},
		{ID: "quiz", Title: "Question", Text: "Think.", Quiz: &Quiz{Question: "What is {{.mine.Name}}?", Choices: []string{"an image", "a container"}, Answer: 1, Why: "It was made by `docker run`."}},
		{ID: "last", Title: "Last one with {{.mine.Name}}", Text: "Use `{{.Repository}}` and {{.mine.Name}}.", Checks: 1},
	}}
}

func (w *world) check(ctx context.Context, req CheckRequest) (Outcome, error) {
	want := map[int]string{0: "hello", 2: "mine", 4: "last"}[req.Step]
	if _, ok := w.containers[want]; ok {
		out := Outcome{Results: []CheckResult{{Label: "container " + want, Passed: true, Message: "found " + want}}}
		if req.Step == 2 {
			out.Bindings = Bindings{"mine": {Kind: "container", ID: "c0ffee", Name: "mine"}}
		}
		return out, nil
	}
	return Outcome{Results: []CheckResult{{Label: "container " + want, Message: "expected a container " + want + "; found none", Fail: "No container " + want + " yet."}}}, nil
}

type harness struct {
	t    *testing.T
	w    *world
	root string
	out  *bytes.Buffer
	err  *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	root := t.TempDir()
	w := &world{dir: filepath.Join(root, "sandboxes", "demo"), containers: map[string]string{}, images: map[string]string{}}
	return &harness{t: t, w: w, root: root}
}

// run runs a session over input and returns what it printed.
func (h *harness) run(input string) string {
	h.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(input)
	h.out, h.err = out, errOut
	s, err := New(Config{Lesson: testLesson(), DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: CheckFunc(h.w.check), Sandbox: h.w, Width: 80})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return out.String()
}

func (h *harness) progress() Progress {
	h.t.Helper()
	p, err := LoadProgress(h.root, "demo")
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestSessionWalksThroughTheLesson(t *testing.T) {
	h := newHarness(t)
	out := h.run("docker run hello\n\ndocker run mine\n1\n2\ndocker run last\n")
	mustContain(t, out,
		"Demo lesson", "Step 1/5 · Say hello", "Run `docker run hello`.", "Try: docker run hello",
		"demo 1/5 /work $ docker run hello\n",
		"✔ container hello", "Step 1 done.",
		"Step 2/5 · Read this", "(Press Enter to go on.)",
		"Step 3/5 · Make yours",
		"What is mine?", "  1) an image", "✘ Not quite.", "It was made by `docker run`.", "✔ Right: a container",
		"Step 5/5 · Last one with mine", "Use `{{.Repository}}` and mine.",
		"You finished \"Demo lesson\": 5 of 5 steps done.",
		"Progress saved. Come back with: dockling learn demo")
	if n := strings.Count(out, "It was made by `docker run`."); n != 1 {
		t.Errorf("the quiz's reason shown %d times, want once (after the wrong answer)", n)
	}
	p := h.progress()
	if !p.Done || len(p.Completed) != 5 || p.Bindings["mine"].ID != "c0ffee" {
		t.Errorf("progress: %+v", p)
	}
	es, err := journal.Read(h.w.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[0].Line != "docker run hello" || es[0].Output != "Hello from hello\n" || !slices.Equal(es[0].Containers, []string{"hello"}) {
		t.Errorf("journal: %+v", es)
	}
	if err := journal.Verify(h.w.dir); err != nil {
		t.Error(err)
	}
}

func TestFailingCommandOffersHint(t *testing.T) {
	h := newHarness(t)
	out := h.run("dockr ps\n")
	mustContain(t, out, "✘ No container hello yet.", "Stuck? Type hint for a nudge, or check to see what is expected and what was found.")
	// After a command the lesson's words only; check adds what was expected and found.
	if strings.Contains(out, "expected a container hello") {
		t.Errorf("details after a command:\n%s", out)
	}
	out = newHarness(t).run("true\ntrue\ncheck\n") // a third failure in a row after a command offers a hint
	mustContain(t, out, "✘ No container hello yet.", "expected a container hello; found none")
	if strings.Contains(out, "Stuck?") {
		t.Errorf("check offers itself:\n%s", out)
	}
	es, _ := journal.Read(h.w.dir)
	if len(es) != 1 || es[0].ExitCode != 127 {
		t.Errorf("journal: %+v", es)
	}
	// A successful command that does not pass the step does not nag at once.
	h2 := newHarness(t)
	if out := h2.run("true\n"); strings.Contains(out, "Stuck?") {
		t.Errorf("hint offered after a successful command:\n%s", out)
	}
}

func TestHintsEscalate(t *testing.T) {
	h := newHarness(t)
	out := h.run("hint\nhint\nhint\n")
	mustContain(t, out, "Hint 1/2: first nudge", "Hint 2/2: second nudge", "No more hints.")
	if h.progress().Hints["hello"] != 2 {
		t.Errorf("hints used: %v", h.progress().Hints)
	}
	// Resumed, the count is kept.
	out = h.run("hint\nprogress\n")
	mustContain(t, out, "No more hints.", "(2 of 2 hints)")
}

func TestSolutionAsksFirst(t *testing.T) {
	h := newHarness(t)
	out := h.run("solution\nn\n")
	if strings.Count(out, "    docker run hello") != 0 {
		t.Errorf("solution shown after no:\n%s", out)
	}
	out = h.run("solution\ny\n")
	mustContain(t, out, "Show the solution?", "    docker run hello\n")
}

func TestSkipBackProgressAndResume(t *testing.T) {
	h := newHarness(t)
	out := h.run("skip\nback\nback\nskip\nprogress\nquit\n")
	mustContain(t, out, "Skipped step 1.", "Step 2/5", "This is the first step.", "↷  1. Say hello", "➜  2. Read this")
	p := h.progress()
	if p.Step != 1 || p.StepID != "read" || !slices.Equal(p.Skipped, []string{"hello"}) {
		t.Errorf("progress: %+v", p)
	}
	out = h.run("")
	mustContain(t, out, "Welcome back! You are at step 2 of 5 (0 done).", "Step 2/5 · Read this")
}

func TestGuideWordsNeedTheWholeLine(t *testing.T) {
	h := newHarness(t)
	h.run("hint me\ncommand help\nexit\n")
	if !slices.Equal(h.w.ran, []string{"hint me", "command help"}) {
		t.Errorf("ran %q", h.w.ran)
	}
}

func TestResetLesson(t *testing.T) {
	h := newHarness(t)
	h.run("docker run hello\n")
	out := h.run("reset\n2\nn\n")
	mustContain(t, out, "Reset what?", "Nothing was reset.")
	if h.w.destroyed != 0 {
		t.Fatal("destroyed without confirmation")
	}
	out = h.run("reset lesson\ny\n")
	mustContain(t, out, "The lesson is reset", "Step 1/5 · Say hello")
	p := h.progress()
	if h.w.destroyed != 1 || h.w.prepared < 2 || len(p.Completed) != 0 || p.Step != 0 || len(h.w.containers) != 0 {
		t.Errorf("destroyed %d, prepared %d, progress %+v", h.w.destroyed, h.w.prepared, p)
	}
}

func TestResetStep(t *testing.T) {
	h := newHarness(t)
	h.w.containers["old"] = "exited"
	out := h.run("docker run other\nreset step\ny\n")
	mustContain(t, out, "Removed container other.")
	if len(h.w.removed) != 1 || !slices.Equal(h.w.removed[0], []string{"old"}) {
		t.Errorf("RemoveExcept kept %v", h.w.removed)
	}
	if _, ok := h.w.containers["old"]; !ok {
		t.Error("a container from before the step was removed")
	}
	if p := h.progress(); p.Since != 1 {
		t.Errorf("since %d after the reset, want 1", p.Since)
	}
}

func TestCheckWordAndReadingStep(t *testing.T) {
	h := newHarness(t)
	h.w.containers["hello"] = "exited"
	out := h.run("check\ncheck\n\n")
	mustContain(t, out, "Step 1 done.", "Nothing to check in this step: press Enter to go on.", "Step 3/5")
	if h.progress().Step != 2 {
		t.Errorf("step %d", h.progress().Step)
	}
	out = h.run("next\n")
	mustContain(t, out, "This step is not done yet")
}

// A step that needs another counts only the commands run after that one passed.
func TestSinceMarksTheStepStart(t *testing.T) {
	h := newHarness(t)
	l := testLesson()
	l.Steps[2].Needs = []int{0}
	var sinces []int
	inner := h.w.check
	ios, in, _, _ := iostreams.Test()
	in.WriteString("true\ndocker run hello\n\ndocker run mine\n")
	s, _ := New(Config{Lesson: l, DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Sandbox: h.w,
		Checker: CheckFunc(func(ctx context.Context, req CheckRequest) (Outcome, error) {
			if req.Step == 2 {
				sinces = append(sinces, req.Since)
			}
			return inner(ctx, req)
		})})
	s.Run(context.Background())
	// Not checked after true (step 1 still open), then from seq 2 on: once in the
	// sweep that passed step 1, once after docker run mine.
	if !slices.Equal(sinces, []int{2, 2}) {
		t.Errorf("since %v, want [2 2]", sinces)
	}
}

// interruptingLines is a LineReader that reports Ctrl-C before its lines run out.
type interruptingLines struct{ lines []string }

func (l *interruptingLines) ReadLine(ctx context.Context, prompt string) (string, error) {
	if len(l.lines) == 0 {
		return "", io.EOF
	}
	line := l.lines[0]
	l.lines = l.lines[1:]
	if line == "^C" {
		return "", ErrInterrupted
	}
	return line, nil
}

func TestCtrlCKeepsTheSession(t *testing.T) {
	h := newHarness(t)
	ios, _, out, _ := iostreams.Test()
	lines := &interruptingLines{lines: []string{"^C", "^C", "docker run hello", "^C"}}
	s, _ := New(Config{Lesson: testLesson(), DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: CheckFunc(h.w.check), Sandbox: h.w, Lines: lines, Prompter: &plainConsole{}})
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustContain(t, out.String(), "Step 1 done.", "Progress saved.")
	if p := h.progress(); p.Step != 1 {
		t.Errorf("progress after Ctrl-C: %+v", p)
	}
}

func TestProgressFileIsJSONAndAtomic(t *testing.T) {
	root := t.TempDir()
	p := Progress{Lesson: "demo", Step: 2, StepID: "x", Completed: []string{"a", "b"}, Hints: map[string]int{"a": 1}, Bindings: Bindings{"m": {Kind: "container", ID: "1", Name: "m"}}}
	if err := SaveProgress(root, p); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "progress", "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"step", "completed", "hints", "bindings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("progress lacks %s: %s", k, raw)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "progress"))
	if len(entries) != 1 {
		t.Errorf("leftover temp files: %v", entries)
	}
	q, err := LoadProgress(root, "demo")
	if err != nil || q.Step != 2 || q.Bindings["m"].Name != "m" {
		t.Errorf("loaded %+v, %v", q, err)
	}
	if _, err := LoadProgress(root, "../evil"); err == nil {
		t.Error("a lesson ID leaving the progress folder was accepted")
	}
	os.WriteFile(filepath.Join(root, "progress", "bad.json"), []byte("{"), 0o644)
	if _, err := LoadProgress(root, "bad"); err == nil {
		t.Error("a damaged progress file was read without error")
	}
}

func TestWatchChecksOnChange(t *testing.T) {
	h := newHarness(t)
	ios, in, out, _ := iostreams.Test()
	in.WriteString("2\n") // the quiz's answer
	s, err := New(Config{Lesson: testLesson(), DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: CheckFunc(h.w.check), Sandbox: h.w, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	// Each change to the journal stands for a command run in another terminal.
	h.w.containers["hello"] = "exited"
	h.w.containers["mine"] = "exited"
	h.w.containers["last"] = "exited"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error)
	go func() { done <- s.Watch(ctx, 10*time.Millisecond) }()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			journal.Append(h.w.dir, journal.Entry{Line: "docker ps"})
			time.Sleep(30 * time.Millisecond)
		}
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cancel()
	mustContain(t, out.String(), "Watching this lesson's sandbox", "dockling env --sandbox demo", "Step 1 done.", "Step 2/5", "✔ Right: a container", "You finished")
	if p := h.progress(); !p.Done {
		t.Errorf("progress %+v", p)
	}
}

// A check waiting for a binding says nothing while the check that makes it fails:
// its ✘ would only repeat that one. Details come with check, not after a command.
func TestResultsLeaveWaitingChecksUnsaid(t *testing.T) {
	h := newHarness(t)
	ios, _, _, _ := iostreams.Test()
	s, err := New(Config{Lesson: testLesson(), DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: CheckFunc(h.w.check), Sandbox: h.w, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	out := Outcome{Results: []CheckResult{
		{Label: "file", Message: "expected a file; found none", Fail: "No file yet."},
		{Label: "container", Message: "this waits for {{.mine.Name}}", Words: "{{.mine.Name}} has stopped", Waiting: true},
	}}
	got := s.results(out, false)
	if !strings.Contains(got, "✘ No file yet.") || strings.Contains(got, "has stopped") || strings.Contains(got, "expected a file") {
		t.Errorf("after a command:\n%s", got)
	}
	if got := s.results(out, true); !strings.Contains(got, "expected a file; found none") {
		t.Errorf("on check:\n%s", got)
	}
	// Alone (its binding's step skipped), the waiting check is the one to tell.
	out.Results[0].Passed = true
	if got := s.results(out, false); !strings.Contains(got, "has stopped") {
		t.Errorf("waiting alone:\n%s", got)
	}
}

// Answered right at once, the quiz still says why.
func TestQuizRightAtOnceExplains(t *testing.T) {
	h := newHarness(t)
	out := h.run("docker run hello\n\ndocker run mine\n2\n")
	mustContain(t, out, "✔ Right: a container", "It was made by `docker run`.")
	if strings.Contains(out, "Not quite") {
		t.Errorf("wrong-answer words after a right answer:\n%s", out)
	}
}

// The watcher's first look says nothing of a step the learner has not begun; once a
// command is journaled, the ✘ comes (once, whatever else changes).
func TestWatchQuietUntilTheLearnerActs(t *testing.T) {
	h := newHarness(t)
	watch := func(act func()) string {
		ios, _, out, _ := iostreams.Test()
		s, err := New(Config{Lesson: testLesson(), DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: CheckFunc(h.w.check), Sandbox: h.w, Width: 80})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done := make(chan error)
		go func() { done <- s.Watch(ctx, 10*time.Millisecond) }()
		act()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	// What was run before the lesson began is in the journal, not in the step.
	if err := journal.Append(h.w.dir, journal.Entry{Line: "docker images"}); err != nil {
		t.Fatal(err)
	}
	if out := watch(func() {}); strings.Contains(out, "✘") {
		t.Errorf("✘ before the learner did anything:\n%s", out)
	}
	out := watch(func() {
		for range 3 {
			time.Sleep(40 * time.Millisecond)
			journal.Append(h.w.dir, journal.Entry{Line: "ls"})
		}
	})
	if n := strings.Count(out, "✘ No container hello yet."); n != 1 {
		t.Errorf("✘ shown %d times, want 1:\n%s", n, out)
	}
}

func (h *harness) progress2(lesson string) Progress {
	h.t.Helper()
	p, err := LoadProgress(h.root, lesson)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

package session

import (
	"context"
	"strings"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
)

// orderLesson: each step passes once a container named after its ID exists (the
// fake runner's docker run NAME makes one); "names" needs "mark".
func orderLesson() Lesson {
	step := func(id, title string, needs ...int) Step {
		return Step{ID: id, Title: title, Text: "Do " + id + ".", Try: "docker run " + id, Hints: []string{"run " + id}, Solution: "docker run " + id, Checks: 1, Needs: needs}
	}
	return Lesson{ID: "order", Title: "Order", Steps: []Step{
		step("images", "The images"), step("info", "Where it lives"), step("json", "A JSON file"),
		step("mark", "Leave a mark"), step("names", "Names", 3),
	}}
}

func orderCheck(l Lesson, w *world) CheckFunc {
	return func(ctx context.Context, req CheckRequest) (Outcome, error) {
		id := l.Steps[req.Step].ID
		if _, ok := w.containers[id]; ok {
			return Outcome{Results: []CheckResult{{Label: "container " + id, Passed: true, Words: "a container " + id}}}, nil
		}
		return Outcome{Results: []CheckResult{{Label: "container " + id, Fail: "No container " + id + " yet."}}}, nil
	}
}

func runOrder(t *testing.T, h *harness, input string) string {
	t.Helper()
	l := orderLesson()
	ios, in, out, _ := iostreams.Test()
	in.WriteString(input)
	s, err := New(Config{Lesson: l, DataRoot: h.root, IO: ios, Runner: fakeRunner{h.w}, Checker: orderCheck(l, h.w), Sandbox: h.w, Width: 80})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// Doing step 3 while step 2 is open marks 3 done and says what remains; step 2
// stays the current one, and doing it moves on to the first step still open.
func TestStepDoneOutOfTurn(t *testing.T) {
	h := newHarness(t)
	out := runOrder(t, h, "docker run images\ndocker run json\n")
	mustContain(t, out, "Step 1 done.", "Step 3, A JSON file:", "✔ a container json", "Step 3 done.",
		`Still open before it: step 2, "Where it lives". You are at step 2.`)
	p := h.progress2("order")
	if p.Step != 1 || p.StepID != "info" || len(p.Completed) != 2 {
		t.Errorf("progress %+v", p)
	}
	out = runOrder(t, h, "docker run info\n")
	mustContain(t, out, "Step 2 done.", "Step 4/5 · Leave a mark")
	if strings.Contains(out, "Step 3/5") {
		t.Errorf("the step done out of turn was shown again:\n%s", out)
	}
}

// Commands unrelated to the open steps say nothing; each attempt at the current
// step (what it suggests, or a failing command) gets its ✘ once.
func TestNoNagForUnrelatedCommands(t *testing.T) {
	h := newHarness(t)
	out := runOrder(t, h, "docker run images\nls /var/lib/docker\ncd /tmp\ncat x\ndocker run json\ndocker run mark\ndocker ps -a\ndocker run wrong\nfalse\n")
	if n := strings.Count(out, "✘ No container info yet."); n != 2 {
		t.Errorf("step 2 nagged %d times, want 2 (docker run wrong, false):\n%s", n, out)
	}
	if strings.Contains(out, "No container names yet") {
		t.Errorf("a later step nagged:\n%s", out)
	}
	mustContain(t, out, "Step 3 done.", "Step 4 done.")
}

// A step that needs another is not checked before that one passes, and counts only
// later commands.
func TestNeedsHoldsAStepBack(t *testing.T) {
	h := newHarness(t)
	h.w.containers["names"] = "exited"
	out := runOrder(t, h, "true\n")
	if strings.Contains(out, "Step 5 done") {
		t.Errorf("a step passed before the step it needs:\n%s", out)
	}
	out = runOrder(t, h, "docker run mark\n")
	mustContain(t, out, "Step 4 done.", "Step 5, Names:", "Step 5 done.")
}

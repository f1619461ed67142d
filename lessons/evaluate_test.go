package lessons_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/fakeview"
	"github.com/dockling/dockling/lessons"
)

const ubuntuID = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

// world is a tiny fake sandbox that scripts change: enough to run full.yaml.
type world struct {
	v      *fakeview.View
	n      int
	resets int
	saves  int
}

func newWorld() *world {
	w := &world{}
	_ = w.Reset()
	return w
}

func (w *world) Reset() error {
	w.resets++
	w.v = &fakeview.View{
		ImageList: []checker.Image{{ID: ubuntuID, Tags: []string{"ubuntu:latest"}}},
		Files:     map[string]fstest.MapFS{ubuntuID: {}},
	}
	return nil
}

func (w *world) View() checker.View { return w.v }

// Run understands the few commands the test lessons use.
func (w *world) Run(script string) error {
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		w.n++
		exit := 0
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[1] == "run":
			id := strings.Repeat(string(rune('a'+w.n%26)), 64)
			name := "auto_" + id[:4]
			if f[2] == "--name" {
				name = f[3]
			}
			fsys := fstest.MapFS{}
			if strings.Contains(line, "echo hi > /x") {
				fsys["x"] = &fstest.MapFile{Data: []byte("hi\n")}
			}
			w.v.Files[id] = fsys
			w.v.ContainerList = append(w.v.ContainerList, checker.Container{ID: id, Name: name, Image: "ubuntu", ImageID: ubuntuID,
				State: "exited", Created: time.Unix(int64(w.n), 0)})
		case len(f) >= 2 && f[1] == "start":
			found := false
			for _, c := range w.v.ContainerList {
				found = found || c.Name == f[2]
			}
			if !found {
				exit = 1
			}
		}
		w.v.Ran(line, exit, "")
	}
	return nil
}

type snapWorld struct{ *world }

func (s snapWorld) Save() (func() error, error) {
	s.saves++
	saved := *s.v
	saved.ContainerList = append([]checker.Container(nil), s.v.ContainerList...)
	saved.Commands = append([]checker.Command(nil), s.v.Commands...)
	saved.Files = map[string]fstest.MapFS{}
	for k, v := range s.v.Files {
		saved.Files[k] = v
	}
	return func() error { *s.v = saved; return nil }, nil
}

func loadFull(t *testing.T) *lessons.Lesson {
	l, err := lessons.Load(os.DirFS("testdata"), "full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEvaluateStep(t *testing.T) {
	l := loadFull(t)
	w := newWorld()
	res := lessons.EvaluateStep(l.Steps[0], w.v, nil, 0)
	if res.Passed || res.Points != 0 || res.MaxPoints != 2 || res.Results[0].Fail != "No container has /x yet." {
		t.Errorf("before: %+v", res)
	}
	_ = w.Run(l.Steps[0].Solution)
	res = lessons.EvaluateStep(l.Steps[0], w.v, nil, 0)
	if !res.Passed || res.Points != 2 || res.Bindings["marked"].Name != "marked" {
		t.Errorf("after: %+v", res)
	}
	since, _ := lessons.LastSeq(w.v)
	step2 := lessons.EvaluateStep(l.Steps[1], w.v, res.Bindings, since)
	if step2.Passed || !strings.Contains(step2.Results[0].Message, "no commands run in this step yet") {
		t.Errorf("step 2 before: %+v", step2.Results)
	}
	_ = w.Run("docker start marked")
	if step2 = lessons.EvaluateStep(l.Steps[1], w.v, res.Bindings, since); !step2.Passed {
		t.Errorf("step 2 after: %+v", step2.Results)
	}
	if q := lessons.EvaluateStep(l.Steps[2], w.v, res.Bindings, since); q.Passed || q.Results != nil {
		t.Errorf("quiz: %+v", q)
	}
}

// A step's ran check is passed by the command however a shell would run it.
func TestEvaluateStepReadsLinesAsAShell(t *testing.T) {
	l := loadFull(t)
	for _, line := range []string{
		"docker start marked", "clear; docker start marked", "time docker start marked", "sudo docker start marked",
		"docker start marked | head", "FOO=1 docker start marked", "(docker start marked)",
		"docker start marked && echo ok", "docker container start marked", "dockling docker start marked",
	} {
		w := newWorld()
		_ = w.Run(l.Steps[0].Solution)
		res := lessons.EvaluateStep(l.Steps[0], w.v, nil, 0)
		since, _ := lessons.LastSeq(w.v)
		w.v.Ran(line, 0, "")
		if step2 := lessons.EvaluateStep(l.Steps[1], w.v, res.Bindings, since); !step2.Passed {
			t.Errorf("%q: %+v", line, step2.Results)
		}
	}
}

func TestGrade(t *testing.T) {
	l := loadFull(t)
	w := newWorld()
	r := lessons.Grade(l, w.v, "empty")
	if len(r.Steps) != 1 || r.Steps[0].ID != "mark" || r.Passed() {
		t.Errorf("empty sandbox: %+v", r)
	}
	_ = w.Run(l.Steps[0].Solution + "\ndocker start marked")
	r = lessons.Grade(l, w.v, "done")
	if p, m := r.Score(); !r.Passed() || p != 2 || m != 2 || r.Subject != "done" || r.Lesson != "full" {
		t.Errorf("done: %+v", r)
	}
}

// failed lists the phases that failed, as their report lines.
func failed(phases []lessons.PhaseResult) []string {
	var out []string
	for _, p := range phases {
		if !p.OK {
			out = append(out, p.String())
		}
	}
	return out
}

func phaseLines(phases []lessons.PhaseResult) string {
	var out []string
	for _, p := range phases {
		out = append(out, p.String())
	}
	return strings.Join(out, "\n")
}

func TestAuthorTest(t *testing.T) {
	l := loadFull(t)
	w := newWorld()
	phases, err := lessons.AuthorTest(l, w, lessons.AuthorOptions{})
	if err != nil || len(failed(phases)) != 0 {
		t.Fatalf("%v %v", phaseLines(phases), err)
	}
	want := "step mark: before ok (checks fail)\nstep mark: wrong 1 ok (rejected)\nstep mark: after ok (checks pass)\nstep mark: again ok (same result)\n" +
		"step start: before ok (checks fail)\nstep start: after ok (checks pass)\nstep start: again ok (same result)"
	if got := phaseLines(phases); got != want {
		t.Errorf("phases:\n%s\nwant:\n%s", got, want)
	}
	if w.resets < 3 {
		t.Errorf("without snapshots the earlier solutions are replayed: %d resets", w.resets)
	}
	sw := snapWorld{newWorld()}
	if phases, err := lessons.AuthorTest(l, sw, lessons.AuthorOptions{}); err != nil || len(failed(phases)) != 0 || sw.saves != 1 {
		t.Errorf("with snapshots: %v %v %d saves", failed(phases), err, sw.saves)
	}

	// A lesson whose wrong answer passes, whose solution fails, and whose checks
	// pass before anything ran.
	bad := `id: bad
title: Bad
steps:
  - id: one
    title: One
    text: x
    solution: docker run ubuntu true
    wrong: [docker run --name other ubuntu sh -c 'echo hi > /x']
    checks:
      - file: {path: /x}
  - id: two
    title: Two
    text: x
    solution: docker ps
    checks:
      - image: {name: ubuntu}
`
	l2, err := lessons.Load(fstest.MapFS{"bad.yaml": {Data: []byte(bad)}}, "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	phases, err = lessons.AuthorTest(l2, newWorld(), lessons.AuthorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := failed(phases)
	want2 := []string{
		"bad.yaml:8:13: step one: wrong 1 FAIL: the wrong answer passes the checks: docker run --name other ubuntu sh -c 'echo hi > /x'",
		"bad.yaml:7:15: step one: after FAIL: the checks fail after the solution: file {path: /x}: expected a container with /x; found auto_",
		"bad.yaml:11:5: step two: before FAIL: the checks pass before the solution ran: they prove nothing",
	}
	if len(got) != len(want2) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want2 {
		if !strings.HasPrefix(got[i], want2[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], want2[i])
		}
	}
}

// TestAuthorTestStep: --step tests only that step; the ones before it are replayed
// (their solutions run) but not tested.
func TestAuthorTestStep(t *testing.T) {
	l := loadFull(t)
	w := newWorld()
	phases, err := lessons.AuthorTest(l, w, lessons.AuthorOptions{Step: "start"})
	if err != nil {
		t.Fatal(err)
	}
	want := "step start: before ok (checks fail)\nstep start: after ok (checks pass)\nstep start: again ok (same result)"
	if got := phaseLines(phases); got != want {
		t.Errorf("phases:\n%s\nwant:\n%s", got, want)
	}
	// The earlier step's solution ran, its wrong answer did not.
	cmds, _ := w.v.Journal()
	var lines []string
	for _, c := range cmds {
		lines = append(lines, c.Line)
	}
	if j := strings.Join(lines, "\n"); !strings.Contains(j, "docker run --name marked") || strings.Contains(j, "docker run ubuntu true") {
		t.Errorf("journal:\n%s", j)
	}
	if _, err := lessons.AuthorTest(l, newWorld(), lessons.AuthorOptions{Step: "nope"}); err == nil || !strings.Contains(err.Error(), `no step "nope"`) {
		t.Errorf("unknown step: %v", err)
	}
}

// flipWorld shows its containers only every other time it is looked at: a check on
// it is not deterministic.
type flipWorld struct {
	*world
	calls int
}

func (f *flipWorld) View() checker.View {
	f.calls++
	if f.calls%2 == 1 {
		return f.v
	}
	hidden := *f.v
	hidden.ContainerList = nil
	return &hidden
}

// TestAuthorTestAgain: a check that gives another result the second time is caught.
func TestAuthorTestAgain(t *testing.T) {
	src := `id: flaky
title: Flaky
steps:
  - id: one
    title: One
    text: x
    solution: docker run --name c ubuntu true
    checks:
      - container: {name: c}
`
	l, err := lessons.Load(fstest.MapFS{"f.yaml": {Data: []byte(src)}}, "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fw := &flipWorld{world: newWorld()}
	phases, err := lessons.AuthorTest(l, fw, lessons.AuthorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := failed(phases)
	if len(got) != 1 || !strings.Contains(got[0], "step one: again FAIL: checking again gives another result: container {name: c} passed, then failed") {
		t.Errorf("phases:\n%s", phaseLines(phases))
	}
}

func TestMissingImages(t *testing.T) {
	l := loadFull(t)
	imgs := []checker.Image{{ID: "1", Tags: []string{"hello-world:latest"}}}
	missing := l.MissingImages(imgs)
	if len(missing) != 1 || missing[0].Ref != "alpine" {
		t.Errorf("%+v", missing)
	}
	// A stand-in tagged alpine is not alpine.
	imgs = append(imgs, checker.Image{ID: "2", Tags: []string{"docker.io/library/alpine:latest"}, Labels: map[string]string{lessons.StandinLabel: "busybox"}})
	if len(l.MissingImages(imgs)) != 1 {
		t.Error("stand-in counted as the real image")
	}
	imgs[1].Labels = nil
	if len(l.MissingImages(imgs)) != 0 {
		t.Error("real alpine not found")
	}
}

// TestGradeUnboundWords: a grader reads why a check that depends on an earlier
// check's binding failed, in words, with no template left in the texts.
func TestGradeUnboundWords(t *testing.T) {
	l, problems := lessons.Parse("l.yaml", []byte(`id: l
title: T
steps:
  - id: mark
    title: Mark
    text: x
    solution: docker run --name marked ubuntu bash -c 'echo hi > /x'
    checks:
      - file: {container: any, path: /x, contains: hi}
        as: marked
  - id: again
    title: Again
    text: x
    solution: docker start marked
    checks:
      - container: {name: marked, state: exited}
      - ran: {command: '^docker start'}
        fail: Start it with docker start {{.marked.Name}} ({{ .marked.ShortID }}).
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	r := lessons.Grade(l, newWorld().v, "empty")
	if len(r.Steps) != 2 {
		t.Fatalf("steps: %+v", r.Steps)
	}
	c := r.Steps[1].Results[0]
	if want := "not checked: it is about marked, which a check of step mark names (as: marked) when it passes, and that check failed"; c.Message != want {
		t.Errorf("message %q, want %q", c.Message, want)
	}
	if c = r.Steps[1].Results[1]; c.Fail != "Start it with docker start <marked> (<marked>)." {
		t.Errorf("fail %q", c.Fail)
	}
}

// TestOutputLiveAndGradedAgree: an output check passed live by a command of its step
// passes in the grade too, though more commands were run after it (the grade used to
// look at the journal's last command only).
func TestOutputLiveAndGradedAgree(t *testing.T) {
	l, problems := lessons.Parse("l.yaml", []byte(`id: l
title: T
steps:
  - id: json
    title: JSON
    text: x
    solution: cat f.json
    checks:
      - output: {contains: '"created_by"'}
  - id: inspect
    title: Inspect
    text: x
    solution: docker inspect ubuntu
    checks:
      - ran: {command: '^docker inspect'}
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	w := newWorld()
	w.v.Ran("ls", 0, "f.json\n")
	w.v.Ran("cat f.json", 0, `{"history": [{"created_by": "x"}]}`+"\n")
	live := lessons.EvaluateStep(l.Steps[0], w.v, checker.Bindings{}, 1)
	w.v.Ran("docker inspect ubuntu", 0, "[]\n")
	r := lessons.Grade(l, w.v, "learner")
	if !live.Passed || len(r.Steps) != 2 || !r.Steps[0].Results[0].Passed {
		t.Errorf("live passed %v; graded %+v", live.Passed, r.Steps)
	}
}

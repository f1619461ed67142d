package content_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/fakeview"
	"github.com/dockling/dockling/content"
	"github.com/dockling/dockling/lessons"
)

func TestLessonsLoad(t *testing.T) {
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	if len(ids) < 5 || !slices.Equal(ids[:5], []string{"images-vs-containers", "commit", "dockerfile", "ports", "volumes"}) {
		t.Fatalf("lessons %v", ids)
	}
}

// TestLessonsAreComplete holds the embedded lessons to the house rules: every step
// has escalating hints, a reference solution and a wrong answer, every check says
// in the lesson's words what to do when it fails, and each lesson ends with a quiz.
func TestLessonsAreComplete(t *testing.T) {
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		quizzes := 0
		for _, s := range l.Steps {
			where := l.ID + "/" + s.ID
			if s.Title == "" || strings.TrimSpace(s.Text) == "" {
				t.Errorf("%s: no title or text", where)
			}
			if s.IsQuiz() {
				quizzes++
				if s.Quiz.Why == "" {
					t.Errorf("%s: the quiz does not explain its answer", where)
				}
				continue
			}
			if len(s.Hints) < 2 {
				t.Errorf("%s: %d hints; give at least two, from a nudge to nearly the answer", where, len(s.Hints))
			}
			if strings.TrimSpace(s.Solution) == "" || len(s.Wrong) == 0 {
				t.Errorf("%s: needs a solution and at least one wrong answer", where)
			}
			if s.Try == "" {
				t.Errorf("%s: no try: command", where)
			}
			for _, c := range s.Checks {
				if c.Fail.IsZero() {
					t.Errorf("%s: check %s has no fail: text", where, c.Label)
				}
			}
		}
		if quizzes == 0 {
			t.Errorf("%s: no quiz", l.ID)
		}
	}
}

func TestImagesNeeded(t *testing.T) {
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	first, commit := ls[0], ls[1]
	// The first lesson works offline: hello-world is built in, ubuntu has a stand-in.
	if first.NeedsNetwork() || len(first.Images) != 2 || first.Images[1].Ref != "ubuntu" || first.Images[1].Standin != "ubuntu-standin" || first.Images[1].Require {
		t.Errorf("images-vs-containers: %+v", first.Images)
	}
	// The commit lesson needs the real ubuntu and says how to get it.
	if !commit.NeedsNetwork() || len(commit.Images) != 1 || !commit.Images[0].Require || commit.Images[0].Standin != "" {
		t.Errorf("commit: %+v", commit.Images)
	}
	// Why, in the lesson's words; how, from dockling, for this computer (one list:
	// the lesson adds no advice of its own that could contradict it).
	missing := commit.Images[0].Missing
	for _, want := range []string{"apt-get", "stand-in"} {
		if !strings.Contains(missing, want) {
			t.Errorf("commit: the missing-image text lacks %q", want)
		}
	}
	for _, advice := range []string{"docker pull", "docker load", "docker import", "debootstrap", "start the lesson again"} {
		if strings.Contains(missing, advice) {
			t.Errorf("commit: the missing-image text gives advice of its own (%q), which dockling's may contradict", advice)
		}
	}
	if m := commit.MissingImages(nil); len(m) != 1 || m[0].Ref != "ubuntu" {
		t.Errorf("commit without images: %+v", m)
	}
	if m := first.MissingImages(nil); len(m) != 1 || m[0].Ref != "hello-world" {
		t.Errorf("images-vs-containers without images: %+v", m)
	}
}

// TestSolutionsNameWhatTheLearnerMade: a solution the learner asks for after the
// step that made a binding names the thing through it ({{.marked.Name}}). The
// author test runs the solutions with --name marked, so a bare "marked" passes
// there, yet the learner's container has a name Docker made up.
func TestSolutionsNameWhatTheLearnerMade(t *testing.T) {
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		var made []string
		for _, s := range l.Steps {
			for _, name := range made {
				bare := regexp.MustCompile(`(^|[^.\w])` + regexp.QuoteMeta(name) + `\b`)
				if bare.MatchString(s.Solution) {
					t.Errorf("%s/%s: the solution names %q as written, not as {{.%s.Name}}: %q", l.ID, s.ID, name, name, s.Solution)
				}
			}
			for _, c := range s.Checks {
				if c.As != "" {
					made = append(made, c.As)
				}
			}
		}
	}
}

// TestCommitRefusesAnImageWithoutApt: the step that installs Python with apt-get
// says at its first check, whatever the learner typed, that an ubuntu without
// apt-get (dockling's stand-in) cannot do, and why; a real one passes that check.
func TestCommitRefusesAnImageWithoutApt(t *testing.T) {
	ls, err := lessons.LoadAll(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	var step *lessons.Step
	for _, s := range ls[1].Steps {
		if s.ID == "install-python" {
			step = s
		}
	}
	if step == nil {
		t.Fatal("commit has no install-python step")
	}
	const id = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	view := func(files fstest.MapFS) *fakeview.View {
		return &fakeview.View{
			ImageList: []checker.Image{{ID: id, Tags: []string{"ubuntu:latest"}}},
			Files:     map[string]fstest.MapFS{id: files},
		}
	}
	bin := &fstest.MapFile{Data: []byte("#!/bin/sh\n"), Mode: 0o755}
	standin := view(fstest.MapFS{"usr/bin/bash": bin})
	first := lessons.EvaluateStep(step, standin, nil, 0).Results[0]
	if first.Passed || !strings.Contains(first.Fail, "has no apt-get") || !strings.Contains(first.Fail, "stand-in") {
		t.Fatalf("an ubuntu without apt-get: first check %+v, want it refused, saying why", first)
	}
	real := view(fstest.MapFS{"usr/bin/bash": bin, "usr/bin/apt-get": bin})
	if first := lessons.EvaluateStep(step, real, nil, 0).Results[0]; !first.Passed {
		t.Fatalf("an ubuntu with apt-get: first check %+v, want it passed", first)
	}
}

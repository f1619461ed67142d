package content_test

import (
	"regexp"
	"strings"
	"testing"

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
	if len(ids) < 3 || ids[0] != "images-vs-containers" || ids[1] != "commit" || ids[2] != "ports" {
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
	for _, how := range []string{"docker pull ubuntu", "docker load -i ubuntu.tar", `docker import --change 'CMD ["bash"]' - ubuntu`} {
		if !strings.Contains(commit.Images[0].Missing, how) {
			t.Errorf("commit: the missing-image text lacks %q", how)
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

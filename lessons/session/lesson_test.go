package session

import (
	"context"
	"testing"

	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/store"
)

const glueLesson = `id: glue
title: Glue
images: [hello-world, {ref: ubuntu, standin: ubuntu-standin}]
steps:
  - id: find
    title: Find the image
    text: Look at hello-world.
    hints: [docker images]
    solution: docker images
    checks:
      - image: {name: hello-world}
        as: hw
      - ran: {command: '^docker images$'}
        fail: Run docker images.
  - id: quiz
    title: Quiz about {{.hw.Name}}
    text: Which?
    quiz:
      question: Is {{.hw.Name}} an image?
      choices: ["no", "yes"]
      answer: "yes"
      why: It is listed by docker images.
`

func TestFromLessonAndLessonChecker(t *testing.T) {
	l, problems := lessons.Parse("glue.yaml", []byte(glueLesson))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	sl := FromLesson(l)
	if sl.ID != "glue" || len(sl.Steps) != 2 || sl.Steps[0].Checks != 2 || sl.Steps[1].Quiz == nil || sl.Steps[1].Quiz.Answer != 1 {
		t.Fatalf("converted: %+v", sl)
	}
	if len(sl.Images) != 2 || sl.Images[0].Optional || sl.Images[1].Standin != "ubuntu-standin" {
		t.Errorf("images: %+v", sl.Images)
	}
	dir := t.TempDir()
	sb, err := sandbox.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := store.ParseRef("hello-world")
	if _, err := sb.PullBuiltin(ref); err != nil {
		t.Skipf("no built-in hello-world here: %v", err)
	}
	check := LessonChecker(l, dir)
	out, err := check.Check(context.Background(), CheckRequest{Step: 0})
	if err != nil {
		t.Fatal(err)
	}
	if out.Passed() || len(out.Results) != 2 || !out.Results[0].Passed || out.Results[1].Fail != "Run docker images." {
		t.Errorf("before docker images: %+v", out)
	}
	journal.Append(dir, journal.Entry{Line: "docker images"})
	out, _ = check.Check(context.Background(), CheckRequest{Step: 0})
	if !out.Passed() || out.Bindings["hw"].Kind != "image" || out.Bindings["hw"].Name != "hello-world:latest" {
		t.Errorf("after docker images: %+v", out)
	}
	// Commands before the step began do not count.
	out, _ = check.Check(context.Background(), CheckRequest{Step: 0, Since: 1})
	if out.Passed() {
		t.Errorf("a command from before the step passed it: %+v", out)
	}
	if _, err := check.Check(context.Background(), CheckRequest{Step: 5}); err == nil {
		t.Error("a step past the end was checked")
	}
}

package cmd_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/internal/iostreams"
)

const echoLesson = `id: echo
title: Echo
summary: Say hello.
steps:
  - id: hello
    title: Say hello
    text: Type echo hello.
    solution: echo hello
    checks:
      - ran: {command: '^echo hello$', exit: 0}
`

func writeLesson(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lesson.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLearnFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *cmd.LearnOptions
	c := cmd.NewLearnCmd(cmd.NewFactory(ios), func(o *cmd.LearnOptions) error { got = o; return nil })
	c.SetArgs([]string{"--lessons", "dir", "--watch", "images-vs-containers"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Lesson != "images-vs-containers" || got.LessonsDir != "dir" || !got.Watch {
		t.Errorf("options: %+v", got)
	}
	c = cmd.NewLearnCmd(cmd.NewFactory(ios), func(o *cmd.LearnOptions) error { return nil })
	c.SetArgs([]string{"a", "b"})
	c.SilenceErrors, c.SilenceUsage = true, true
	if err := c.Execute(); err == nil {
		t.Error("two lessons accepted")
	}
}

func runLearn(t *testing.T, root, input string, args ...string) (string, string, error) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(input)
	f := cmd.NewFactory(ios)
	f.DataRoot = root
	c := cmd.NewLearnCmd(f, nil)
	c.SetArgs(args)
	c.SilenceErrors, c.SilenceUsage = true, true
	err := c.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestLearnWithoutATerminal(t *testing.T) {
	dir := writeLesson(t, echoLesson)
	root := t.TempDir()
	out, _, err := runLearn(t, root, "", "--lessons", dir)
	if err != nil || !regexp.MustCompile(`echo +Echo +new`).MatchString(out) || !strings.Contains(out, "Start one with: dockling learn LESSON") {
		t.Errorf("list (%v):\n%s", err, out)
	}
	out, _, err = runLearn(t, root, "echo hello\n", "--lessons", dir, "echo")
	if err != nil || !strings.Contains(out, "echo 1/1") || !strings.Contains(out, "✔ Nice work! Step 1 done.") {
		t.Errorf("session (%v):\n%s", err, out)
	}
	out, _, _ = runLearn(t, root, "", "--lessons", dir)
	if !regexp.MustCompile(`echo +Echo +done ✔`).MatchString(out) {
		t.Errorf("list after the lesson:\n%s", out)
	}
	if _, _, err := runLearn(t, root, "", "--lessons", dir, "nosuch"); err == nil || !regexp.MustCompile(`no lesson "nosuch" \(known: .*echo`).MatchString(err.Error()) {
		t.Errorf("unknown lesson: %v", err)
	}
}

func TestLearnCompletesLessonIDs(t *testing.T) {
	dir := writeLesson(t, echoLesson)
	ios, _, _, _ := iostreams.Test()
	c := cmd.NewLearnCmd(cmd.NewFactory(ios), nil)
	c.ParseFlags([]string{"--lessons", dir})
	got, _ := c.ValidArgsFunction(c, nil, "ec")
	if len(got) != 1 || got[0] != "echo\tEcho" {
		t.Errorf("completions %q", got)
	}
}

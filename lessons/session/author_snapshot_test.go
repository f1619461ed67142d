package session

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/lessons"
)

// The author test undoes a wrong answer by restoring the snapshot taken before it,
// not by emptying the sandbox and running the earlier steps' solutions again: the
// first step's solution runs once, though the second step has two wrong answers.
func TestAuthorTestRestoresSnapshots(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	src := `id: twostep
title: Two steps
steps:
  - id: first
    title: First
    text: Say one.
    hints: [say it]
    solution: echo one >> ` + count + `
    checks:
      - ran: {command: '^echo one'}
  - id: second
    title: Second
    text: Say two.
    hints: [say it]
    solution: echo two
    wrong: [echo three, echo four]
    checks:
      - ran: {command: '^echo two$'}
`
	l, problems := lessons.Parse("twostep.yaml", []byte(src))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	r, err := NewAuthorRunner(context.Background(), l, t.TempDir(), l.ID, io.Discard, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(false)
	phases, err := lessons.AuthorTest(l, r, lessons.AuthorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range phases {
		if !p.OK {
			t.Error(p)
		}
	}
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "one"); n != 1 {
		t.Fatalf("the first step's solution ran %d times, want once", n)
	}
}

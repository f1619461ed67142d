package session

import (
	"strings"
	"testing"
)

func TestRenderPlain(t *testing.T) {
	md := "# Images vs containers\n\nAn *image* is a **template**; run it with `docker run -it ubuntu bash`.\nA [link](https://docs.docker.com) too.\n\n" +
		"## Steps\n\n- first item\n- second item that is long enough to need wrapping at a narrow width for sure\n  continued here\n  - nested\n1. one\n2. two\n\n" +
		"```sh\ndocker ps -a\n\techo tab\n```\n\n> quoted *words*\n\n---\nsnake_case_name and 2*3*4 stay.\n"
	got := Render(md, 40, false)
	want := `Images vs containers
====================

An image is a template; run it with
` + "`docker run -it ubuntu bash`." + ` A link
(https://docs.docker.com) too.

Steps
-----

  • first item
  • second item that is long enough to
    need wrapping at a narrow width for
    sure continued here
    • nested
  1. one
  2. two

    docker ps -a
        echo tab

│ quoted words

────────────────────────────────────────

snake_case_name and 2*3*4 stay.
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderColour(t *testing.T) {
	got := Render("Use `docker ps` and **look**.", 80, true)
	if !strings.Contains(got, "\x1b[33mdocker\x1b[0m \x1b[33mps\x1b[0m") || !strings.Contains(got, "\x1b[1mlook\x1b[") || strings.Contains(got, "`") {
		t.Errorf("got %q", got)
	}
	// Wrapping counts what shows, not the escapes.
	long := strings.Repeat("`word` ", 30)
	for _, l := range strings.Split(strings.TrimSpace(Render(long, 40, true)), "\n") {
		if n := visibleLen(l); n > 40 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

func TestExpandLeavesDockerTemplates(t *testing.T) {
	s := &Session{p: Progress{Bindings: Bindings{"marked": {Name: "happy_turing", ID: "abc", ShortID: "abc"}}}}
	got := s.expand("docker start {{.marked.Name}} {{ .marked.ShortID }}; docker ps --format '{{.Names}}' {{.other.Name}} {{.marked.Nope}}")
	want := "docker start happy_turing abc; docker ps --format '{{.Names}}' the container or image the lesson calls \"other\" (not made yet) {{.marked.Nope}}"
	if got != want {
		t.Errorf("got %q", got)
	}
}

func TestExpandNamesBindingsNotMadeYet(t *testing.T) {
	l := Lesson{ID: "l", Steps: []Step{{ID: "a", Title: "First"}, {ID: "mark", Title: "Leave a mark"}, {ID: "c"}},
		Made: map[string]Made{"marked": {Kind: "container", Step: 1}}}
	s := &Session{cfg: Config{Lesson: l}, p: Progress{Bindings: Bindings{}, Skipped: []string{"mark"}}}
	got := s.expand("docker start {{.marked.Name}}")
	want := `docker start the container from step 2, "Leave a mark" (not made yet: you skipped the step that makes it)`
	if got != want {
		t.Errorf("skipped: got %q", got)
	}
	s.p.Skipped = nil
	if got := s.expand("{{.marked.ID}}"); !strings.Contains(got, "step 2 makes it") {
		t.Errorf("not reached: got %q", got)
	}
}

func TestRenderSetextAndInterruptingHeadings(t *testing.T) {
	got := Render("Big title\n=========\nSome text\n## Small\nMore text\nSub\n---\n", 80, false)
	// As in Markdown, the underline makes the whole paragraph above it the heading.
	want := "Big title\n=========\n\nSome text\n\nSmall\n-----\n\nMore text Sub\n-------------\n"
	if got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

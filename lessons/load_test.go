package lessons_test

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dockling/dockling/lessons"
)

func TestLoadFull(t *testing.T) {
	l, err := lessons.Load(os.DirFS("testdata"), "full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "full" || l.Order != 3 || !l.NeedsNetwork() || len(l.Steps) != 3 || l.File != "full.yaml" {
		t.Fatalf("%+v", l)
	}
	imgs := l.Images
	if len(imgs) != 3 || imgs[0].Ref != "hello-world" || !imgs[0].Require || imgs[1].Standin != "ubuntu-standin" || imgs[1].Require ||
		!imgs[2].Require || imgs[2].Missing != "docker pull alpine\n" {
		t.Errorf("images %+v", imgs)
	}
	s := l.Steps[0]
	if s.ID != "mark" || len(s.Hints) != 3 || len(s.Wrong) != 1 || !s.Grade || len(s.Checks) != 1 || s.Checks[0].As != "marked" || s.Checks[0].Points != 2 || s.Pos.Line != 15 {
		t.Errorf("step %+v", s)
	}
	if l.Steps[1].Grade || l.Step("start") != l.Steps[1] || l.Step("nope") != nil {
		t.Error("step 2")
	}
	q := l.Steps[2].Quiz
	if !l.Steps[2].IsQuiz() || q.AnswerIndex() != 1 || q.Why == "" {
		t.Errorf("quiz %+v", q)
	}
}

// problems loads src and returns its problems, one per line.
func problems(t *testing.T, src string) string {
	t.Helper()
	_, err := lessons.Load(fstest.MapFS{"l.yaml": {Data: []byte(src)}}, "l.yaml")
	var le *lessons.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want a LoadError, got %v", err)
	}
	return err.Error()
}

const okStep = `
  - id: s1
    title: T
    text: x
    solution: docker ps
    checks:
      - ran: {command: '^docker ps'}
`

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"id: x\ntitle: [", "l.yaml:2:1: malformed YAML: did not find expected node content"},
		{"id: x\n\tbad", "l.yaml:2:1: malformed YAML: found a tab character"},
		{"", "l.yaml:1:1: the file is empty"},
		{"- a", "l.yaml:1:1: lesson must be a mapping of fields, found a list"},
		{"id: x\ntitle: T\nsteps:" + okStep + "---\nid: y", "l.yaml:10:1: a lesson file holds one YAML document"},
		{"id: x\ntitle: T\nauthor: me\nsteps:" + okStep, `l.yaml:3:1: unknown field "author" in lesson (known fields: id, images, needs, order, steps, summary, title)`},
		{"title: T\nsteps:" + okStep, "l.yaml:1:1: lesson needs id:"},
		{"id: X Y\ntitle: T\nsteps:" + okStep, `l.yaml:1:5: id "X Y": use lowercase letters`},
		{"id: x\ntitle: T\nsteps: []", "l.yaml:3:8: steps must be a list of steps, found a list"},
		{"id: x\ntitle: T\nneeds: [gpu]\nsteps:" + okStep, `l.yaml:3:9: needs: unknown need "gpu" (known: network)`},
		{"id: x\ntitle: T\norder: first\nsteps:" + okStep, `l.yaml:3:8: order must be a whole number, found "first"`},
		{"id: x\ntitle: T\nimages: [{standin: busybox}]\nsteps:" + okStep, "l.yaml:3:10: image needs ref:"},
		{"id: x\ntitle: T\nimages: [{ref: u, standin: b, require: true}]\nsteps:" + okStep, "l.yaml:3:31: image u: require: true asks for the real image"},
		{"id: x\ntitle: T\nimages: [{ref: u, pull: true}]\nsteps:" + okStep, `l.yaml:3:19: unknown field "pull" in image`},
		{"id: x\ntitle: T\nimages: [ubuntu, ubuntu:latest]\nsteps:" + okStep, "l.yaml:3:18: image ubuntu:latest is listed twice"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n", "l.yaml:4:5: step s1 has no checks (only quiz steps may go without)"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    checks: [{ran: {command: x}}]\n", "l.yaml:4:5: step s1 needs solution:"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n    checks: [{ran: {commnd: x}}]\n", `l.yaml:8:20: ran check needs command:` + "\n" + `l.yaml:8:21: unknown field "commnd" in ran check`},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n    checks: [{rann: {}}]\n", `l.yaml:8:15: unknown check type "rann"`},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    text: x\n    solution: y\n    checks: [{ran: {command: x}}]\n", "l.yaml:4:5: step needs title:"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    hint: y\n", `l.yaml:7:5: unknown field "hint" in step (known fields: checks, grade, hints, id, needs, quiz, solution, text, title, try, wrong)`},
		{"id: x\ntitle: T\nsteps:" + okStep + okStep, `l.yaml:11:5: step id "s1" is already used by the step at line 4`},
		{"id: x\ntitle: T\nsteps:" + okStep + "  - id: q\n    title: Q\n    text: x\n    quiz: {question: Q, choices: [a, b], answer: c}\n", `l.yaml:13:50: quiz answer "c" is not one of the choices`},
		{"id: x\ntitle: T\nsteps:" + okStep + "  - id: q\n    title: Q\n    text: x\n    quiz: {question: Q, choices: [a]}\n", "l.yaml:13:11: quiz needs at least two choices:"},
		{"id: x\ntitle: T\nsteps:" + okStep + "  - id: q\n    title: Q\n    text: x\n    quiz: {question: Q, choices: [a, b], answer: a}\n    checks: [{ran: {command: x}}]\n", "l.yaml:10:5: step q: a quiz step has no checks"},
		{"id: x\ntitle: T\nsteps:\n  - id: q\n    title: Q\n    text: x\n    quiz: {question: Q, choices: [a, b], answer: a}\n", "l.yaml:1:1: lesson x has only quiz steps"},
		{"id: x\ntitle: T\nsteps:" + okStep + "    grade: maybe\n", `l.yaml:10:12: grade must be true or false, found "maybe"`},
		// needs: earlier steps only, each once.
		{"id: x\ntitle: T\nsteps:" + okStep + "    needs: [s1]\n", "l.yaml:10:12: step s1 needs itself"},
		{"id: x\ntitle: T\nsteps:" + okStep + "    needs: [later]\n  - id: later\n    title: T\n    text: x\n    solution: y\n    checks: [{ran: {command: x}}]\n", "l.yaml:10:12: step s1 needs later, which comes after it"},
		{"id: x\ntitle: T\nsteps:" + okStep + "    needs: [nope]\n", `l.yaml:10:12: step s1 needs "nope", and there is no step with that id`},
		{"id: x\ntitle: T\nsteps:" + okStep + "    needs: s0\n", "l.yaml:10:12: needs must be a list, found"},
		// Bindings and templates.
		{"id: x\ntitle: T\nsteps:" + okStep + "    hints: ['hello {{.m.Name}}']\n", "l.yaml:10:13: {{.m…}} uses m, which no earlier check binds"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: 'x {{.m.Name'\n    solution: y\n    checks: [{ran: {command: x}}]\n", "l.yaml:6:11: template: 1: unclosed action"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n    checks:\n      - file: {container: m, path: /x}\n      - file: {path: /x}\n        as: m\n", "l.yaml:9:27: m is used before the check that binds it with as: m"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: 'Start {{.m.Name}}'\n    solution: y\n    checks:\n      - file: {path: /x}\n        as: m\n", "l.yaml:6:11: {{.m…}} uses m before the check that binds it"},
		{"id: x\ntitle: T\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n    checks:\n      - image: {name: ubuntu}\n        as: m\n      - file: {container: m, path: /x}\n", "l.yaml:11:27: m is bound to an image, but a container is needed here"},
	} {
		got := problems(t, tc.src)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s\n got: %s\nwant: %s", tc.src, got, tc.want)
		}
	}
}

func TestLoadReportsEverything(t *testing.T) {
	src := "id: x\ntitle: T\nauthor: me\nsteps:\n  - id: s1\n    title: T\n    text: x\n    solution: y\n    checks:\n      - filee: {}\n      - file: {pth: /x}\n  - id: s1\n    hnts: []\n"
	got := problems(t, src)
	lines := strings.Split(got, "\n")
	if len(lines) < 6 {
		t.Fatalf("want every problem, got:\n%s", got)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "l.yaml:") {
			t.Errorf("no position: %s", l)
		}
	}
	// Sorted by line.
	if !strings.HasPrefix(lines[0], "l.yaml:3:") {
		t.Errorf("order:\n%s", got)
	}
}

func TestLoadAll(t *testing.T) {
	lesson := func(id string, order int) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("id: " + id + "\ntitle: T\norder: " + string(rune('0'+order)) + "\nsteps:" + okStep)}
	}
	fsys := fstest.MapFS{
		"b.yaml":         lesson("bee", 1),
		"a.yml":          lesson("aye", 2),
		"sub/c.yaml":     lesson("cee", 1),
		".hidden/d.yaml": lesson("dee", 0),
		"README.md":      {Data: []byte("not a lesson")},
	}
	ls, err := lessons.LoadAll(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	if strings.Join(ids, ",") != "bee,cee,aye" {
		t.Errorf("order %v", ids)
	}
	fsys["z.yaml"] = lesson("bee", 1)
	fsys["broken.yaml"] = &fstest.MapFile{Data: []byte("id: [")}
	ls, err = lessons.LoadAll(fsys)
	if err == nil || len(ls) != 3 {
		t.Fatalf("%v %d", err, len(ls))
	}
	msg := err.Error()
	if !strings.Contains(msg, `z.yaml:1:1: lesson id "bee" is already used by b.yaml`) || !strings.Contains(msg, "broken.yaml:1:1: malformed YAML") {
		t.Errorf("problems:\n%s", msg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := lessons.Load(fstest.MapFS{}, "nope.yaml"); err == nil || !strings.Contains(err.Error(), "loading lesson") {
		t.Errorf("%v", err)
	}
}

func FuzzParse(f *testing.F) {
	full, _ := os.ReadFile("testdata/full.yaml")
	f.Add(full)
	f.Add([]byte("id: x\ntitle: T\nsteps:" + okStep))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, problems := lessons.Parse("f.yaml", src)
		if len(problems) == 0 && l == nil {
			t.Fatal("no lesson and no problem")
		}
		for _, p := range problems {
			if p.Line < 1 || p.Col < 1 || p.Msg == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

// A syntax error is reported where the broken token is, not where yaml.v3's
// enclosing construct began.
func TestSyntaxErrorAtBrokenToken(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: x\ntitle: T\nsteps:\n")
	for i := 0; strings.Count(b.String(), "\n") < 34; i++ {
		b.WriteString("  - id: s" + string(rune('a'+i)) + "\n    title: T\n    text: x\n")
	}
	n := strings.Count(b.String(), "\n")
	for _, tc := range []struct{ bad, want string }{
		{"   solution: y\n", ":4: malformed YAML: "},                           // a bad indent, token at column 4
		{"    title: T\n     text: x\n", ":6: malformed YAML: mapping values"}, // over-indented key
		{"    hints:\n\t- x\n", ":1: malformed YAML: "},                        // a tab
	} {
		src := b.String() + "  - id: last\n    title: T\n" + tc.bad
		line := n + 3
		if strings.Count(tc.bad, "\n") == 2 {
			line++
		}
		got := problems(t, src)
		if want := "l.yaml:" + strconv.Itoa(line) + tc.want; !strings.HasPrefix(got, want) {
			t.Errorf("%q:\n got %s\nwant l.yaml:%d%s…", tc.bad, got, line, tc.want)
		}
		if strings.Contains(tc.bad, "\t") && !strings.Contains(got, "has a tab at column 1") {
			t.Errorf("the tab is not named: %s", got)
		}
	}
}

// Without needs:, a step needs the steps that make the bindings it uses (in its
// checks or texts); needs: [] says none.
func TestPrerequisites(t *testing.T) {
	src := `id: x
title: T
steps:
  - id: a
    title: A
    text: x
    solution: y
    checks: [{file: {path: /x}, as: m}]
  - id: b
    title: B
    text: x
    solution: y
    checks: [{ran: {command: x}}]
  - id: c
    title: C
    text: 'Look at {{.m.Name}}'
    solution: y
    checks: [{ran: {command: x}}]
  - id: d
    title: D
    text: x
    solution: y
    needs: [b]
    checks: [{file: {container: m, path: /x}}]
  - id: e
    title: E
    text: '{{.m.Name}}'
    solution: y
    needs: []
    checks: [{ran: {command: x}}]
`
	l, probs := lessons.Parse("l.yaml", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for id, want := range map[string][]string{"a": nil, "b": nil, "c": {"a"}, "d": {"b"}, "e": {}} {
		if got := l.Prerequisites(l.Step(id)); !slices.Equal(got, want) {
			t.Errorf("step %s needs %q, want %q", id, got, want)
		}
	}
}

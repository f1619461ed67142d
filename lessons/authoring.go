package lessons

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/internal/cmdline"
)

// ValidateOptions say how Validate finds out whether a lesson's images can be had.
// Either may be nil, which skips that question.
type ValidateOptions struct {
	// Builtin reports whether dockling makes the image itself (hello-world, busybox).
	Builtin func(ref string) bool
	// Available says why an image that is neither built in nor stood in for is not
	// here ("" when it is); such an image is a warning, as validate is static and
	// author test, which needs the image, fails on it.
	Available func(ref string) string
}

// Validate reads a lesson file as `dockling author validate` does: every problem
// Parse finds, and in the same pass what a lesson needs before learners meet it —
// each step with checks has a solution and a hint, every image its solutions, wrong
// answers and checks use is listed under images: (built-in ones need not be), and
// every listed image is here (a warning otherwise), and no field is swallowed by a
// block of text (a warning). It is static: nothing is pulled or probed.
// The problems come back sorted by position.
func Validate(name string, src []byte, opts ValidateOptions) (*Lesson, []Problem) {
	l, problems := Parse(name, src)
	if l == nil {
		return nil, problems
	}
	lines := strings.Split(string(src), "\n")
	add := func(p checker.Pos, format string, args ...any) {
		problems = append(problems, Problem{File: name, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		if len(s.scripts) > 0 && strings.TrimSpace(s.Solution) == "" {
			add(s.Pos, "step %s has an empty solution: (the author test runs it)", s.ID)
		}
		if len(s.Hints) == 0 {
			add(s.Pos, "step %s has no hint (hints: from a nudge to close to the answer)", s.ID)
		}
	}
	declared := map[string]bool{}
	for _, im := range l.Images {
		declared[cmdline.NormRef(im.Ref)] = true
	}
	made, bound := map[string]bool{}, map[string]bool{}
	var uses []imageUse
	for _, s := range l.Steps {
		for _, sc := range s.scripts {
			u, m := sc.images(lines)
			uses = append(uses, u...)
			for _, name := range m {
				made[cmdline.NormRef(name)] = true
			}
		}
		uses = append(uses, s.checkImages...)
		for _, top := range s.Checks {
			for _, ent := range top.AllEntries() {
				bound[ent.As] = true
			}
		}
		for _, name := range s.brokenAs {
			bound[name] = true
		}
	}
	reported := map[string]bool{}
	for _, u := range uses {
		ref := cmdline.NormRef(u.ref)
		if declared[ref] || made[ref] || bound[u.ref] || (opts.Builtin != nil && opts.Builtin(u.ref)) || slices.Contains([]string{"any", "latest"}, u.ref) ||
			imageIDRE().MatchString(u.ref) || reported[fmt.Sprint(ref, u.pos)] {
			continue
		}
		reported[fmt.Sprint(ref, u.pos)] = true
		add(u.pos, "image %s is used here but not listed under images: (list it, so it is made ready before the lesson starts)", u.ref)
	}
	for _, im := range l.Images {
		if im.Standin != "" || (opts.Builtin != nil && opts.Builtin(im.Ref)) || opts.Available == nil {
			continue
		}
		if why := opts.Available(im.Ref); why != "" {
			problems = append(problems, Problem{File: name, Line: im.Pos.Line, Col: im.Pos.Col, Warning: true, Msg: fmt.Sprintf("image %s: %s", im.Ref, why)})
		}
	}
	problems = append(problems, blockScalarKeys(name, src)...)
	sortProblems(problems)
	return l, problems
}

// imageIDRE matches what names an image by its ID rather than a reference.
var imageIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[0-9a-f]{12,64}$`) })

// imageUse is an image reference written in a lesson.
type imageUse struct {
	ref string
	pos checker.Pos
}

// script is where a solution or wrong answer was written.
type script struct {
	pos   checker.Pos
	block bool // a | or > block: its text starts on the next line
	text  string
}

func scriptAt(n *yaml.Node) script {
	return script{pos: pos(n), block: n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0, text: n.Value}
}

// checkImageFields lists the image references in a check as written: scalar ref:,
// image:, parent: and base: fields at any depth (image: holding a mapping is the
// image check itself).
func checkImageFields(n *yaml.Node, depth int) []imageUse {
	n = resolve(n)
	if n == nil || depth > maxDepth {
		return nil
	}
	var out []imageUse
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolve(n.Content[i+1])
			if v == nil {
				continue
			}
			if v.Kind == yaml.ScalarNode && slices.Contains([]string{"ref", "image", "parent", "base"}, k.Value) {
				if v.Value != "" && !strings.Contains(v.Value, "{{") {
					out = append(out, imageUse{ref: v.Value, pos: pos(v)})
				}
				continue
			}
			out = append(out, checkImageFields(v, depth+1)...)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, checkImageFields(c, depth+1)...)
		}
	}
	return out
}

// images finds the images a script's docker commands use (run, create, pull) and
// the names it makes (commit, tag, import, build -t), placed in the file. The script
// is read as a shell reads it; one that does not parse uses and makes nothing.
func (sc script) images(lines []string) (uses []imageUse, made []string) {
	cmds, err := cmdline.Parse(sc.text)
	if err != nil {
		return nil, nil
	}
	for _, c := range cmds {
		d, ok := c.Docker()
		if !ok {
			continue
		}
		u, m := dockerImages(d)
		made = append(made, m...)
		for _, w := range u {
			if !w.Literal || strings.Contains(w.Text, "{{") {
				continue
			}
			fileLine := sc.pos.Line + strings.Count(sc.text[:w.Offset], "\n")
			if sc.block {
				fileLine++
			}
			uses = append(uses, imageUse{ref: w.Text, pos: placeWord(lines, fileLine, sc, w.Text)})
		}
	}
	return uses, made
}

// placeWord finds word on the given line of the file; the script's own position when
// it is not there (a folded plain scalar, an escape).
func placeWord(lines []string, line int, sc script, word string) checker.Pos {
	if line < 1 || line > len(lines) {
		return sc.pos
	}
	from := 0
	if line == sc.pos.Line {
		from = min(max(sc.pos.Col-1, 0), len(lines[line-1]))
	}
	if i := strings.Index(lines[line-1][from:], word); i >= 0 {
		return checker.Pos{Line: line, Col: from + i + 1}
	}
	if line == sc.pos.Line {
		return sc.pos
	}
	return checker.Pos{Line: line, Col: 1}
}

// dockerImages reads one docker command: the image a run, create or pull needs, and
// the names a commit, tag, import or build -t makes.
func dockerImages(d *cmdline.DockerCommand) (uses []cmdline.Word, made []string) {
	switch d.Verb {
	case "run", "create", "pull":
		for _, o := range d.Operands {
			if o.Kind == cmdline.KindImage {
				return []cmdline.Word{o.Word}, nil
			}
		}
	case "commit", "tag", "import":
		if len(d.Operands) >= 2 {
			made = append(made, d.Operands[1].Text)
		}
	case "build":
		made = append(made, d.Values("-t", "--tag")...)
	}
	return nil, made
}

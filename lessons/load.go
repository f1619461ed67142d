package lessons

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
)

// Problem is one thing wrong with a lesson file.
type Problem struct {
	File      string
	Line, Col int
	Msg       string
	// Warning marks what author validate reports without failing: something that
	// may be meant (a key inside a block of text) or that is only true here (an image
	// not on this machine).
	Warning bool
}

func (p Problem) String() string {
	if p.Warning {
		return fmt.Sprintf("%s:%d:%d: warning: %s", p.File, p.Line, p.Col, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Errors are the problems that are not warnings.
func Errors(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// LoadError holds every problem found, in file and line order.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxFile bounds a lesson file, which is read whole.
const maxFile = 1 << 20

// Compiled on first use, to keep dockling's start-up fast.
var (
	lessonIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`) }) // it names the lesson's sandbox folder
	stepIDRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`) })
	yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`) })
)

// Load reads and validates one lesson file.
func Load(fsys fs.FS, name string) (*Lesson, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("loading lesson: %w", err)
	}
	l, problems := Parse(name, b)
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return l, nil
}

// LoadAll reads every *.yaml and *.yml file below the root of fsys, ordered by Order
// then ID. Problems of every file, duplicate lesson IDs among them, come back together
// in one *LoadError, with the lessons that loaded cleanly.
func LoadAll(fsys fs.FS) ([]*Lesson, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing lessons: %w", err)
	}
	var out []*Lesson
	var problems []Problem
	seen := map[string]*Lesson{}
	for _, name := range names {
		l, err := Load(fsys, name)
		var le *LoadError
		switch {
		case errors.As(err, &le):
			problems = append(problems, le.Problems...)
			continue
		case err != nil:
			problems = append(problems, Problem{File: name, Line: 1, Col: 1, Msg: err.Error()})
			continue
		}
		if first, dup := seen[l.ID]; dup {
			problems = append(problems, Problem{File: name, Line: l.Pos.Line, Col: l.Pos.Col,
				Msg: fmt.Sprintf("lesson id %q is already used by %s", l.ID, first.File)})
			continue
		}
		seen[l.ID] = l
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(a, b *Lesson) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(problems) > 0 {
		return out, &LoadError{Problems: problems}
	}
	return out, nil
}

// Parse reads a lesson from YAML; name is used in problems. It returns the lesson
// (nil when it could not be read at all) and every problem found.
func Parse(name string, src []byte) (*Lesson, []Problem) {
	d := &decoder{file: name}
	if len(src) > maxFile {
		d.problem(checker.Pos{Line: 1, Col: 1}, "the file is larger than %d bytes", maxFile)
		return nil, d.problems
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.problem(checker.Pos{Line: 1, Col: 1}, "the file is empty")
		} else {
			d.syntaxError(src, err)
		}
		return nil, d.problems
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.problem(checker.Pos{Line: extra.Line, Col: extra.Column}, "a lesson file holds one YAML document; this is a second one")
	}
	if !d.withinLimits(&doc) {
		return nil, d.problems
	}
	l := d.lesson(&doc)
	if l != nil {
		d.validate(l)
	}
	sortProblems(d.problems)
	if len(d.problems) > 0 {
		return l, d.problems
	}
	l.File = name
	sum := sha256.Sum256(src)
	l.SHA256 = hex.EncodeToString(sum[:])
	return l, nil
}

// sortProblems orders problems by file, then position.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}

type decoder struct {
	file     string
	problems []Problem
}

func (d *decoder) problem(p checker.Pos, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) at(n *yaml.Node, format string, args ...any) {
	d.problem(pos(n), format, args...)
}

func (d *decoder) checkerErrors(errs []*checker.Error) {
	for _, e := range errs {
		d.problem(e.Pos, "%s", e.Msg)
	}
}

func pos(n *yaml.Node) checker.Pos { return checker.Pos{Line: n.Line, Col: n.Column} }

// resolve and describe are the checker's, so lessons and checks word node
// problems alike.
var (
	resolve  = checker.ResolveNode
	describe = checker.DescribeNode
)

// fields walks a mapping, field by field, reporting duplicates and unknown names.
func (d *decoder) fields(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			d.at(n, "%s must be a mapping of fields, found %s", what, describe(n))
		}
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch {
		case seen[k.Value]:
			d.at(k, "%s: field %q given twice", what, k.Value)
		case !slices.Contains(known, k.Value):
			d.at(k, "unknown field %q in %s (known fields: %s)", k.Value, what, strings.Join(sorted(known), ", "))
		default:
			seen[k.Value] = true
			fn(k.Value, k, v)
		}
	}
	return true
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

func (d *decoder) str(v *yaml.Node, what string) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.at(v, "%s must be text, found %s", what, describe(v))
		return ""
	}
	return v.Value
}

func (d *decoder) strs(v *yaml.Node, what string) []string {
	if v.Kind != yaml.SequenceNode {
		d.at(v, "%s must be a list, found %s", what, describe(v))
		return nil
	}
	var out []string
	for _, it := range v.Content {
		out = append(out, d.str(resolve(it), what+" item"))
	}
	return out
}

func (d *decoder) boolean(v *yaml.Node, what string) bool {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		d.at(v, "%s must be true or false, found %s", what, describe(v))
	}
	return b
}

func (d *decoder) lesson(doc *yaml.Node) *Lesson {
	root := resolve(doc)
	if root == nil || root.Kind == 0 {
		d.problem(checker.Pos{Line: 1, Col: 1}, "the file is empty")
		return nil
	}
	l := &Lesson{Pos: pos(root)}
	have := map[string]bool{}
	ok := d.fields(root, "lesson", yamlFields(Lesson{}), func(key string, k, v *yaml.Node) {
		have[key] = true
		switch key {
		case "id":
			l.ID = d.str(v, "id")
			if l.ID != "" && !lessonIDRE().MatchString(l.ID) {
				d.at(v, "id %q: use lowercase letters, digits, '.', '_' and '-' (it names the lesson's sandbox)", l.ID)
			}
		case "title":
			l.Title = d.str(v, "title")
		case "summary":
			l.Summary = d.str(v, "summary")
		case "order":
			if n, err := strconv.Atoi(d.str(v, "order")); err != nil {
				d.at(v, "order must be a whole number, found %s", describe(v))
			} else {
				l.Order = n
			}
		case "needs":
			l.Needs = d.strs(v, "needs")
			for i, n := range l.Needs {
				if n != NeedNetwork {
					d.at(v.Content[i], "needs: unknown need %q (known: %s)", n, NeedNetwork)
				}
			}
		case "images":
			if v.Kind != yaml.SequenceNode {
				d.at(v, "images must be a list, found %s", describe(v))
				return
			}
			for _, it := range v.Content {
				if img, ok := d.image(resolve(it)); ok {
					l.Images = append(l.Images, img)
				}
			}
		case "steps":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.at(v, "steps must be a list of steps, found %s", describe(v))
				return
			}
			for _, it := range v.Content {
				if s := d.step(resolve(it)); s != nil {
					l.Steps = append(l.Steps, s)
				}
			}
		}
	})
	if !ok {
		return nil
	}
	for _, f := range []string{"id", "title", "steps"} {
		if !have[f] {
			d.at(root, "lesson needs %s:", f)
		}
	}
	return l
}

func (d *decoder) image(n *yaml.Node) (Image, bool) {
	img := Image{Require: true, Pos: pos(n)}
	if n.Kind == yaml.ScalarNode {
		img.Ref = d.str(n, "image")
		return img, img.Ref != ""
	}
	var require *yaml.Node
	ok := d.fields(n, "image", yamlFields(Image{}), func(key string, k, v *yaml.Node) {
		switch key {
		case "ref":
			img.Ref = d.str(v, "ref")
		case "standin":
			img.Standin = d.str(v, "standin")
		case "require":
			img.Require, require = d.boolean(v, "require"), k
		case "missing":
			img.Missing = d.str(v, "missing")
		}
	})
	if ok && img.Ref == "" {
		d.at(n, "image needs ref:")
	}
	if img.Standin != "" {
		if require != nil && img.Require {
			d.at(require, "image %s: require: true asks for the real image, so its stand-in would never be used; drop one of them", img.Ref)
		}
		img.Require = false
	}
	return img, ok && img.Ref != ""
}

func (d *decoder) step(n *yaml.Node) *Step {
	s := &Step{Grade: true, Pos: pos(n)}
	have := map[string]bool{}
	checksGiven := 0
	ok := d.fields(n, "step", yamlFields(Step{}), func(key string, k, v *yaml.Node) {
		have[key] = true
		switch key {
		case "id":
			s.ID = d.str(v, "id")
			if s.ID != "" && !stepIDRE().MatchString(s.ID) {
				d.at(v, "step id %q: use lowercase letters, digits, '_' and '-'", s.ID)
			}
		case "title":
			s.Title = d.text(s, v, "title")
		case "text":
			s.Text = d.text(s, v, "text")
		case "try":
			s.Try = d.text(s, v, "try")
		case "hints":
			s.Hints = d.texts(s, v, "hints")
		case "solution":
			s.Solution = d.text(s, v, "solution")
			s.scripts = append(s.scripts, scriptAt(v))
			s.solutionAt = pos(v)
		case "wrong":
			s.Wrong = d.texts(s, v, "wrong")
			if v.Kind == yaml.SequenceNode {
				for _, it := range v.Content {
					s.scripts = append(s.scripts, scriptAt(resolve(it)))
					s.wrongAt = append(s.wrongAt, pos(it))
				}
			}
		case "grade":
			s.Grade = d.boolean(v, "grade")
		case "quiz":
			s.Quiz = d.quiz(v)
		case "needs":
			s.Needs = d.strs(v, "needs")
			if s.Needs == nil {
				s.Needs = []string{} // needs: [] says "none", not "the default"
			}
			s.needsAt = pos(v)
		case "checks":
			if v.Kind != yaml.SequenceNode {
				d.at(v, "checks must be a list of checks, found %s", describe(v))
				checksGiven = -1
				return
			}
			checksGiven = len(v.Content)
			for _, it := range v.Content {
				s.checkImages = append(s.checkImages, checkImageFields(it, 0)...)
				ent, err := checker.DecodeEntry(it)
				if err != nil {
					d.checkerErrors(checker.Problems(err, pos(it)))
					s.brokenAs = append(s.brokenAs, asNames(it, 0)...)
					continue
				}
				s.Checks = append(s.Checks, ent)
			}
		}
	})
	if !ok {
		return nil
	}
	for _, f := range []string{"id", "title", "text"} {
		if !have[f] {
			d.at(n, "step needs %s:", f)
		}
	}
	if s.Quiz != nil && have["checks"] {
		d.at(n, "step %s: a quiz step has no checks", s.ID)
	}
	if s.Quiz == nil && checksGiven == 0 {
		d.at(n, "step %s has no checks (only quiz steps may go without)", s.ID)
	}
	if s.Quiz == nil && !have["solution"] {
		d.at(n, "step %s needs solution: (the author test runs it)", s.ID)
	}
	return s
}

// text reads a step text that may use bindings, remembering which for validation.
func (d *decoder) text(s *Step, v *yaml.Node, what string) string {
	src := d.str(v, what)
	t, err := checker.NewText(src, pos(v))
	if err != nil {
		d.checkerErrors(checker.Problems(err, pos(v)))
		return src
	}
	s.textRefs = append(s.textRefs, t.References()...)
	return src
}

func (d *decoder) texts(s *Step, v *yaml.Node, what string) []string {
	if v.Kind != yaml.SequenceNode {
		d.at(v, "%s must be a list, found %s", what, describe(v))
		return nil
	}
	var out []string
	for _, it := range v.Content {
		out = append(out, d.text(s, resolve(it), what+" item"))
	}
	return out
}

func (d *decoder) quiz(n *yaml.Node) *Quiz {
	q := &Quiz{}
	var answer *yaml.Node
	ok := d.fields(n, "quiz", yamlFields(Quiz{}), func(key string, k, v *yaml.Node) {
		switch key {
		case "question":
			q.Question = d.str(v, "question")
		case "choices":
			q.Choices = d.strs(v, "choices")
		case "answer":
			q.Answer, answer = d.str(v, "answer"), v
		case "why":
			q.Why = d.str(v, "why")
		}
	})
	if !ok {
		return nil
	}
	switch {
	case q.Question == "":
		d.at(n, "quiz needs question:")
	case len(q.Choices) < 2:
		d.at(n, "quiz needs at least two choices:")
	case answer == nil:
		d.at(n, "quiz needs answer: (one of the choices, as written)")
	case q.AnswerIndex() < 0:
		d.at(answer, "quiz answer %q is not one of the choices", q.Answer)
	}
	if dup := duplicate(q.Choices); dup != "" {
		d.at(n, "quiz choice %q is given twice", dup)
	}
	return q
}

func duplicate(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}

// yamlFields lists the yaml names of a struct's fields, for the decoder and the
// schema test alike.
func yamlFields(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

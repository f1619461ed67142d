package checker

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"gopkg.in/yaml.v3"
)

var identRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) }) // compiled on first use: start-up stays fast

// Text is a lesson string that may use bindings through Go templates:
// "docker start {{.marked.Name}}".
type Text struct {
	src  string
	tmpl *template.Template // nil when src has no template action
	refs []Ref
}

// String is the text as written.
func (t Text) String() string { return t.src }

// IsZero reports whether the text is empty.
func (t Text) IsZero() bool { return t.src == "" }

// References are the bindings the text uses.
func (t Text) References() []Ref { return t.refs }

// ParseText reads a YAML scalar as a Text, checking its template syntax and the
// binding fields it uses.
func ParseText(n *yaml.Node) (Text, error) {
	return parseTextAt(n.Value, posOf(n))
}

// NewText parses src as a Text; pos is where it was written, for errors.
func NewText(src string, pos Pos) (Text, error) { return parseTextAt(src, pos) }

func parseTextAt(src string, pos Pos) (Text, error) {
	t := Text{src: src}
	if !strings.Contains(src, "{{") {
		return t, nil
	}
	tmpl, err := template.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return t, &Error{Pos: pos, Msg: "template: " + cleanTemplateErr(err)}
	}
	var problems Errors
	for _, tr := range tmpl.Templates() {
		if tr.Tree == nil {
			continue
		}
		walkFields(tr.Root, func(f *parse.FieldNode) {
			name := f.Ident[0]
			if len(f.Ident) < 2 {
				problems = append(problems, &Error{Pos: pos, Msg: fmt.Sprintf("template: {{.%s}} needs a field, for example {{.%s.Name}} (fields: %s)", name, name, strings.Join(objectFields, ", "))})
			} else if !slices.Contains(objectFields, f.Ident[1]) {
				problems = append(problems, &Error{Pos: pos, Msg: fmt.Sprintf("template: binding %s has no field %s (fields: %s)", name, f.Ident[1], strings.Join(objectFields, ", "))})
			}
			t.refs = append(t.refs, Ref{Name: name, Pos: pos, Template: true})
		})
	}
	if len(problems) > 0 {
		return t, problems
	}
	t.tmpl = tmpl
	return t, nil
}

// cleanTemplateErr drops text/template's "template: :1:" prefix noise.
func cleanTemplateErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "template: ")
	s = strings.TrimPrefix(s, ":")
	return s
}

// walkFields calls f for every .a.b field reference in a template tree.
func walkFields(n parse.Node, f func(*parse.FieldNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, f)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, f)
		}
	case *parse.FieldNode:
		f(n)
	case *parse.ChainNode:
		walkFields(n.Node, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkFields(n.Pipe, f)
	}
}

func walkBranch(b *parse.BranchNode, f func(*parse.FieldNode)) {
	walkFields(b.Pipe, f)
	walkFields(b.List, f)
	walkFields(b.ElseList, f)
}

// UnboundError is a text that names a binding no check has made (yet): the check
// that binds it has not passed.
type UnboundError struct{ Name string }

func (e *UnboundError) Error() string {
	return fmt.Sprintf("nothing is bound to %s yet (an earlier check binds it with as: %s once it passes)", e.Name, e.Name)
}

// Render fills in the bindings.
func (t Text) Render(b Bindings) (string, error) {
	if t.tmpl == nil {
		return t.src, nil
	}
	// Look for missing bindings first, for a plain message.
	for _, r := range t.refs {
		if _, ok := b[r.Name]; !ok {
			return "", &UnboundError{Name: r.Name}
		}
	}
	var sb strings.Builder
	if err := t.tmpl.Execute(&sb, map[string]Object(b)); err != nil {
		return "", fmt.Errorf("filling in %q: %s", t.src, cleanTemplateErr(err))
	}
	return sb.String(), nil
}

// RenderKeeping fills in the bindings that are made and leaves each use of one that
// is not as written ({{.marked.Name}}), for a caller that knows better words for
// it (the guided session says which step makes it).
func (t Text) RenderKeeping(b Bindings) string {
	if t.tmpl == nil {
		return t.src
	}
	full := b.Clone()
	for _, r := range t.refs {
		if _, ok := full[r.Name]; !ok {
			keep := func(f string) string { return "{{." + r.Name + "." + f + "}}" }
			full[r.Name] = Object{Kind: Kind(keep("Kind")), ID: keep("ID"), ShortID: keep("ShortID"), Hex: keep("Hex"), Name: keep("Name"), Image: keep("Image")}
		}
	}
	var sb strings.Builder
	if err := t.tmpl.Execute(&sb, map[string]Object(full)); err != nil {
		return t.src
	}
	return sb.String()
}

// Render fills in bindings in a lesson text (a step's text, a hint): a convenience for
// the session, which holds texts as plain strings.
func Render(src string, b Bindings) (string, error) {
	t, err := parseTextAt(src, Pos{})
	if err != nil {
		return "", err
	}
	return t.Render(b)
}

// Pattern is a regular expression (Go RE2 syntax, unanchored) that may use bindings;
// their values are quoted before they go into the expression.
type Pattern struct {
	text Text
	re   *regexp.Regexp // compiled once when the pattern uses no binding
}

func parsePattern(n *yaml.Node) (*Pattern, error) {
	t, err := ParseText(n)
	if err != nil {
		return nil, err
	}
	p := &Pattern{text: t}
	if t.tmpl == nil {
		re, err := regexp.Compile(t.src)
		if err != nil {
			return nil, &Error{Pos: posOf(n), Msg: "bad regular expression: " + cleanRegexpErr(err)}
		}
		p.re = re
		return p, nil
	}
	// Try it with stand-in values so a broken expression is caught at load.
	probe := Bindings{}
	for _, r := range t.refs {
		probe[r.Name] = Object{Kind: KindAny, ID: "x", ShortID: "x", Hex: "x", Name: "x", Image: "x"}
	}
	s, err := t.Render(probe)
	if err == nil {
		_, err = regexp.Compile(s)
	}
	if err != nil {
		return nil, &Error{Pos: posOf(n), Msg: "bad regular expression: " + cleanRegexpErr(err)}
	}
	return p, nil
}

func cleanRegexpErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// String is the pattern as written.
func (p *Pattern) String() string { return p.text.src }

var reCache sync.Map // rendered pattern → *regexp.Regexp

// compile renders the pattern with bindings quoted for regular expressions.
func (p *Pattern) compile(b Bindings) (*regexp.Regexp, error) {
	if p.re != nil {
		return p.re, nil
	}
	quoted := Bindings{}
	for k, o := range b {
		quoted[k] = Object{Kind: o.Kind, ID: regexp.QuoteMeta(o.ID), ShortID: regexp.QuoteMeta(o.ShortID),
			Hex: regexp.QuoteMeta(o.Hex), Name: regexp.QuoteMeta(o.Name), Image: regexp.QuoteMeta(o.Image)}
	}
	s, err := p.text.Render(quoted)
	if err != nil {
		return nil, err
	}
	if re, ok := reCache.Load(s); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("compiling %q: %s", s, cleanRegexpErr(err))
	}
	reCache.Store(s, re)
	return re, nil
}

// shown is the pattern as a learner reads it, with bindings filled in.
func (p *Pattern) shown(b Bindings) string {
	s, err := p.text.Render(b)
	if err != nil {
		return p.text.src
	}
	return s
}

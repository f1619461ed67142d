package checker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Entry is one item of a step's checks: a check with its envelope.
type Entry struct {
	Type   string // the check type's name
	Check  Check
	As     string // bind what matched under this name
	Points int    // worth when passed (default 1)
	Fail   Text   // the lesson's words on failure
	Label  string // the check as written, compact, for reports
	Pos    Pos

	children []*Entry // for all, any, not
	// needs are the lesson's bindings the check selects by name (container:
	// marked), noted by Validate: until they are made the check waits for them
	// rather than look for a container of that name.
	needs []string
}

// Reserved words that cannot be binding names: they are selector keywords.
var reservedNames = []string{"any", "latest"}

// DecodeEntry reads one check entry. Every problem is reported with its position (the
// error is an Errors).
func DecodeEntry(n *yaml.Node) (*Entry, error) {
	var e errs
	ent := decodeEntry(n, &e, false)
	if err := e.err(); err != nil {
		return nil, err
	}
	return ent, nil
}

// decodeEntry reads an entry; nested ones (inside all, any, not) cannot carry points.
func decodeEntry(n *yaml.Node, e *errs, nested bool) *Entry {
	m := newMapping(n, "check", e)
	if m == nil {
		return nil
	}
	ent := &Entry{Points: 1, Pos: posOf(m.node)}
	var typeKey *yaml.Node
	for _, k := range m.keys {
		if slices.Contains(envelopeFields, k.Value) {
			continue
		}
		if _, ok := Lookup(k.Value); !ok {
			e.at(k, "unknown check type %q (known types: %s)", k.Value, typeNames())
			m.known = append(m.known, k.Value)
			continue
		}
		if typeKey != nil {
			e.at(k, "a check has one type, found %s and %s (list them under all: to require both)", typeKey.Value, k.Value)
			m.known = append(m.known, k.Value)
			continue
		}
		typeKey = k
	}
	if typeKey == nil && !hasUnknownType(m) {
		e.at(m.node, "check has no type (one of: %s)", typeNames())
	}
	if m.has("as") {
		v, _ := m.scalar("as")
		if v != nil {
			switch {
			case !identRE().MatchString(v.Value):
				e.at(v, "as: %q is not a usable name (letters, digits and _, not starting with a digit)", v.Value)
			case slices.Contains(reservedNames, v.Value):
				e.at(v, "as: %q is a keyword of selectors, choose another name", v.Value)
			default:
				ent.As = v.Value
			}
		}
	} else {
		m.get("as")
	}
	if p := m.integer("points"); p != nil {
		if nested {
			e.at(m.keyOf["points"], "points: only the top-level check of a step carries points")
		} else if *p < 0 {
			e.at(m.values["points"], "points must not be negative")
		} else {
			ent.Points = *p
		}
	}
	m.text("fail", &ent.Fail)
	if typeKey != nil {
		t, _ := Lookup(typeKey.Value)
		m.known = append(m.known, t.Name)
		ent.Type = t.Name
		ent.Label = t.Name + " " + compact(m.values[t.Name], 110)
		c, err := t.Decode(m.values[t.Name])
		if err != nil {
			e.add(err, m.values[t.Name])
		} else {
			ent.Check = c
			if cc, ok := c.(interface{ entries() []*Entry }); ok {
				ent.children = cc.entries()
			}
			if ent.As != "" {
				if b, ok := c.(Binder); !ok || b.Binds() == "" {
					e.at(m.keyOf["as"], "as: a %s check like this one binds nothing (%s)", t.Name, bindHint(t.Name))
				}
			}
		}
	}
	m.done()
	if ent.Check == nil {
		return nil
	}
	return ent
}

func hasUnknownType(m *mapping) bool {
	for _, k := range m.keys {
		if _, ok := Lookup(k.Value); !ok && !slices.Contains(envelopeFields, k.Value) {
			return true
		}
	}
	return false
}

func bindHint(typ string) string {
	switch typ {
	case "ran":
		return "add bind: container or bind: image"
	case "not", "output", "store":
		return "it matches no container or image"
	}
	return "it checks that something is absent"
}

// compact renders a YAML value on one line, for labels.
func compact(n *yaml.Node, max int) string {
	var b strings.Builder
	writeCompact(&b, resolve(n))
	s := b.String()
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

func writeCompact(b *strings.Builder, n *yaml.Node) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteString("{")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(n.Content[i].Value + ": ")
			writeCompact(b, resolve(n.Content[i+1]))
		}
		b.WriteString("}")
	case yaml.SequenceNode:
		b.WriteString("[")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCompact(b, resolve(c))
		}
		b.WriteString("]")
	default:
		v := strings.TrimSpace(n.Value)
		if strings.ContainsAny(v, ",:{}[]\"'\n#") || v == "" || strings.Contains(v, " ") && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
}

// Evaluate runs the check. A pass earns the entry's points and, with as:, adds the
// binding to ctx.Bindings; a failure carries the fail: text, rendered.
func (ent *Entry) Evaluate(ctx *Context) Result {
	if ctx.Bindings == nil {
		ctx.Bindings = Bindings{}
	}
	for _, name := range ent.needs {
		if _, ok := ctx.Bindings[name]; !ok {
			// The lesson's fail: text is about the thing, which is not there yet.
			return Result{Type: ent.Type, Label: ent.Label, MaxPoints: ent.Points, Words: ent.Describe(ctx.Bindings),
				Message: "this waits for {{." + name + ".Name}}", Waiting: name}
		}
	}
	r := ent.Check.Evaluate(ctx)
	r.Type, r.Label, r.MaxPoints = ent.Type, ent.Label, ent.Points
	r.Words = ent.Describe(ctx.Bindings)
	if r.Passed {
		r.Points = ent.Points
		for k, o := range r.binds {
			ctx.Bindings[k] = o
		}
		if ent.As != "" && r.Bound != nil {
			ctx.Bindings[ent.As] = *r.Bound
		}
		return r
	}
	r.Points = 0
	if !ent.Fail.IsZero() {
		r.Fail = ent.Fail.RenderKeeping(ctx.Bindings)
	}
	return r
}

// EvaluateAll evaluates entries in order (so a binding made by one is seen by the
// next) and reports whether all passed.
func EvaluateAll(ctx *Context, entries []*Entry) ([]Result, bool) {
	out := make([]Result, 0, len(entries))
	all := true
	for _, ent := range entries {
		r := ent.Evaluate(ctx)
		all = all && r.Passed
		out = append(out, r)
	}
	return out, all
}

// References are the bindings the entry names (its check's and its fail: text's).
func (ent *Entry) References() []Ref {
	var out []Ref
	if r, ok := ent.Check.(Referrer); ok {
		out = append(out, r.References()...)
	}
	return append(out, ent.Fail.refs...)
}

// Binds is what the entry binds when it passes: its as: name and the kind.
func (ent *Entry) Binds() (string, Kind) {
	if ent.As == "" {
		return "", ""
	}
	b, _ := ent.Check.(Binder)
	if b == nil {
		return ent.As, ""
	}
	return ent.As, b.Binds()
}

// Validate checks the entry's use of bindings against known (name → kind, what
// earlier checks bind) and adds what the entry binds to known. bound holds every name
// the lesson binds anywhere: a selector naming one of them that is not yet known is a
// binding used before it is made; a selector naming none may be a container's own
// name.
func (ent *Entry) Validate(known map[string]Kind, bound map[string]bool) []*Error {
	var out []*Error
	if len(ent.children) > 0 {
		for _, c := range ent.children {
			out = append(out, c.Validate(known, bound)...)
		}
		out = append(out, ValidateRefs(ent.Fail.refs, known, bound)...)
	} else {
		// container: {name: web} with as: web selects the container named web and
		// binds it under the same name: the name cannot mean a binding not made yet.
		var refs []Ref
		for _, r := range ent.References() {
			if _, made := known[r.Name]; r.Template || r.Name != ent.As || made {
				refs = append(refs, r)
			}
		}
		out = append(out, ValidateRefs(refs, known, bound)...)
		for _, r := range refs {
			if !r.Template && bound[r.Name] && !slices.Contains(ent.needs, r.Name) {
				ent.needs = append(ent.needs, r.Name)
			}
		}
	}
	if name, kind := ent.Binds(); name != "" {
		known[name] = kind
	}
	return out
}

// ValidateRefs checks uses of bindings (from a Text's References, say) the way
// Entry.Validate does.
func ValidateRefs(refs []Ref, known map[string]Kind, bound map[string]bool) []*Error {
	var out []*Error
	for _, r := range refs {
		kind, ok := known[r.Name]
		switch {
		case !ok && r.Template:
			msg := fmt.Sprintf("{{.%s…}} uses %s, which no earlier check binds (bind it with as: %s)", r.Name, r.Name, r.Name)
			if bound[r.Name] {
				msg = fmt.Sprintf("{{.%s…}} uses %s before the check that binds it", r.Name, r.Name)
			}
			out = append(out, &Error{Pos: r.Pos, Msg: msg})
		case !ok && bound[r.Name]:
			out = append(out, &Error{Pos: r.Pos, Msg: fmt.Sprintf("%s is used before the check that binds it with as: %s", r.Name, r.Name)})
		case ok && r.Kind != "" && kind != "" && kind != KindAny && kind != r.Kind:
			out = append(out, &Error{Pos: r.Pos, Msg: fmt.Sprintf("%s is bound to %s, but %s is needed here", r.Name, article(kind), article(r.Kind))})
		}
	}
	return out
}

func article(k Kind) string {
	if k == KindImage {
		return "an image"
	}
	return "a " + string(k)
}

// AllEntries lists ent and the entries nested in it, depth first.
func (ent *Entry) AllEntries() []*Entry {
	out := []*Entry{ent}
	for _, c := range ent.children {
		out = append(out, c.AllEntries()...)
	}
	return out
}

package checker

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a place in a YAML file, 1-based.
type Pos struct{ Line, Col int }

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// Error is one problem with a check as written, at its place in the YAML.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// Errors is every problem found while decoding.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Problems flattens an error from DecodeEntry (or a check type's Decode) into its
// positioned problems; an error without a position comes back at pos.
func Problems(err error, pos Pos) []*Error {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return []*Error{{Pos: pos, Msg: err.Error()}}
}

// errs collects problems; err returns nil when there are none.
type errs struct{ list Errors }

func (e *errs) at(n *yaml.Node, format string, args ...any) {
	e.list = append(e.list, &Error{Pos: posOf(n), Msg: fmt.Sprintf(format, args...)})
}

func (e *errs) add(err error, n *yaml.Node) {
	e.list = append(e.list, Problems(err, posOf(n))...)
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// resolve follows YAML aliases.
// ResolveNode follows YAML aliases and unwraps a document node; the lesson loader
// reads its own fields with it too.
func ResolveNode(n *yaml.Node) *yaml.Node { return resolve(n) }

// DescribeNode names what a node holds, for "must be X, found Y" messages.
func DescribeNode(n *yaml.Node) string { return kindName(n) }

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return resolve(n.Content[0])
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// mapping reads the fields of one YAML mapping, remembering which were used so the
// rest can be reported as unknown.
type mapping struct {
	what   string // "file check", for messages
	node   *yaml.Node
	keys   []*yaml.Node
	values map[string]*yaml.Node
	keyOf  map[string]*yaml.Node
	known  []string
	e      *errs
	refs   []Ref
}

// newMapping starts reading n; it reports and returns nil when n is not a mapping.
func newMapping(n *yaml.Node, what string, e *errs) *mapping {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			e.at(n, "%s must be a mapping of fields, found %s", what, kindName(n))
		}
		return nil
	}
	m := &mapping{what: what, node: n, values: map[string]*yaml.Node{}, keyOf: map[string]*yaml.Node{}, e: e}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := m.values[k.Value]; dup {
			e.at(k, "%s: field %q given twice", what, k.Value)
			continue
		}
		m.keys = append(m.keys, k)
		m.values[k.Value] = resolve(v)
		m.keyOf[k.Value] = k
	}
	return m
}

// get returns a field's value node, or nil when absent, and marks it known.
func (m *mapping) get(key string) *yaml.Node {
	m.known = append(m.known, key)
	return m.values[key]
}

func (m *mapping) has(key string) bool { return m.values[key] != nil }

// done reports every field no reader asked for.
func (m *mapping) done() {
	for _, k := range m.keys {
		if !slices.Contains(m.known, k.Value) {
			known := slices.Clone(m.known)
			slices.Sort(known)
			m.e.at(k, "unknown field %q in %s (known fields: %s)", k.Value, m.what, strings.Join(slices.Compact(known), ", "))
		}
	}
}

func (m *mapping) scalar(key string) (*yaml.Node, bool) {
	v := m.get(key)
	if v == nil {
		return nil, false
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		m.e.at(v, "%s: %s must be a single value, found %s", m.what, key, kindName(v))
		return nil, false
	}
	return v, true
}

func (m *mapping) str(key string, dst *string) bool {
	v, ok := m.scalar(key)
	if ok {
		*dst = v.Value
	}
	return ok
}

// text reads a string that may use templates.
func (m *mapping) text(key string, dst *Text) bool {
	v, ok := m.scalar(key)
	if !ok {
		return false
	}
	t, err := ParseText(v)
	if err != nil {
		m.e.add(err, v)
		return false
	}
	*dst = t
	m.refs = append(m.refs, t.refs...)
	return true
}

// pattern reads a regular expression that may use templates.
func (m *mapping) pattern(key string) *Pattern {
	v, ok := m.scalar(key)
	if !ok {
		return nil
	}
	p, err := parsePattern(v)
	if err != nil {
		m.e.add(err, v)
		return nil
	}
	m.refs = append(m.refs, p.text.refs...)
	return p
}

func (m *mapping) boolean(key string) *bool {
	v, ok := m.scalar(key)
	if !ok {
		return nil
	}
	var b bool
	if err := v.Decode(&b); err != nil {
		m.e.at(v, "%s: %s must be true or false, found %s", m.what, key, kindName(v))
		return nil
	}
	return &b
}

func (m *mapping) integer(key string) *int {
	v, ok := m.scalar(key)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		m.e.at(v, "%s: %s must be a whole number, found %s", m.what, key, kindName(v))
		return nil
	}
	return &n
}

// strs reads a list of single values; a lone value counts as a list of one.
func (m *mapping) strs(key string) ([]string, bool) {
	v := m.get(key)
	if v == nil {
		return nil, false
	}
	return m.strList(key, v)
}

func (m *mapping) strList(key string, v *yaml.Node) ([]string, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{v.Value}, true
	}
	if v.Kind != yaml.SequenceNode {
		m.e.at(v, "%s: %s must be a list of values, found %s", m.what, key, kindName(v))
		return nil, false
	}
	out := []string{}
	for _, it := range v.Content {
		it = resolve(it)
		if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
			m.e.at(it, "%s: the items of %s must be single values, found %s", m.what, key, kindName(it))
			return nil, false
		}
		out = append(out, it.Value)
	}
	return out, true
}

// oneOf reads a single value that must be one of choices.
func (m *mapping) oneOf(key string, choices ...string) string {
	v, ok := m.scalar(key)
	if !ok {
		return ""
	}
	if !slices.Contains(choices, v.Value) {
		m.e.at(v, "%s: %s must be one of %s, found %q", m.what, key, strings.Join(choices, ", "), v.Value)
		return ""
	}
	return v.Value
}

// selector reads the name of a container or image: a binding, a name, an ID, or one
// of the keywords.
func (m *mapping) selector(key string, kind Kind, keywords ...string) string {
	v, ok := m.scalar(key)
	if !ok {
		return ""
	}
	if v.Value == "" {
		m.e.at(v, "%s: %s must not be empty", m.what, key)
		return ""
	}
	if !slices.Contains(keywords, v.Value) && identRE().MatchString(v.Value) {
		m.refs = append(m.refs, Ref{Name: v.Value, Pos: posOf(v), Kind: kind})
	}
	return v.Value
}

// require reports a missing field.
func (m *mapping) require(key string) bool {
	if !m.has(key) {
		m.e.at(m.node, "%s needs %s:", m.what, key)
		return false
	}
	return true
}

// exclusive reports when more than one of keys is given.
func (m *mapping) exclusive(keys ...string) {
	var given []*yaml.Node // in the order written
	for _, k := range m.keys {
		if slices.Contains(keys, k.Value) {
			given = append(given, k)
		}
	}
	if len(given) > 1 {
		m.e.at(given[1], "%s: use only one of %s and %s", m.what, given[0].Value, given[1].Value)
	}
}

// base is embedded in checks for their references.
type base struct{ refs []Ref }

func (b *base) References() []Ref { return b.refs }

package checker

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Type is a kind of check lessons can use.
type Type struct {
	Name string
	// Usage documents the type for lesson authors (Markdown, first line a summary);
	// Reference assembles the author reference from it.
	Usage string
	// Fields are the names the type reads inside its mapping, for the JSON Schema
	// and its tests.
	Fields []string
	// Decode reads the type's mapping. Its errors carry YAML positions (Error,
	// Errors).
	Decode func(node *yaml.Node) (Check, error)
}

var (
	regMu    sync.RWMutex
	registry = map[string]Type{}
)

// Envelope fields every check entry may carry besides its type.
var envelopeFields = []string{"as", "points", "fail"}

// EnvelopeFields are the fields of a check entry that are not a check type.
func EnvelopeFields() []string { return slices.Clone(envelopeFields) }

// Register adds a check type; the name must be new and not an envelope field.
func Register(t Type) error {
	regMu.Lock()
	defer regMu.Unlock()
	if t.Name == "" || t.Decode == nil {
		return fmt.Errorf("registering check type %q: a name and a decoder are required", t.Name)
	}
	if _, dup := registry[t.Name]; dup || slices.Contains(envelopeFields, t.Name) {
		return fmt.Errorf("registering check type %q: the name is taken", t.Name)
	}
	registry[t.Name] = t
	return nil
}

// Lookup finds a check type by name.
func Lookup(name string) (Type, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	t, ok := registry[name]
	return t, ok
}

// Types lists the registered check types by name.
func Types() []Type {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Type, 0, len(registry))
	for _, t := range registry {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Type) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func typeNames() string {
	var names []string
	for _, t := range Types() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// Reference writes the lesson author's reference of check types, in Markdown.
func Reference(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Check reference\n\n")
	b.WriteString(entryUsage)
	for _, t := range Types() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", t.Name, strings.TrimSpace(t.Usage))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const entryUsage = `Every item of a step's checks: is a mapping with exactly one check type and,
optionally:

- as: NAME — on success, bind what the check matched (a container or an image) to NAME.
  Later checks select it by that name (container: NAME, image: NAME) and texts use it
  in templates: {{.NAME.Name}}, {{.NAME.ID}}, {{.NAME.ShortID}}, {{.NAME.Hex}},
  {{.NAME.Image}}.
- points: N — what the check is worth when graded (default 1).
- fail: TEXT — said to the learner when the check fails, after the expected/found line.

After every command the session checks each step not yet passed whose prerequisites
are passed, so a learner may do steps out of order. A step's needs: [STEP-ID…] names
its prerequisites (earlier steps); without it, a step needs the steps whose checks
bind what it uses (its checks, text, try and hints); needs: [] says none. ran and
output checks look only at the commands run since the step's prerequisites passed.

Patterns are Go regular expressions (RE2), unanchored: use ^ and $ to anchor them.
Bindings used in a pattern are matched literally. A command line is compared with its
runs of spaces squeezed to one.

Containers are selected by a binding, a name, an ID or ID prefix, or the keywords any
(every container) and latest (the newest one). Images by a binding, a reference
(ubuntu, ubuntu:22.04), an ID or ID prefix.
`

func init() {
	for _, t := range []Type{ranType, imageType, containerType, fileType, diffType, execType, outputType, storeType, allType, anyType, notType} {
		// Built-in names cannot clash; were one to, lessons using it would fail to
		// load with "unknown check type", which the tests catch.
		_ = Register(t)
	}
}

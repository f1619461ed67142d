package lessons

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"gopkg.in/yaml.v3"
)

var keyLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s+)([a-z_]+):(\s|$)`) })

// blockScalarKeys warns of a field indented into a block of text (try: under
// text: |): YAML reads it as text, so the field silently goes missing.
func blockScalarKeys(name string, src []byte) []Problem {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil {
		return nil
	}
	fields := map[string]bool{}
	for _, v := range []any{Lesson{}, Step{}, Quiz{}, Image{}} {
		for _, f := range yamlFields(v) {
			fields[f] = true
		}
	}
	lines := bytes.Split(src, []byte("\n"))
	var out []Problem
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if depth > maxDepth {
			return
		}
		if n.Kind == yaml.MappingNode {
			out = append(out, swallowed(name, n, lines, fields)...)
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(&doc, 0)
	return out
}

// swallowed finds field-like lines inside the block scalars of one mapping.
func swallowed(name string, m *yaml.Node, lines [][]byte, fields map[string]bool) []Problem {
	var keys []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys = append(keys, m.Content[i].Value)
	}
	var out []Problem
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			continue
		}
		end := v.Line + bytes.Count([]byte(v.Value), []byte("\n")) + 1
		if i+2 < len(m.Content) {
			end = m.Content[i+2].Line
		}
		for l := v.Line + 1; l < end && l <= len(lines); l++ {
			sub := keyLineRE().FindSubmatch(lines[l-1])
			if sub == nil || !fields[string(sub[2])] || slices.Contains(keys, string(sub[2])) {
				continue
			}
			out = append(out, Problem{File: name, Line: l, Col: len(sub[1]) + 1, Warning: true, Msg: fmt.Sprintf(
				"%s: is inside the block of text of %s: (indented deeper than it), so it is text, not a field; indent it as %s: is to make it one",
				sub[2], k.Value, k.Value)})
		}
	}
	return out
}

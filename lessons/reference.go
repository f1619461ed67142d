package lessons

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dockling/dockling/checker"
)

// Reference writes the authoring reference in Markdown: every field of a lesson, a
// step, an image and a quiz, from lesson.schema.json (their one description, which
// editors show too), then every check type from the checker's registry.
func Reference(w io.Writer) error {
	var schema schemaNode
	if err := json.Unmarshal(Schema, &schema); err != nil {
		return fmt.Errorf("reading lesson.schema.json: %w", err)
	}
	var b strings.Builder
	b.WriteString("# Lesson reference\n\nA lesson is one YAML file. Fields marked required must be given.\n")
	image := schema.Defs["image"]
	if len(image.OneOf) > 1 {
		image = image.OneOf[1]
	}
	for _, part := range []struct {
		title string
		node  schemaNode
		intro string
	}{
		{"Lesson", schema, ""},
		{"Step", schema.Defs["step"], "Each item of steps."},
		{"Image", image, "Each item of images: (or just its ref, as a string: a required image)."},
		{"Quiz", schema.Defs["quiz"], "The quiz: of a step."},
	} {
		fmt.Fprintf(&b, "\n## %s fields\n\n", part.title)
		if part.intro != "" {
			b.WriteString(part.intro + "\n\n")
		}
		for _, name := range slices.Sorted(maps.Keys(part.node.Properties)) {
			req := ""
			if slices.Contains(part.node.Required, name) {
				req = " (required)"
			}
			fmt.Fprintf(&b, "- %s%s: %s\n", name, req, part.node.Properties[name].describe(schema.Defs))
		}
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return checker.Reference(w)
}

// schemaNode is the part of a JSON Schema the reference reads.
type schemaNode struct {
	Description string                `json:"description"`
	Ref         string                `json:"$ref"`
	Required    []string              `json:"required"`
	Properties  map[string]schemaNode `json:"properties"`
	Defs        map[string]schemaNode `json:"$defs"`
	OneOf       []schemaNode          `json:"oneOf"`
}

// describe is a field's description, with that of the definition it refers to.
func (n schemaNode) describe(defs map[string]schemaNode) string {
	d := n.Description
	if def, ok := defs[strings.TrimPrefix(n.Ref, "#/$defs/")]; ok && n.Ref != "" && def.Description != "" && def.Description != d {
		d = strings.TrimSpace(d + " " + def.Description)
	}
	return d
}

package lessons

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/dockling/dockling/checker"
)

// TestSchemaInStep keeps lesson.schema.json in step with the Go model and the check
// registry: the same field names on both sides.
func TestSchemaInStep(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatalf("lesson.schema.json: %v", err)
	}
	defs := schema["$defs"].(map[string]any)
	props := func(v any) []string {
		m, _ := v.(map[string]any)
		p, _ := m["properties"].(map[string]any)
		return slices.Sorted(maps.Keys(p))
	}
	same := func(what string, schemaSide, goSide []string) {
		t.Helper()
		slices.Sort(goSide)
		if !slices.Equal(schemaSide, goSide) {
			t.Errorf("%s: schema has %v, Go has %v", what, schemaSide, goSide)
		}
	}
	same("lesson", props(schema), yamlFields(Lesson{}))
	same("step", props(defs["step"]), yamlFields(Step{}))
	same("quiz", props(defs["quiz"]), yamlFields(Quiz{}))
	imageObj := defs["image"].(map[string]any)["oneOf"].([]any)[1]
	same("image", props(imageObj), yamlFields(Image{}))

	var entry []string
	entry = append(entry, checker.EnvelopeFields()...)
	for _, ty := range checker.Types() {
		entry = append(entry, ty.Name)
		if ty.Fields == nil {
			continue
		}
		def, ok := defs["check-"+ty.Name]
		if !ok {
			t.Errorf("schema lacks $defs/check-%s", ty.Name)
			continue
		}
		same("check "+ty.Name, props(def), slices.Clone(ty.Fields))
	}
	same("check", props(defs["check"]), entry)

	// Every check type is one of the check's alternatives.
	var alts []string
	for _, a := range defs["check"].(map[string]any)["oneOf"].([]any) {
		alts = append(alts, a.(map[string]any)["required"].([]any)[0].(string))
	}
	var types []string
	for _, ty := range checker.Types() {
		types = append(types, ty.Name)
	}
	slices.Sort(alts)
	if !slices.Equal(alts, types) {
		t.Errorf("check oneOf lists %v, registry has %v", alts, types)
	}
	for name := range defs {
		if len(name) > 6 && name[:6] == "check-" {
			if _, ok := checker.Lookup(name[6:]); !ok {
				t.Errorf("schema defines %s, which is no check type", name)
			}
		}
	}
}

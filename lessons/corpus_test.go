package lessons_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/lessons"
)

// schemaValid says whether a lesson file is valid by lesson.schema.json.
func schemaValid(t *testing.T, src []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(lessons.Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("lesson.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("lesson.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// author validate and the JSON Schema agree over a corpus of bad lessons: validate
// rejects each; the schema rejects each it can express (the file's first line says
// "# schema: rejects"), and accepts the others rather than guess. Good lessons pass
// both: the shipped lessons. (author test loads by Validate: cmd's TestAuthorCommandsAgree.)
func TestValidateAndSchemaAgree(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	if len(files) < 10 {
		t.Fatalf("corpus has %d files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, ps := lessons.Validate(f, src, lessons.ValidateOptions{})
		if len(lessons.Errors(ps)) == 0 {
			t.Errorf("%s: validate finds nothing wrong", f)
		}
		rejects := strings.HasPrefix(string(src), "# schema: rejects")
		if !rejects && !strings.HasPrefix(string(src), "# schema: cannot express") {
			t.Errorf("%s: first line must say whether the schema can express its fault", f)
		}
		if err := schemaValid(t, src); (err != nil) != rejects {
			t.Errorf("%s: schema rejects it: %v (%v), want %v", f, err != nil, err, rejects)
		}
	}
	good, _ := filepath.Glob("../content/*.yaml")
	for _, f := range good {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ps := lessons.Validate(f, src, lessons.ValidateOptions{}); len(lessons.Errors(ps)) > 0 {
			t.Errorf("%s: validate: %v", f, ps)
		}
		if err := schemaValid(t, src); err != nil {
			t.Errorf("%s: schema: %v", f, err)
		}
	}
}

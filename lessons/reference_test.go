package lessons

import (
	"regexp"
	"strings"
	"testing"
)

// The reference documents every field of a lesson, a step, an image and a quiz, each
// with a description, and then the check types.
func TestReferenceDocumentsEveryField(t *testing.T) {
	var b strings.Builder
	if err := Reference(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for part, v := range map[string]any{"Lesson": Lesson{}, "Step": Step{}, "Image": Image{}, "Quiz": Quiz{}} {
		i := strings.Index(out, "## "+part+" fields")
		if i < 0 {
			t.Fatalf("no section for %s fields", part)
		}
		section := out[i:]
		section = section[:strings.Index(section[3:], "\n## ")+3]
		for _, f := range yamlFields(v) {
			if !regexp.MustCompile(`(?m)^- ` + f + `( \(required\))?: \S`).MatchString(section) {
				t.Errorf("%s field %s is not documented with a description", part, f)
			}
		}
	}
	if !strings.Contains(out, "## ran") || !strings.Contains(out, "## container") {
		t.Error("the check types are missing")
	}
}

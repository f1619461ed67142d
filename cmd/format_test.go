package cmd

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"text/tabwriter"
	"text/template"

	"github.com/dockling/dockling/internal/dockerapi"
)

// renderTemplate is render's template path alone, to compare the plain-field path with.
func renderTemplate(t *testing.T, lf listFormat, format string, rows []any) string {
	t.Helper()
	table := strings.HasPrefix(format, "table")
	format = strings.TrimSpace(strings.TrimPrefix(format, "table"))
	tmpl := template.Must(template.New("f").Funcs(templateFuncs).Parse(format + "\n"))
	var buf bytes.Buffer
	var out io.Writer = &buf
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(&buf, 10, 1, 3, ' ', 0)
		out = tw
		if err := tmpl.Execute(out, lf.Headers); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			t.Fatal(err)
		}
	}
	if tw != nil {
		tw.Flush()
	}
	return buf.String()
}

// Plain formats render without text/template, to the same text.
func TestPlainFormatsRenderAsTemplates(t *testing.T) {
	rows := []any{
		dockerapi.ContainerRow{ID: "0123456789ab", Image: "busybox", Command: `"sh -c 'exit 1'"`, RunningFor: "2 minutes ago", Status: "Exited (1) 1 minute ago", Names: "brave_turing", Networks: "host"},
		dockerapi.ContainerRow{ID: "ba9876543210", Image: "ubuntu", Command: `"bash"`, RunningFor: "About an hour ago", Status: "Up 3 minutes", Names: "x", Networks: "none"},
	}
	for _, format := range []string{
		psFormat.Default,
		"table {{.Names}}\t{{.Status}}",
		"{{.Names}} {{.Networks}}",
		"{{.ID}}",
		"name={{.Names}};",
		"table {{.Names}} plain text {{.Image}}",
	} {
		var got bytes.Buffer
		if err := psFormat.render(&got, format, false, rows); err != nil {
			t.Fatalf("%q: %v", format, err)
		}
		if want := renderTemplate(t, psFormat, format, rows); got.String() != want {
			t.Errorf("%q:\ngot\n%s\nwant\n%s", format, got.String(), want)
		}
	}
	if want := renderTemplate(t, psFormat, psFormat.Default, nil); func() string {
		var b bytes.Buffer
		_ = psFormat.render(&b, "", false, nil)
		return b.String()
	}() != want {
		t.Error("an empty table differs from the template's")
	}
}

// Anything but text and {{.Field}} goes to text/template.
func TestPlainFieldsRecognisesOnlyFields(t *testing.T) {
	for format, plain := range map[string]bool{
		"{{.Names}}\t{{.ID}}":   true,
		"text only":             true,
		"{{json .}}":            false,
		"{{.Names | upper}}":    false,
		"{{ .Names }}":          false,
		"{{.Labels.x}}":         false,
		"{{if .Names}}x{{end}}": false,
		"a }} b":                false,
		"{{.Names":              false,
	} {
		if _, ok := plainFields(format); ok != plain {
			t.Errorf("plainFields(%q) = %v, want %v", format, ok, plain)
		}
	}
	// A field the rows do not have is the template's error, as before.
	var b bytes.Buffer
	if err := psFormat.render(&b, "{{.Nope}}", false, []any{dockerapi.ContainerRow{}}); err == nil {
		t.Error("an unknown field rendered without error")
	}
}

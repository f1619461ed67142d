package cmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/dockling/dockling/internal/dockerapi"
)

// templateFuncs are the functions Docker's --format templates offer.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		// Docker's json leaves <, > and & as they are.
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
	"pad": func(s string, l, r int) string {
		return strings.Repeat(" ", l) + s + strings.Repeat(" ", r)
	},
	"println": func(args ...any) string { return fmt.Sprintln(args...) },
}

// listFormat renders rows for list commands (images, ps, history) the way the
// docker CLI does: "table …" gives a header row and aligned columns; "json" gives one
// JSON object per line; any other text is a Go template per row.
type listFormat struct {
	Default string            // the table used when --format is empty, e.g. "table {{.Repository}}\t…"
	Headers map[string]string // field → column title
	Quiet   string            // template for -q, e.g. "{{.ID}}"
}

func (lf listFormat) render(w io.Writer, format string, quiet bool, rows []any) (err error) {
	w, flush := buffered(w)
	defer flush(&err)
	switch {
	case quiet:
		format = lf.Quiet
	case format == "" || format == "table":
		format = lf.Default
	case format == "json":
		format = "{{json .}}"
	}
	table := strings.HasPrefix(format, "table")
	if table {
		format = strings.TrimSpace(strings.TrimPrefix(format, "table"))
	}
	// Docker reads "\t" typed on the command line as a tab.
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	execute := lf.plainExecute(format, table, rows)
	if execute == nil {
		tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format + "\n")
		if err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		execute = tmpl.Execute
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		// The docker CLI's own tabwriter settings: min width 10, padding 3.
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if err := execute(out, lf.Headers); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	for _, r := range rows {
		if err := execute(out, r); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// formatPart is a piece of a format made only of text and {{.Field}} actions.
type formatPart struct {
	text  string
	field string // "" for text
}

// plainFields splits a format that holds nothing but text and {{.Field}} actions (the
// tables' defaults, most --format uses); ok is false for anything else.
func plainFields(format string) (parts []formatPart, ok bool) {
	for format != "" {
		i := strings.Index(format, "{{")
		if i < 0 {
			if strings.Contains(format, "}}") {
				return nil, false
			}
			return append(parts, formatPart{text: format}), true
		}
		if i > 0 {
			if strings.Contains(format[:i], "}}") {
				return nil, false
			}
			parts = append(parts, formatPart{text: format[:i]})
		}
		j := strings.Index(format[i:], "}}")
		if j < 0 {
			return nil, false
		}
		name, found := strings.CutPrefix(format[i+2:i+j], ".")
		if !found || name == "" || strings.IndexFunc(name, func(r rune) bool {
			return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) >= 0 {
			return nil, false
		}
		parts = append(parts, formatPart{field: name})
		format = format[i+j+2:]
	}
	return parts, true
}

// plainExecute writes a row (or the Headers, for a table) of a format made only of text
// and {{.Field}} actions without text/template, to the same text: the template's parse
// and reflective execution were a twentieth of ps -a with 200 containers. It is nil for
// any other format, for rows that are not all one struct with those fields as strings,
// and for a field without a header: the template renders those as ever.
func (lf listFormat) plainExecute(format string, table bool, rows []any) func(io.Writer, any) error {
	parts, ok := plainFields(format)
	if !ok {
		return nil
	}
	var rowType reflect.Type
	index := make([]int, len(parts)) // parts[i].field's index in the row struct
	for _, r := range rows {
		t := reflect.TypeOf(r)
		if rowType == nil {
			if t == nil || t.Kind() != reflect.Struct {
				return nil
			}
			for i, p := range parts {
				if p.field == "" {
					continue
				}
				f, ok := t.FieldByName(p.field)
				if !ok || f.Type.Kind() != reflect.String || len(f.Index) != 1 {
					return nil
				}
				index[i] = f.Index[0]
			}
			rowType = t
		} else if t != rowType {
			return nil
		}
	}
	if table {
		for _, p := range parts {
			if _, ok := lf.Headers[p.field]; p.field != "" && !ok {
				return nil
			}
		}
	}
	var line strings.Builder
	return func(w io.Writer, v any) error {
		line.Reset()
		headers, isHeader := v.(map[string]string)
		for i, p := range parts {
			switch {
			case p.field == "":
				line.WriteString(p.text)
			case isHeader:
				line.WriteString(headers[p.field])
			default:
				line.WriteString(reflect.ValueOf(v).Field(index[i]).String())
			}
		}
		line.WriteByte('\n')
		_, err := io.WriteString(w, line.String())
		return err
	}
}

// renderEach executes a --format template once per value (inspect -f).
func renderEach(w io.Writer, format string, values []any) (err error) {
	w, flush := buffered(w)
	defer flush(&err)
	if format == "json" {
		format = "{{json .}}"
	}
	tmpl, err := template.New("").Funcs(templateFuncs).Parse(format + "\n")
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	for _, v := range values {
		var buf bytes.Buffer
		err := tmpl.Execute(&buf, v)
		if err != nil {
			// As Docker's CLI: a template the Go type cannot run ({{.Id}}, a field
			// named only in the JSON) runs on the JSON document, numbers kept exact.
			// A key the document lacks is an error there, not <no value>.
			if doc, ok := jsonDocument(v); ok {
				buf.Reset()
				if err = tmpl.Option("missingkey=error").Execute(&buf, doc); err != nil {
					return fmt.Errorf("template parsing error: %w", err)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// jsonDocument is v as a generic JSON document (numbers as json.Number), or false
// when v already is one or cannot be encoded.
func jsonDocument(v any) (any, bool) {
	if _, ok := v.(map[string]any); ok {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	return doc, true
}

// buffered gathers a listing's output into one write (a table's cells were a write
// each: 200 system calls for 20 images); flush writes it, also after an error, and
// reports a failed write when nothing else failed.
func buffered(w io.Writer) (io.Writer, func(*error)) {
	bw := bufio.NewWriterSize(w, 16<<10)
	return bw, func(err *error) {
		if ferr := bw.Flush(); *err == nil {
			*err = ferr
		}
	}
}

// writeJSONArray prints values as Docker's inspect does: an indented JSON array.
func writeJSONArray(w io.Writer, values []any) error {
	if values == nil {
		values = []any{}
	}
	// Docker's leaves <, > and & as they are (a command line's && stays readable).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(values); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Docker's table cells, written once in dockerapi.
var (
	humanSize = dockerapi.HumanSize
	since     = dockerapi.Since
	ellipsis  = dockerapi.Ellipsis
)

package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/docker/go-units"
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
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format + "\n")
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		// The docker CLI's own tabwriter settings: min width 10, padding 3.
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if err := tmpl.Execute(out, lf.Headers); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// renderEach executes a --format template once per value (inspect -f).
func renderEach(w io.Writer, format string, values []any) (err error) {
	w, flush := buffered(w)
	defer flush(&err)
	if format == "json" {
		format = "{{json .}}"
	}
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format + "\n")
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	for _, v := range values {
		if err := tmpl.Execute(w, v); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	return nil
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
	b, err := json.MarshalIndent(values, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// humanSize is Docker's SIZE column: 3 significant digits, decimal units.
func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// since is Docker's CREATED column: "5 seconds ago", "3 months ago".
func since(now, t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}

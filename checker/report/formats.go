package report

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dockling/dockling/checker"
)

type jsonStep struct {
	ID        string           `json:"id"`
	Title     string           `json:"title"`
	Passed    bool             `json:"passed"`
	Points    int              `json:"points"`
	MaxPoints int              `json:"max_points"`
	Checks    []checker.Result `json:"checks"`
}

type jsonReport struct {
	Subject    string     `json:"subject"`
	Learner    string     `json:"learner,omitempty"`
	Lesson     string     `json:"lesson"`
	Passed     bool       `json:"passed"`
	Points     int        `json:"points"`
	MaxPoints  int        `json:"max_points"`
	Error      string     `json:"error,omitempty"`
	Warnings   []string   `json:"warnings,omitempty"`
	SameLayers []string   `json:"same_layers_as,omitempty"`
	Problems   []string   `json:"problems,omitempty"`
	Steps      []jsonStep `json:"steps"`
}

// JSON writes one object: the totals and every report, step and check.
func JSON(w io.Writer, reports []Report) error {
	out := struct {
		Passed    bool         `json:"passed"`
		Status    int          `json:"status"`
		Points    int          `json:"points"`
		MaxPoints int          `json:"max_points"`
		Reports   []jsonReport `json:"reports"`
	}{Status: Status(reports), Reports: []jsonReport{}}
	out.Passed = out.Status == 0
	for _, r := range reports {
		p, m := r.Score()
		out.Points, out.MaxPoints = out.Points+p, out.MaxPoints+m
		jr := jsonReport{Subject: r.Subject, Learner: r.Learner, Lesson: r.Lesson, Passed: r.Passed(), Points: p, MaxPoints: m, Error: r.Error,
			Warnings: r.Warnings, SameLayers: r.SameLayers, Problems: r.Problems, Steps: []jsonStep{}}
		for _, s := range r.Steps {
			sp, sm := s.Score()
			checks := s.Results
			if checks == nil {
				checks = []checker.Result{}
			}
			jr.Steps = append(jr.Steps, jsonStep{ID: s.ID, Title: s.Title, Passed: s.Passed(), Points: sp, MaxPoints: sm, Checks: checks})
		}
		out.Reports = append(out.Reports, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	// Properties hold what changes between runs (points), so the name does not.
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitProblem    `xml:"failure,omitempty"`
	Error      *junitProblem    `xml:"error,omitempty"`
}

type junitProperties struct {
	List []junitProperty `xml:"property"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes JUnit XML: one testsuite per graded sandbox, one testcase per check
// (classname lesson.step). A failed check is a failure, a check that could not read
// its sandbox or a subject that could not be graded an error.
func JUnit(w io.Writer, reports []Report) error {
	all := junitSuites{Name: "dockling"}
	for _, r := range reports {
		s := junitSuite{Name: r.Subject}
		p, m := r.Score()
		s.Properties = []junitProperty{{"lesson", r.Lesson}, {"points", strconv.Itoa(p)}, {"max_points", strconv.Itoa(m)}}
		if r.Learner != "" {
			s.Properties = append(s.Properties, junitProperty{"learner", r.Learner})
		}
		for _, x := range r.Warnings {
			s.Properties = append(s.Properties, junitProperty{"warning", x})
		}
		if r.Error != "" {
			s.Cases = append(s.Cases, junitCase{Name: "grade", Classname: r.Lesson, Error: &junitProblem{Message: r.Error, Type: "subject", Text: r.Error}})
			s.Errors++
		}
		for i, x := range r.Problems {
			s.Cases = append(s.Cases, junitCase{Name: fmt.Sprintf("input #%d", i+1), Classname: r.Lesson, Error: &junitProblem{Message: x, Type: "input", Text: x}})
			s.Errors++
		}
		for _, fc := range flatten(r) {
			c := fc.res
			tc := junitCase{
				Name:       fmt.Sprintf("%s #%d: %s", fc.st.ID, fc.n, c.Label),
				Classname:  r.Lesson + "." + fc.st.ID,
				Properties: &junitProperties{[]junitProperty{{"points", strconv.Itoa(c.Points)}, {"max_points", strconv.Itoa(c.MaxPoints)}}},
			}
			switch {
			case c.Error != "":
				tc.Error = &junitProblem{Message: c.Message, Type: "sandbox", Text: detail(c)}
				s.Errors++
			case !c.Passed:
				tc.Failure = &junitProblem{Message: c.Message, Type: c.Type, Text: detail(c)}
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		all.Tests, all.Failures, all.Errors = all.Tests+s.Tests, all.Failures+s.Failures, all.Errors+s.Errors
		all.Suites = append(all.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func detail(c checker.Result) string {
	if c.Fail != "" {
		return c.Message + "\n" + c.Fail
	}
	return c.Message
}

// TAP writes TAP version 14: one test point per check, with a YAML block on
// failures, one failing point per subject not graded and per missing part;
// warnings and each subject's and the batch's points are comments.
func TAP(w io.Writer, reports []Report) error {
	var b strings.Builder
	b.WriteString("TAP version 14\n")
	n := 0
	for _, r := range reports {
		n += len(flatten(r)) + len(r.Problems)
		if r.Error != "" {
			n++
		}
	}
	fmt.Fprintf(&b, "1..%d\n", n)
	i := 0
	for _, r := range reports {
		if r.Error != "" {
			i++
			fmt.Fprintf(&b, "not ok %d - %s\n", i, tapEscape(r.Subject+" "+r.Lesson+" not graded"))
			fmt.Fprintf(&b, "  ---\n  error: %s\n  ...\n", yamlQuote(r.Error))
		}
		if r.Learner != "" {
			fmt.Fprintf(&b, "# %s learner: %s\n", oneLine(r.Subject), oneLine(r.Learner))
		}
		for _, x := range r.Warnings {
			fmt.Fprintf(&b, "# %s warning: %s\n", r.Subject, oneLine(x))
		}
		for _, x := range r.Problems {
			i++
			fmt.Fprintf(&b, "not ok %d - %s\n", i, tapEscape(r.Subject+" "+r.Lesson+" bad input"))
			fmt.Fprintf(&b, "  ---\n  error: %s\n  ...\n", yamlQuote(x))
		}
		for _, fc := range flatten(r) {
			i++
			c := fc.res
			ok := "ok"
			if !c.Passed {
				ok = "not ok"
			}
			fmt.Fprintf(&b, "%s %d - %s\n", ok, i, tapEscape(fmt.Sprintf("%s %s #%d %s", r.Subject, fc.st.ID, fc.n, c.Label)))
			fmt.Fprintf(&b, "  ---\n  points: %d\n  max_points: %d\n", c.Points, c.MaxPoints)
			if !c.Passed {
				fmt.Fprintf(&b, "  message: %s\n", yamlQuote(c.Message))
				if c.Fail != "" {
					fmt.Fprintf(&b, "  fail: %s\n", yamlQuote(c.Fail))
				}
				if c.Error != "" {
					fmt.Fprintf(&b, "  error: %s\n", yamlQuote(c.Error))
				}
			}
			b.WriteString("  ...\n")
		}
		p, m := r.Score()
		fmt.Fprintf(&b, "# %s: %d/%d points\n", oneLine(r.Subject), p, m)
	}
	if len(reports) > 1 {
		p, m := Total(reports)
		fmt.Fprintf(&b, "# Total: %d/%d points over %d sandboxes%s\n", p, m, len(reports), Tally(reports))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tapEscape keeps a description on one line and its # from starting a directive.
func tapEscape(s string) string {
	s = oneLine(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, "#", `\#`)
}

// yamlQuote writes a YAML double-quoted scalar (JSON string syntax is valid YAML).
func yamlQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// CSV writes a header row, one row per check, and per subject a row of type
// "total" with its points (where a subject not graded or with missing parts has
// its error), so a spreadsheet filters either; warnings go in the total's message.
// No batch row: it would not be a subject. The learner comes last, so the columns
// before it stay where they were.
func CSV(w io.Writer, reports []Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"subject", "lesson", "step", "check", "type", "passed", "points", "max_points", "message", "fail", "error", "learner"}}
	for _, r := range reports {
		p, m := r.Score()
		errs := r.Error
		if errs == "" {
			errs = strings.Join(r.Problems, "; ")
		}
		total := []string{r.Subject, r.Lesson, "", "", "total", strconv.FormatBool(r.Passed()), strconv.Itoa(p), strconv.Itoa(m), strings.Join(r.Warnings, "; "), "", errs, r.Learner}
		for _, fc := range flatten(r) {
			c := fc.res
			rows = append(rows, []string{r.Subject, r.Lesson, fc.st.ID, strconv.Itoa(fc.n) + " " + c.Label, c.Type,
				strconv.FormatBool(c.Passed), strconv.Itoa(c.Points), strconv.Itoa(c.MaxPoints), c.Message, c.Fail, c.Error, r.Learner})
		}
		rows = append(rows, total)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing csv report: %w", err)
	}
	return nil
}

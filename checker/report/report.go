// Package report writes graded check results in the formats graders feed to other
// tools: text (for people), json, junit (JUnit XML for CI), tap (TAP 14) and csv.
//
// A Report is one graded sandbox: its steps, each with the checker.Results of its
// checks. Write picks a format by name; Status turns reports into the grader's exit
// code. Output is deterministic: no times, and everything in the order given.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/dockling/dockling/checker"
)

// Report is the grading of one sandbox against one lesson.
type Report struct {
	Subject string // the sandbox folder or bundle graded
	Lesson  string // lesson ID
	// Learner is who handed the bundle in, as it says ("" for a sandbox folder).
	Learner string
	Steps   []Step
	// Error says why the subject could not be graded at all (an unreadable or
	// tampered bundle): the report then has no steps and counts as bad input.
	Error string
	// Possible is the lesson's points: what a subject that was not graded scores
	// 0 of, so that the batch's maximum still counts it.
	Possible int
	// Problems are parts of the subject that are missing (a base layer the grader
	// lacks): what could be graded was, but the subject counts as bad input.
	Problems []string
	// Warnings are said along with the grade and change nothing (a tampered bundle
	// graded with --ignore-tamper).
	Warnings []string
	// SameLayers are the other subjects of the batch that hold a container layer
	// byte-identical to one of this subject's (see MarkCopies).
	SameLayers []string
}

// Step is one graded step of the lesson.
type Step struct {
	ID, Title string
	Results   []checker.Result
}

// Score adds up the points; a subject not graded scores 0 of Possible.
func (r Report) Score() (points, max int) {
	if r.Error != "" {
		return 0, r.Possible
	}
	for _, s := range r.Steps {
		p, m := s.Score()
		points, max = points+p, max+m
	}
	return points, max
}

// Passed reports whether every check passed.
func (r Report) Passed() bool {
	if r.Error != "" || len(r.Problems) > 0 {
		return false
	}
	for _, s := range r.Steps {
		if !s.Passed() {
			return false
		}
	}
	return true
}

// Score adds up the step's points.
func (s Step) Score() (points, max int) {
	for _, c := range s.Results {
		points, max = points+c.Points, max+c.MaxPoints
	}
	return points, max
}

// Passed reports whether every check of the step passed.
func (s Step) Passed() bool {
	for _, c := range s.Results {
		if !c.Passed {
			return false
		}
	}
	return true
}

// Status is the grader's exit code: 0 when every report passed, 2 when some subject
// could not be graded or a check could not read its sandbox, else 1.
func Status(reports []Report) int {
	status := 0
	for _, r := range reports {
		if r.Error != "" || len(r.Problems) > 0 {
			return 2
		}
		for _, s := range r.Steps {
			for _, c := range s.Results {
				if c.Error != "" {
					return 2
				}
				if !c.Passed {
					status = 1
				}
			}
		}
	}
	return status
}

// Options tune Write.
type Options struct {
	// Points shows each step's and check's points earned and possible in the text
	// format (its summary lines always show the points). The other formats always
	// carry them.
	Points bool
}

var writers = map[string]func(io.Writer, []Report, Options) error{
	"text":  Text,
	"json":  func(w io.Writer, rs []Report, _ Options) error { return JSON(w, rs) },
	"junit": func(w io.Writer, rs []Report, _ Options) error { return JUnit(w, rs) },
	"tap":   func(w io.Writer, rs []Report, _ Options) error { return TAP(w, rs) },
	"csv":   func(w io.Writer, rs []Report, _ Options) error { return CSV(w, rs) },
}

// Formats lists the format names Write knows.
func Formats() []string {
	return []string{"text", "json", "junit", "tap", "csv"}
}

// Write writes reports in the named format.
func Write(w io.Writer, format string, reports []Report, opts Options) error {
	fn, ok := writers[format]
	if !ok {
		return fmt.Errorf("writing report: unknown format %q (use %s)", format, strings.Join(Formats(), ", "))
	}
	return fn(w, reports, opts)
}

// Total adds up the batch's points.
func Total(reports []Report) (points, max int) {
	for _, r := range reports {
		p, m := r.Score()
		points, max = points+p, max+m
	}
	return points, max
}

// Tally says how the batch's subjects came out: ": 1 passed, 2 failed, 1 not
// graded" (not graded: bad input, wholly or in part).
func Tally(reports []Report) string {
	var passed, failed, bad int
	for _, r := range reports {
		switch {
		case r.Error != "" || len(r.Problems) > 0:
			bad++
		case r.Passed():
			passed++
		default:
			failed++
		}
	}
	return fmt.Sprintf(": %d passed, %d failed, %d not graded", passed, failed, bad)
}

// Text writes reports for people to read: a summary line per subject, its
// warnings and problems, each step and check (with their points when
// opts.Points), and the batch's total.
func Text(w io.Writer, reports []Report, opts Options) error {
	var b strings.Builder
	pts := func(p, m int) string {
		if !opts.Points {
			return ""
		}
		return fmt.Sprintf("  %d/%d", p, m)
	}
	for i, r := range reports {
		if i > 0 {
			b.WriteString("\n")
		}
		p, m := r.Score()
		if r.Error != "" {
			fmt.Fprintf(&b, "%s — lesson %s: %d/%d points, not graded: %s\n", r.Subject, r.Lesson, p, m, r.Error)
			continue
		}
		fmt.Fprintf(&b, "%s — lesson %s: %d/%d points, %s\n", r.Subject, r.Lesson, p, m, failedWords(r))
		if r.Learner != "" {
			fmt.Fprintf(&b, "  learner: %s\n", r.Learner)
		}
		for _, x := range r.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", x)
		}
		for _, x := range r.Problems {
			fmt.Fprintf(&b, "  bad input: %s\n", x)
		}
		for _, s := range r.Steps {
			sp, sm := s.Score()
			fmt.Fprintf(&b, "  %s %s (%s)%s\n", mark(s.Passed()), s.Title, s.ID, pts(sp, sm))
			for _, c := range s.Results {
				fmt.Fprintf(&b, "      %s %s%s\n", mark(c.Passed), c.Label, pts(c.Points, c.MaxPoints))
				if !c.Passed {
					fmt.Fprintf(&b, "          %s\n", c.Message)
					if c.Fail != "" {
						fmt.Fprintf(&b, "          %s\n", oneLine(c.Fail))
					}
				}
			}
		}
	}
	if len(reports) > 1 {
		total, totalMax := Total(reports)
		fmt.Fprintf(&b, "\nTotal: %d/%d points over %d sandboxes%s\n", total, totalMax, len(reports), Tally(reports))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(ok bool) string {
	if ok {
		return "✔"
	}
	return "✘"
}

func failedWords(r Report) string {
	n := 0
	for _, s := range r.Steps {
		for _, c := range s.Results {
			if !c.Passed {
				n++
			}
		}
	}
	switch n {
	case 0:
		return "all checks passed"
	case 1:
		return "1 check failed"
	}
	return fmt.Sprintf("%d checks failed", n)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flatCase is one check result with its step, for the line formats.
type flatCase struct {
	res checker.Result
	st  Step
	n   int // 1-based within the step
}

func flatten(r Report) []flatCase {
	var out []flatCase
	for _, s := range r.Steps {
		for i, c := range s.Results {
			out = append(out, flatCase{res: c, st: s, n: i + 1})
		}
	}
	return out
}

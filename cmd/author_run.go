package cmd

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// AuthorTestOptions are `dockling author test`'s flags.
type AuthorTestOptions struct {
	IO        *iostreams.IOStreams
	F         *Factory
	Files     []string
	Step      string
	Keep      bool
	Format    string
	ImageDirs []string
}

// NewAuthorTestCmd is `dockling author test`.
func NewAuthorTestCmd(f *Factory, runF func(*AuthorTestOptions) error) *cobra.Command {
	opts := &AuthorTestOptions{IO: f.IOStreams, F: f}
	c := &cobra.Command{
		Use:   "test FILE|DIR... [--step ID] [--keep] [--images DIR] [--format text|json|junit]",
		Short: "Prove a lesson: checks fail before each solution, pass after, reject wrong answers",
		Long: `For each lesson, in a throw-away sandbox, each step in phases: its checks must fail
before its reference solution runs ("before"; else the step is too loose), fail after
each of its wrong answers run on the state before the step ("wrong N"), pass after the
solution ("after"), and give the same result when checked again ("again"). One line per
step and phase (a failure as file:line:col, with the solution's failed commands and
what they printed), a summary per lesson, exit 1 on any failure. --step ID replays the
steps before ID (their solutions) and tests ID alone. The JUnit output has a testsuite
per lesson and a testcase per step and phase.

The sandbox is author-test-LESSON under the data root, emptied before each wrong
answer, and removed afterwards unless --keep.

Images the lesson lists are found in the test sandbox, then in your other sandboxes
under the same data root (the default one first: what you pulled, loaded or imported
there), then in folders of docker save archives (--images, $DOCKLING_IMAGES); built-in
images are made, others pulled, and stand-ins built where the lesson allows them.`,
		Example: `  dockling author test my-lesson.yaml
  dockling author test --step commit-it --keep my-lesson.yaml
  eval "$(dockling env --sandbox author-test-my-lesson)"; docker ps -a   # look at what --keep kept
  dockling author test --format junit lessons/ > author.xml
  dockling author test --images ~/image-archives content/`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return authorTestRun(c, opts)
		},
	}
	c.Flags().StringVar(&opts.Step, "step", "", "test only the step with this ID (the steps before it are replayed, not tested)")
	c.Flags().BoolVar(&opts.Keep, "keep", false, "keep the test sandbox, its containers running, for a look afterwards (its path and how to enter it are printed)")
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or junit")
	c.Flags().StringArrayVar(&opts.ImageDirs, "images", nil, "a folder of image archives (docker save) to load missing images from (also $"+session.ImagesEnv+")")
	return c
}

// authorPhase is a phase in the JSON output.
type authorPhase struct {
	Step   string `json:"step"`
	Phase  string `json:"phase"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Line   int    `json:"line"`
	Col    int    `json:"col"`
}

type authorResult struct {
	File     string        `json:"file"`
	Lesson   string        `json:"lesson"`
	Phases   []authorPhase `json:"phases"`
	Problems []string      `json:"problems"` // the failed phases and load problems, as file:line:col lines
	Error    string        `json:"error,omitempty"`
	Kept     string        `json:"kept,omitempty"`
}

func (r authorResult) failed() bool { return len(r.Problems) > 0 || r.Error != "" }

func authorTestRun(c *cobra.Command, opts *AuthorTestOptions) error {
	switch opts.Format {
	case "text", "json", "junit":
	default:
		return &FlagError{Err: fmt.Errorf("unknown format %q: use text, json or junit", opts.Format)}
	}
	// Results keep the order of the arguments; lessons that loaded are tested
	// after every file was read, so a bad --step stops before any test runs.
	var results []authorResult
	var ls []*lessons.Lesson
	var at []int // where each lesson of ls goes in results
	for _, file := range lessonPaths(opts.Files) {
		l, problems, err := validateForTest(file, opts.IO.ErrOut)
		switch {
		case err != nil:
			results = append(results, authorResult{File: file, Phases: []authorPhase{}, Problems: []string{}, Error: err.Error()})
			continue
		case len(problems) > 0:
			results = append(results, authorResult{File: file, Phases: []authorPhase{}, Problems: problems})
			continue
		}
		if opts.Step != "" && l.Step(opts.Step) == nil {
			return &FlagError{Err: fmt.Errorf("%s has no step %q", file, opts.Step)}
		}
		ls = append(ls, l)
		at = append(at, len(results))
		results = append(results, authorResult{})
	}
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	for i, l := range ls {
		results[at[i]] = authorTestLesson(c, opts, root, l)
	}
	if err := writeAuthorResults(opts, results); err != nil {
		return err
	}
	for _, r := range results {
		if r.failed() {
			return &ExitError{Code: exitError}
		}
	}
	return nil
}

// authorTestLesson runs one lesson's author test in its own sandbox.
func authorTestLesson(c *cobra.Command, opts *AuthorTestOptions, root string, l *lessons.Lesson) authorResult {
	res := authorResult{File: l.File, Lesson: l.ID, Phases: []authorPhase{}, Problems: []string{}}
	r, err := session.NewAuthorRunner(c.Context(), l, root, "author-test-"+l.ID, opts.IO.ErrOut,
		session.PrepareOptions{ImageDirs: opts.ImageDirs})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	phases, err := lessons.AuthorTest(l, r, lessons.AuthorOptions{Step: opts.Step})
	if err != nil {
		res.Error = err.Error()
	}
	for _, p := range phases {
		res.Phases = append(res.Phases, authorPhase{Step: p.Step, Phase: p.Phase, OK: p.OK, Detail: p.Detail, Line: p.Pos.Line, Col: p.Pos.Col})
		if !p.OK {
			res.Problems = append(res.Problems, p.String())
		}
	}
	if opts.Keep {
		res.Kept = r.Dir()
		fmt.Fprintf(opts.IO.ErrOut, "kept the sandbox of %s at %s\nlook inside: eval \"$(dockling env --sandbox %s)\"; the next author test of %s replaces it\n",
			l.ID, r.Dir(), filepath.Base(r.Dir()), l.ID)
	}
	if err := r.Close(opts.Keep); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	return res
}

func writeAuthorResults(opts *AuthorTestOptions, results []authorResult) error {
	w := opts.IO.Out
	switch opts.Format {
	case "json":
		b, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
		return nil
	case "junit":
		return writeAuthorJUnit(opts, results)
	}
	failed := 0
	for _, r := range results {
		for _, p := range r.Phases {
			if p.OK {
				fmt.Fprintf(w, "step %s: %s ok (%s)\n", p.Step, p.Phase, p.Detail)
			} else {
				fmt.Fprintf(w, "%s:%d:%d: step %s: %s FAIL: %s\n", r.File, p.Line, p.Col, p.Step, p.Phase, p.Detail)
			}
		}
		if len(r.Phases) == 0 {
			for _, p := range r.Problems {
				fmt.Fprintln(w, p) // load problems
			}
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", r.File, r.Error)
		}
		status, problems := "ok", len(r.Problems)
		if r.failed() {
			status = "FAIL"
			failed++
		}
		if r.Error != "" { // the run itself broke: one problem more
			problems++
		}
		fmt.Fprintf(w, "%s\t%s\t%d phase(s), %d problem(s)\n", status, r.File, len(r.Phases), problems)
	}
	if len(results) > 1 {
		fmt.Fprintf(w, "%d lesson(s): %d passed, %d failed\n", len(results), len(results)-failed, failed)
	}
	return nil
}

// writeAuthorJUnit writes a testsuite per lesson and a testcase per step and phase.
func writeAuthorJUnit(opts *AuthorTestOptions, results []authorResult) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		ClassName string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	var suites []suite
	for _, r := range results {
		name := r.Lesson
		if name == "" {
			name = r.File
		}
		s := suite{Name: name}
		add := func(tc testcase) {
			tc.ClassName = r.File
			s.Tests++
			if tc.Failure != nil {
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		for _, p := range r.Phases {
			tc := testcase{Name: fmt.Sprintf("step %s: %s", p.Step, p.Phase)}
			if !p.OK {
				tc.Failure = &failure{Message: p.Detail, Text: fmt.Sprintf("%s:%d:%d: %s", r.File, p.Line, p.Col, p.Detail)}
			}
			add(tc)
		}
		if len(r.Phases) == 0 && len(r.Problems) > 0 {
			add(testcase{Name: "load", Failure: &failure{Message: fmt.Sprintf("%d problem(s)", len(r.Problems)), Text: strings.Join(r.Problems, "\n")}})
		}
		if r.Error != "" {
			add(testcase{Name: "run", Failure: &failure{Message: r.Error, Text: r.Error}})
		}
		suites = append(suites, s)
	}
	all := struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []suite
	}{Name: "dockling author test", Suites: suites}
	for _, s := range suites {
		all.Tests, all.Failures = all.Tests+s.Tests, all.Failures+s.Failures
	}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s%s\n", xml.Header, b)
	return nil
}

// validateForTest reads a lesson by the rules of author validate, so the two agree:
// its errors fail the test before anything runs, its warnings are shown.
func validateForTest(file string, warn io.Writer) (*lessons.Lesson, []string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the lesson: %w", err)
	}
	l, ps := lessons.Validate(file, src, lessons.ValidateOptions{Builtin: sandbox.CanBuildName})
	var problems []string
	for _, p := range ps {
		if p.Warning {
			fmt.Fprintln(warn, p)
			continue
		}
		problems = append(problems, p.String())
	}
	return l, problems, nil
}

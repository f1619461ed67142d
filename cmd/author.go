package cmd

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewAuthorCmd is the `dockling author` group: write and prove lessons.
func NewAuthorCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "author",
		Short: "Write lessons and prove they work",
		Long: `Tools for instructors: start a lesson from a skeleton, validate lesson files
(every problem as file:line:col), and test them offline: each step's checks must fail
before its reference solution, pass after it, and reject its wrong answers.`,
		Example: `  dockling author new my-lesson
  dockling author validate my-lesson.yaml
  dockling author test my-lesson.yaml`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(NewAuthorNewCmd(f), NewAuthorValidateCmd(f), NewAuthorTestCmd(f, nil),
		&cobra.Command{
			Use:     "reference",
			Short:   "Print the check types and their fields (Markdown), for lesson authors",
			Example: `  dockling author reference > CHECKS.md`,
			Args:    exactArgs(0),
			RunE: func(c *cobra.Command, args []string) error {
				return checker.Reference(f.IOStreams.Out)
			},
		},
		&cobra.Command{
			Use:     "schema",
			Short:   "Print the lesson JSON Schema, for editors",
			Example: `  dockling author schema > lesson.schema.json`,
			Args:    exactArgs(0),
			RunE: func(c *cobra.Command, args []string) error {
				_, err := f.IOStreams.Out.Write(lessons.Schema)
				return err
			},
		})
	return c
}

var lessonIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`) }) // compiled on first use: start-up stays fast

// NewAuthorNewCmd is `dockling author new NAME`.
func NewAuthorNewCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "new NAME",
		Short: "Write a commented lesson skeleton to NAME.yaml",
		Long: `Write NAME.yaml: a commented lesson with one step that validates and passes
"dockling author test" as it is, ready to be edited into your own lesson.`,
		Example: `  dockling author new my-lesson && dockling author test my-lesson.yaml`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id := strings.TrimSuffix(filepath.Base(args[0]), ".yaml")
			if !lessonIDRE().MatchString(id) {
				return &FlagError{Err: fmt.Errorf("lesson name %q: use lowercase letters, digits and '-'", id)}
			}
			path := filepath.Join(filepath.Dir(args[0]), id+".yaml")
			out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return fmt.Errorf("creating %s: %w", path, err)
			}
			if _, err := out.WriteString(strings.ReplaceAll(lessonSkeleton, "LESSON-ID", id)); err != nil {
				out.Close()
				return fmt.Errorf("writing %s: %w", path, err)
			}
			if err := out.Close(); err != nil {
				return fmt.Errorf("writing %s: %w", path, err)
			}
			fmt.Fprintf(f.IOStreams.Out, "wrote %s\ntry: dockling author test %s\n", path, path)
			return nil
		},
	}
}

const lessonSkeleton = `# yaml-language-server: $schema=https://dockling.dev/lesson.schema.json
# A dockling lesson. Check it with:  dockling author validate LESSON-ID.yaml
# Prove it works with:                dockling author test LESSON-ID.yaml
id: LESSON-ID
title: My first lesson
summary: One sentence on what the learner will be able to do afterwards.
# The images the lesson needs; hello-world and busybox are built in (no network).
images: [hello-world]

steps:
  - id: run-hello
    title: Run a container
    # Markdown, shown to the learner.
    text: |
      Every ` + "`docker run`" + ` makes a **new container** from an image and starts it.
      Run the hello-world image and give the container the name ` + "`first`" + `.
    try: docker run --name first hello-world
    # Hints escalate: the learner sees one more each time they ask.
    hints:
      - "--name gives a container a name of your choosing."
      - Type docker run --name first hello-world
    # What "author test" runs as the right answer (no terminal: avoid -it here).
    solution: docker run --name first hello-world
    # Answers the checks must reject.
    wrong:
      - docker run hello-world
    checks:
      - container: {name: first, image: hello-world, state: exited, exit: 0}
        points: 2
        fail: No container named "first" has run hello-world yet.
`

// NewAuthorValidateCmd is `dockling author validate`.
func NewAuthorValidateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|DIR...",
		Short: "Report every problem in lesson files as file:line:col: message",
		Long: `Load lesson files (a folder means every *.yaml in it) and report every problem
at once: schema, ids, bindings, templates, steps without checks, solutions or hints,
and images that cannot be had. Exit 1 when there is any.`,
		Example: `  dockling author validate lessons/
  dockling author validate my-lesson.yaml`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ls, problems := loadLessonFiles(args)
			for _, l := range ls {
				problems = append(problems, authorChecks(l.lesson, l.file)...)
			}
			for _, p := range problems {
				fmt.Fprintln(f.IOStreams.Out, p)
			}
			if len(problems) > 0 {
				fmt.Fprintf(f.IOStreams.ErrOut, "%d problem(s)\n", len(problems))
				return &ExitError{Code: exitError}
			}
			fmt.Fprintf(f.IOStreams.Out, "%d lesson(s) valid\n", len(ls))
			return nil
		},
	}
}

type lessonFile struct {
	file   string
	lesson *lessons.Lesson
}

// loadLessonFiles loads every file (folders: their *.yaml) and collects problems.
func loadLessonFiles(args []string) ([]lessonFile, []string) {
	var out []lessonFile
	var problems []string
	for _, a := range args {
		files := []string{a}
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(a, "*.yaml"))
			sort.Strings(files)
		}
		for _, file := range files {
			l, err := lessons.Load(os.DirFS(filepath.Dir(file)), filepath.Base(file))
			var le *lessons.LoadError
			switch {
			case errors.As(err, &le):
				for _, p := range le.Problems {
					p.File = file
					problems = append(problems, p.String())
				}
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			default:
				out = append(out, lessonFile{file: file, lesson: l})
			}
		}
	}
	return out, problems
}

// authorChecks are what validate adds to loading: every graded step has a
// solution and a hint, and the images can be had.
func authorChecks(l *lessons.Lesson, file string) []string {
	var out []string
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		if strings.TrimSpace(s.Solution) == "" {
			out = append(out, fmt.Sprintf("%s:%d:%d: step %q has no solution", file, s.Pos.Line, s.Pos.Col, s.ID))
		}
		if len(s.Hints) == 0 {
			out = append(out, fmt.Sprintf("%s:%d:%d: step %q has no hint", file, s.Pos.Line, s.Pos.Col, s.ID))
		}
	}
	for _, im := range l.Images {
		if im.Standin == "" && !sandbox.CanBuildName(im.Ref) && im.Require && !l.NeedsNetwork() {
			out = append(out, fmt.Sprintf("%s: image %q can only be pulled: add `standin:` or `needs: network`", file, im.Ref))
		}
	}
	return out
}

// AuthorTestOptions are `dockling author test`'s flags.
type AuthorTestOptions struct {
	IO     *iostreams.IOStreams
	F      *Factory
	Files  []string
	Step   string
	Keep   bool
	Format string
}

// NewAuthorTestCmd is `dockling author test`.
func NewAuthorTestCmd(f *Factory, runF func(*AuthorTestOptions) error) *cobra.Command {
	opts := &AuthorTestOptions{IO: f.IOStreams, F: f}
	c := &cobra.Command{
		Use:   "test FILE|DIR... [--step ID] [--keep] [--format text|json|junit]",
		Short: "Prove a lesson: checks fail before each solution, pass after, reject wrong answers",
		Long: `For each lesson, in a throw-away sandbox: every step's checks must fail before its
reference solution runs (else the step is too loose), pass after it, and fail after each
of its wrong answers (run on the state before the step). One line per problem, a
summary, exit 1 on any failure.`,
		Example: `  dockling author test my-lesson.yaml
  dockling author test --format junit lessons/ > author.xml`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return authorTestRun(c, opts)
		},
	}
	c.Flags().StringVar(&opts.Step, "step", "", "test only the step with this ID (and the solutions before it)")
	c.Flags().BoolVar(&opts.Keep, "keep", false, "keep the test sandbox for a look afterwards")
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or junit")
	return c
}

type authorResult struct {
	File     string   `json:"file"`
	Lesson   string   `json:"lesson"`
	Problems []string `json:"problems"`
	Error    string   `json:"error,omitempty"`
}

func authorTestRun(c *cobra.Command, opts *AuthorTestOptions) error {
	switch opts.Format {
	case "text", "json", "junit":
	default:
		return &FlagError{Err: fmt.Errorf("unknown format %q: use text, json or junit", opts.Format)}
	}
	ls, loadProblems := loadLessonFiles(opts.Files)
	var results []authorResult
	for _, p := range loadProblems {
		results = append(results, authorResult{File: strings.SplitN(p, ":", 2)[0], Problems: []string{p}})
	}
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	for _, lf := range ls {
		l := lf.lesson
		if opts.Step != "" {
			l = throughStep(l, opts.Step)
			if l == nil {
				return &FlagError{Err: fmt.Errorf("%s has no step %q", lf.file, opts.Step)}
			}
		}
		res := authorResult{File: lf.file, Lesson: l.ID, Problems: []string{}}
		logw := opts.IO.ErrOut
		r, err := session.NewAuthorRunner(c.Context(), l, root, "author-test-"+l.ID, logw)
		if err != nil {
			return err
		}
		problems, err := lessons.AuthorTest(l, r)
		if err != nil {
			res.Error = err.Error()
		}
		for _, p := range problems {
			p.File = lf.file
			res.Problems = append(res.Problems, p.String())
		}
		if opts.Keep {
			fmt.Fprintf(opts.IO.ErrOut, "kept the sandbox of %s at %s\n", l.ID, r.Dir())
		}
		r.Close(opts.Keep)
		results = append(results, res)
	}
	if err := writeAuthorResults(opts, results); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Problems) > 0 || r.Error != "" {
			return &ExitError{Code: exitError}
		}
	}
	return nil
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
			s := suite{Name: r.Lesson, Tests: 1}
			tc := testcase{Name: "author test", ClassName: r.File}
			if len(r.Problems) > 0 || r.Error != "" {
				s.Failures = 1
				text := r.Problems
				if r.Error != "" {
					text = append(text, r.Error)
				}
				tc.Failure = &failure{Message: fmt.Sprintf("%d problem(s)", len(r.Problems)), Text: strings.Join(text, "\n")}
			}
			s.Cases = []testcase{tc}
			suites = append(suites, s)
		}
		b, err := xml.MarshalIndent(struct {
			XMLName xml.Name `xml:"testsuites"`
			Suites  []suite
		}{Suites: suites}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s%s\n", xml.Header, b)
		return nil
	}
	for _, r := range results {
		for _, p := range r.Problems {
			fmt.Fprintln(w, p)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", r.File, r.Error)
		}
		status := "ok"
		if len(r.Problems) > 0 || r.Error != "" {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s\t%s\t%d problem(s)\n", status, r.File, len(r.Problems))
	}
	return nil
}

// throughStep is the lesson cut after step id: the earlier solutions still run
// (they make the state the step starts from), later steps are left out.
func throughStep(l *lessons.Lesson, id string) *lessons.Lesson {
	for i, s := range l.Steps {
		if s.ID == id {
			cut := *l
			cut.Steps = l.Steps[:i+1]
			return &cut
		}
	}
	return nil
}

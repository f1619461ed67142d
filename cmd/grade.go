package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/dockling/dockling/checker/report"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/bundle"
	"github.com/spf13/cobra"
)

// GradeOptions are `dockling grade`'s flags.
type GradeOptions struct {
	IO           *iostreams.IOStreams
	F            *Factory
	Lesson       string
	LessonsDir   string
	Format       string
	IgnoreTamper bool
	Subjects     []string
}

// NewGradeCmd is `dockling grade`.
func NewGradeCmd(f *Factory, runF func(*GradeOptions) error) *cobra.Command {
	opts := &GradeOptions{IO: f.IOStreams, F: f}
	c := &cobra.Command{
		Use:   "grade --lesson ID [--format text|json|junit|tap|csv] SANDBOX_OR_BUNDLE...",
		Short: "Score learners' sandboxes or submitted bundles against a lesson",
		Long: `Grade each sandbox folder or bundle (made by "dockling submit"): per step and per
check, whether it passed, the points earned and possible, and the message (expected vs
found). A tampered bundle is reported as such and scores 0 unless --ignore-tamper.
Exit 0 when everything passed, 1 when some check failed, 2 on bad input. Grading
never runs a learner's command on this machine outside a container, and never writes
into a bundle.`,
		Example: `  dockling grade --lesson images-vs-containers submissions/*.tar.gz
  dockling grade --lesson commit --format junit submissions/ > grades.xml`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Subjects = args
			if runF != nil {
				return runF(opts)
			}
			return gradeRun(c, opts)
		},
	}
	c.Flags().StringVar(&opts.Lesson, "lesson", "", "lesson ID to grade against (required)")
	c.Flags().StringVar(&opts.LessonsDir, "lessons", "", "folder with more lessons (*.yaml)")
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json, junit, tap or csv")
	c.Flags().BoolVar(&opts.IgnoreTamper, "ignore-tamper", false, "grade tampered bundles anyway (still reported)")
	c.Flags().Bool("points", true, "show points earned and possible (always on; kept for scripts)")
	return c
}

func gradeRun(c *cobra.Command, opts *GradeOptions) error {
	if opts.Lesson == "" {
		return &FlagError{Err: errors.New("--lesson is required")}
	}
	known := false
	for _, f := range report.Formats() {
		known = known || f == opts.Format
	}
	if !known {
		return &FlagError{Err: fmt.Errorf("unknown format %q", opts.Format)}
	}
	all, err := loadLessons(embeddedLessons(), opts.LessonsDir)
	if err != nil && len(all) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
		return &ExitError{Code: exitBadInput}
	}
	var l *lessons.Lesson
	for _, x := range all {
		if x.ID == opts.Lesson {
			l = x
		}
	}
	if l == nil {
		fmt.Fprintf(opts.IO.ErrOut, "Error: no lesson %q\n", opts.Lesson)
		return &ExitError{Code: exitBadInput}
	}
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	// The base images bundles reference (built in, stand-ins, pulled) come from
	// one grader sandbox, made ready once for the batch.
	base, err := session.OpenSandbox(root, "grader-base-"+l.ID)
	if err != nil {
		return err
	}
	if err := base.Prepare(c.Context(), session.FromLesson(l).Images, opts.IO.ErrOut); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %s\n", err)
	}
	baseSB, err := sandbox.Open(base.Dir())
	if err != nil {
		return err
	}
	src := func(chain string) (string, bool) {
		ly, err := baseSB.Store.Layer(chain)
		if err != nil {
			return "", false
		}
		return baseSB.Store.DiffDir(ly.CacheID), true
	}
	work, err := os.MkdirTemp(filepath.Join(root), "grading-")
	if err != nil {
		return fmt.Errorf("making a work folder: %w", err)
	}
	defer os.RemoveAll(work)
	os.Chmod(work, 0o755)

	reports := make([]report.Report, len(opts.Subjects))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, subj := range opts.Subjects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i] = gradeOne(l, subj, filepath.Join(work, fmt.Sprint(i)), src, opts.IgnoreTamper)
		}()
	}
	wg.Wait()
	if err := report.Write(opts.IO.Out, opts.Format, reports); err != nil {
		return err
	}
	if code := report.Status(reports); code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// gradeOne grades a sandbox folder in place, or a bundle unpacked into dest.
func gradeOne(l *lessons.Lesson, subject, dest string, src bundle.LayerSource, ignoreTamper bool) report.Report {
	fail := func(format string, args ...any) report.Report {
		return report.Report{Subject: subject, Lesson: l.ID, Error: fmt.Sprintf(format, args...)}
	}
	st, err := os.Stat(subject)
	if err != nil {
		return fail("%v", err)
	}
	dir := subject
	tamper := ""
	if !st.IsDir() {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return fail("%v", err)
		}
		h, err := bundle.Extract(subject, dest, src)
		var te *bundle.TamperError
		switch {
		case errors.As(err, &te):
			tamper = te.Error()
			if !ignoreTamper {
				return fail("%s: scored 0 (use --ignore-tamper to grade it anyway)", tamper)
			}
		case err != nil:
			return fail("%v", err)
		}
		if h.Lesson != l.ID {
			return fail("bundle is for lesson %q, not %q", h.Lesson, l.ID)
		}
		dir = dest
	} else if _, err := os.Stat(filepath.Join(dir, "image", "overlay2")); err != nil {
		return fail("not a dockling sandbox folder: no image/overlay2 inside")
	}
	v, err := sandboxview.Open(dir)
	if err != nil {
		return fail("%v", err)
	}
	r := lessons.Grade(l, v, subject)
	if tamper != "" {
		r.Error = "graded despite: " + tamper
	}
	return r
}

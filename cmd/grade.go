package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/docker/go-units"
	"github.com/dockling/dockling/checker/report"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/bundle"
	"github.com/dockling/dockling/sandbox/trash"
	"github.com/spf13/cobra"
)

// GradeOptions are `dockling grade`'s flags.
type GradeOptions struct {
	IO            *iostreams.IOStreams
	F             *Factory
	Lesson        string
	LessonsDir    string
	Format        string
	IgnoreTamper  bool
	Points        bool
	MaxBundleSize string
	Subjects      []string
}

// NewGradeCmd is `dockling grade`.
func NewGradeCmd(f *Factory, runF func(*GradeOptions) error) *cobra.Command {
	opts := &GradeOptions{IO: f.IOStreams, F: f}
	c := &cobra.Command{
		Use:   "grade --lesson ID [--format text|json|junit|tap|csv] [--points] SANDBOX_OR_BUNDLE...",
		Short: "Score learners' sandboxes or submitted bundles against a lesson",
		Long: `Grade each sandbox folder or bundle (made by "dockling submit"): per step and per
check, whether it passed, the points earned and possible, and the message (expected vs
found). The text format shows each step's and check's points with --points, and each
sandbox's and the batch's total always; the other formats always carry the points.

A tampered bundle is reported as such and scores 0 of the lesson's points unless
--ignore-tamper, which grades it normally and prints a warning. Unpacking a
bundle, or copying a sandbox folder, may write at most --max-bundle-size (default
2GiB: the files written, each entry counted as some bytes more, so that a great
many empty files count too); a larger one is not graded. Containers that were running when a bundle was submitted are graded
as exited with code 255 at the submit time, as Docker shows a container whose
machine went away: a check for state: running passes only in a sandbox folder (a
lesson meant for bundles checks a start through the journal, with ran:). Exec
checks run in fresh containers without a network.

Reports name the learner a bundle says handed it in, warn when a bundle was made
for other text of the lesson (its YAML's sha256 differs) or by an older dockling
whose bundles carry no full tamper evidence, and flag subjects of the batch whose
container layers are byte-identical (copied work). A bundle's every byte is
checked: one that is truncated or corrupt, even in the image layers the grader
does not unpack, is bad input.

Exit 0 when everything passed, 1 when some check failed, 2 on bad input: a subject
that could not be graded (not a bundle, truncated, from a newer dockling, for
another lesson, too large, tampered, a sandbox folder missing parts or unsafe), or one with
parts the grader lacks (a pulled image's layers: the lesson's images are pulled
for the grader; checks on everything else are still graded). The rest of the batch
is always graded. Grading never runs a learner's command on this machine outside
a container, and never writes into a bundle or another's sandbox folder. A
sandbox folder is its owner's, who may change it while it is graded: it is graded
from a copy, made without following links (an unprivileged grader's own folder is
graded in place, an exec check's container made and removed there). A folder holding a link, FIFO or device where
dockling makes none, a hard link to root's file, or a running container whose
process is not in one of its owner's containers, is unsafe. Exec checks' containers
mount the learner's layers nosuid and nodev, below a work folder only the grader
can enter. The lesson's
images are made ready once in the sandbox grader-base-LESSON under the data root
and kept for the next batch; each bundle is unpacked, and each sandbox folder
copied, into a work folder that goes as soon as it is graded.

A check that is about what an earlier check found (as: NAME) is "not checked"
when that check failed; the lesson's texts then show <NAME>.`,
		Example: `  dockling grade --lesson images-vs-containers submissions/*.tar.gz
  dockling grade --lesson commit --format junit submissions/*.tar.gz > grades.xml
  dockling grade --lesson commit --format csv ~/class/*.tar.gz > grades.csv
  dockling grade --lesson commit --points ~/class/alice.tar.gz
  dockling grade --lesson my-lesson --lessons ./my-lessons alice.tar.gz
  dockling grade --lesson commit --ignore-tamper suspicious.tar.gz`,
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
	c.Flags().BoolVar(&opts.IgnoreTamper, "ignore-tamper", false, "grade tampered bundles anyway (with a warning)")
	c.Flags().BoolVar(&opts.Points, "points", false, "text format: show each step's and check's points earned and possible")
	c.Flags().StringVar(&opts.MaxBundleSize, "max-bundle-size", "2GiB", "most that unpacking one bundle, or copying one sandbox folder, may write (e.g. 500MiB, 4GiB)")
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
		return &FlagError{Err: fmt.Errorf("unknown format %q: use %s", opts.Format, strings.Join(report.Formats(), ", "))}
	}
	maxSize, err := units.RAMInBytes(opts.MaxBundleSize)
	if err != nil || maxSize <= 0 {
		return &FlagError{Err: fmt.Errorf("invalid --max-bundle-size %q: use a size such as 500MiB or 2GiB", opts.MaxBundleSize)}
	}
	l, err := gradeLesson(opts)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
		return &ExitError{Code: exitBadInput}
	}
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	// The base images bundles reference (pulled by digest) come from one grader
	// sandbox, made ready once for the batch.
	base, err := session.OpenLessonSandbox(root, "grader-base-"+l.ID, session.PrepareOptions{NoSandboxCopies: true})
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
		dir := baseSB.Store.DiffDir(ly.CacheID)
		if _, err := os.Stat(dir); err != nil {
			return "", false
		}
		return dir, true
	}
	work, err := os.MkdirTemp(root, "grading-")
	if err != nil {
		return fmt.Errorf("making a work folder: %w", err)
	}
	// MkdirTemp makes it 0700: what is unpacked or copied below it (a learner's
	// set-user-ID files among it) is out of other users' reach.
	defer trash.RemoveAll(work)

	g := grader{lesson: l, src: src, ignoreTamper: opts.IgnoreTamper, extract: bundle.Options{MaxSize: maxSize}}
	reports := make([]report.Report, len(opts.Subjects))
	layers := make([][]string, len(opts.Subjects))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, subj := range opts.Subjects {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dest := filepath.Join(work, fmt.Sprint(i))
			reports[i], layers[i] = g.grade(subj, dest)
			// Each bundle's copy goes as soon as it is graded: a batch needs room for
			// a few at a time, not all of them.
			// A rootless grader's copy may hold folders of mode 555.
			_ = trash.RemoveAll(dest)
		})
	}
	wg.Wait()
	report.MarkCopies(reports, layers)
	if err := report.Write(opts.IO.Out, opts.Format, reports, report.Options{Points: opts.Points}); err != nil {
		return err
	}
	if code := report.Status(reports); code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

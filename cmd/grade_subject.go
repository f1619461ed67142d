package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/dockling/dockling/checker/report"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox/bundle"
)

// gradeLesson finds the lesson to grade against. When it did not load, the
// problems of its file (or, when no file is called so, of every lesson) say why.
func gradeLesson(opts *GradeOptions) (*lessons.Lesson, error) {
	all, err := loadLessons(embeddedLessons(), opts.LessonsDir)
	for _, x := range all {
		if x.ID == opts.Lesson {
			return x, nil
		}
	}
	var le *lessons.LoadError
	if !errors.As(err, &le) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no lesson %q (lessons: %s)", opts.Lesson, lessonIDs(all))
	}
	var problems []lessons.Problem
	for _, p := range le.Problems {
		if stem := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p.File), ".yaml"), ".yml"); stem == opts.Lesson {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		problems = le.Problems
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	return nil, fmt.Errorf("no valid lesson %q; the lessons have problems:\n%s", opts.Lesson, strings.Join(lines, "\n"))
}

// possible is the lesson's points: what a subject that cannot be graded scores 0 of.
func possible(l *lessons.Lesson) int {
	n := 0
	for _, s := range l.Steps {
		if s.IsQuiz() || !s.Grade {
			continue
		}
		for _, c := range s.Checks {
			n += c.Points
		}
	}
	return n
}

// grader grades one subject at a time, several at once.
type grader struct {
	lesson       *lessons.Lesson
	src          bundle.LayerSource
	ignoreTamper bool
	extract      bundle.Options
}

// grade grades a sandbox folder in place, or a bundle unpacked into dest; layers
// are the sums of a bundle's container layers (see report.MarkCopies).
func (g grader) grade(subject, dest string) (r report.Report, layers []string) {
	l := g.lesson
	learner := ""
	fail := func(format string, args ...any) (report.Report, []string) {
		return report.Report{Subject: subject, Learner: learner, Lesson: l.ID, Error: fmt.Sprintf(format, args...), Possible: possible(l)}, nil
	}
	st, err := os.Stat(subject)
	if err != nil {
		return fail("%v", err)
	}
	var (
		dir      = subject
		warnings []string
		missing  []string // referenced layers the grader lacks
		what     = "sandbox folder"
		tampered bool
		owner    = -1 // a sandbox folder's
	)
	if st.IsDir() {
		if dir, owner, err = g.folder(subject, dest, st); err != nil {
			return fail("%v", err)
		}
	} else {
		what = "bundle"
		if err := os.MkdirAll(dest, 0o700); err != nil {
			return fail("%v", err)
		}
		h, err := bundle.Extract(subject, dest, g.src, g.extract)
		var te *bundle.TamperError
		switch {
		case errors.As(err, &te):
			if !g.ignoreTamper {
				return fail("%s: scored 0 (use --ignore-tamper to grade it anyway)", te)
			}
			warnings = append(warnings, "graded despite: "+te.Error())
			tampered = true
		case errors.Is(err, bundle.ErrTooLarge):
			return fail("%v (raise --max-bundle-size to grade it)", err)
		case err != nil:
			return fail("%v", err)
		}
		if h.Lesson != l.ID {
			return fail("bundle is for lesson %q, not %q", h.Lesson, l.ID)
		}
		learner = h.Learner
		warnings = append(warnings, bundleWarnings(h, l)...)
		dir, missing = dest, h.Missing
		for _, s := range h.ContainerLayers {
			layers = append(layers, s)
		}
	}
	v, err := sandboxview.Open(dir, sandboxview.Grading)
	if err != nil {
		return fail("%v", err)
	}
	if owner >= 0 {
		if err := sandboxview.Foreign(v.Sandbox(), owner); err != nil {
			return fail("%v", err)
		}
	}
	// A part the grader lacks (a pulled image's layer) is named per container and
	// image, and everything else graded; any other missing part means the copy is
	// broken, and grading it would blame the learner.
	var lacks []string
	var broken []sandboxview.Problem
	for _, p := range sandboxview.Inspect(v.Sandbox()) {
		if p.Layer != "" && slices.Contains(missing, p.Layer) {
			lacks = append(lacks, fmt.Sprintf("%s: its base layer %s is not on this grader (pulled by the learner; list its image in the lesson's images so the grader pulls it)", p.Of, shortLayer(p.Layer)))
			continue
		}
		broken = append(broken, p)
	}
	if len(broken) > 0 && !tampered {
		return fail("%s is missing parts: %s", what, joinProblems(broken))
	}
	// Asked to grade a tampered bundle anyway: what the edit removed is named,
	// and the rest graded.
	for _, p := range broken {
		lacks = append(lacks, p.String())
	}
	r = lessons.Grade(l, v, subject)
	r.Learner, r.Warnings, r.Problems = learner, warnings, lacks
	return r, layers
}

// bundleWarnings are what a bundle that can be graded still says: an older format
// without full tamper evidence, or made for other text of the lesson.
func bundleWarnings(h *bundle.Header, l *lessons.Lesson) []string {
	var out []string
	if w := h.Unsealed(); w != "" {
		out = append(out, w)
	}
	if h.LessonSHA256 != "" && l.SHA256 != "" && h.LessonSHA256 != l.SHA256 {
		out = append(out, fmt.Sprintf("the bundle was made for other text of lesson %s (sha256:%.12s; graded against sha256:%.12s)", l.ID, h.LessonSHA256, l.SHA256))
	}
	return out
}

// folder is where the sandbox folder subject is graded, and its owner; an error
// is why it cannot be. The folder is its owner's, who may link it anywhere and
// change it while it is graded: grading reads and mounts a copy in dest, made
// without following a link. An unprivileged grader's own folder is graded in
// place: nothing in it leads anywhere its owner cannot go, and files of the
// owner's subordinate ids (which only the containers' root reads) could not be
// copied.
func (g grader) folder(subject, dest string, st os.FileInfo) (string, int, error) {
	if _, err := os.Stat(filepath.Join(subject, "image", "overlay2")); err != nil {
		return "", -1, errors.New("not a dockling sandbox folder: no image/overlay2 inside")
	}
	dir, owner := subject, os.Geteuid()
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || owner == 0 || int(sys.Uid) != owner {
		var err error
		owner, err = sandboxview.Snapshot(subject, dest, g.extract.MaxSize)
		if errors.Is(err, sandboxview.ErrTooLarge) {
			return "", -1, fmt.Errorf("%w: more than %d bytes (raise --max-bundle-size to grade it)", err, g.extract.MaxSize)
		}
		if err != nil {
			return "", -1, err
		}
		dir = dest
	}
	// Before opening it, which would make missing folders anew, empty.
	if ps := sandboxview.Folders(dir); len(ps) > 0 {
		return "", -1, fmt.Errorf("sandbox folder is missing parts: %s", joinProblems(ps))
	}
	return dir, owner, nil
}

func joinProblems(ps []sandboxview.Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

func shortLayer(chain string) string {
	h := strings.TrimPrefix(chain, "sha256:")
	return "sha256:" + h[:min(12, len(h))]
}

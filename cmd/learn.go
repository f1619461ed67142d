package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
	"github.com/spf13/cobra"
)

// LearnOptions are `dockling learn`'s flags.
type LearnOptions struct {
	IO *iostreams.IOStreams
	// DataRoot is the data root the lessons' sandboxes and progress live under.
	DataRoot func() (string, error)
	// Embedded are the lessons built into dockling (nil: none).
	Embedded fs.FS

	Lesson     string
	LessonsDir string
	Watch      bool
}

// NewLearnCmd is `dockling learn`: a guided lesson.
func NewLearnCmd(f *Factory, runF func(*LearnOptions) error) *cobra.Command {
	opts := newLearnOptions(f)
	c := &cobra.Command{
		Use:   "learn [LESSON]",
		Short: "Follow a guided lesson: type docker commands, get each step checked",
		Long: `Start or resume a lesson. Each lesson shows a step, then a prompt: what you type runs
in a real shell where "docker" is dockling acting on the lesson's own sandbox, and after
every command the step is checked (✔ / ✘). hint, check, solution, skip, back, reset,
progress, help and quit are the guide's own words. Progress is saved after every step.

Without LESSON, a menu of the lessons shows each one's progress (on a terminal; else
the list is printed). With --watch there is no prompt: type the commands in your own
terminal after eval "$(dockling env --sandbox LESSON)", and the step is checked
whenever the sandbox changes.`,
		Example: `  dockling learn
  dockling learn images-vs-containers
  dockling learn --lessons ./my-lessons my-lesson
  dockling learn --watch images-vs-containers`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Lesson = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return learnRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.LessonsDir, "lessons", "", "also load the lessons (*.yaml) in this folder")
	c.Flags().BoolVar(&opts.Watch, "watch", false, "no prompt: check the step whenever the sandbox changes (use your own terminal)")
	_ = c.MarkFlagDirname("lessons")
	c.ValidArgsFunction = func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		all, _ := loadLessons(opts.Embedded, opts.LessonsDir)
		var out []string
		for _, l := range all {
			if strings.HasPrefix(l.ID, toComplete) {
				out = append(out, l.ID+"\t"+l.Title)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	return c
}

func newLearnOptions(f *Factory) *LearnOptions {
	return &LearnOptions{
		IO:       f.IOStreams,
		Embedded: embeddedLessons(),
		DataRoot: f.Root,
	}
}

// LearnMenu is what plain `dockling` opens: the lesson menu on a terminal, else the
// list of lessons and how to start one.
func LearnMenu(ctx context.Context, f *Factory) error {
	return learnRun(ctx, newLearnOptions(f))
}

func learnRun(ctx context.Context, opts *LearnOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	root, err := opts.DataRoot()
	if err != nil {
		return err
	}
	all, loadErr := loadLessons(opts.Embedded, opts.LessonsDir)
	if opts.Lesson == "" {
		if loadErr != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Some lessons could not be loaded:\n%s\n", loadErr)
		}
		if !opts.IO.IsStdinTTY() || !opts.IO.IsStdoutTTY() {
			return printLessonList(opts.IO, root, all)
		}
		return lessonMenu(ctx, opts, root, all)
	}
	i := slices.IndexFunc(all, func(l *lessons.Lesson) bool { return l.ID == opts.Lesson })
	if i < 0 {
		if loadErr != nil {
			return fmt.Errorf("no lesson %q loaded; some lessons have problems:\n%w", opts.Lesson, loadErr)
		}
		return &FlagError{Err: fmt.Errorf("no lesson %q (known: %s)", opts.Lesson, lessonIDs(all))}
	}
	return runLesson(ctx, opts, root, all[i])
}

// loadLessons loads the embedded lessons and those in dir; a lesson in dir replaces
// an embedded one with the same ID, so an author can try an edited copy. Lessons that
// load are returned even when others have problems.
func loadLessons(embedded fs.FS, dir string) ([]*lessons.Lesson, error) {
	var all []*lessons.Lesson
	var problems []error
	if embedded != nil {
		ls, err := lessons.LoadAll(embedded)
		all = ls
		if err != nil {
			problems = append(problems, err)
		}
	}
	if dir != "" {
		fi, err := os.Stat(dir)
		if err == nil && !fi.IsDir() {
			err = fmt.Errorf("%s is not a folder", dir)
		}
		if err != nil {
			return all, fmt.Errorf("loading lessons: %w", err)
		}
		ls, err := lessons.LoadAll(os.DirFS(dir))
		if err != nil {
			var le *lessons.LoadError
			if errors.As(err, &le) {
				// Problems name files relative to the folder; make them findable.
				for i := range le.Problems {
					le.Problems[i].File = filepath.Join(dir, le.Problems[i].File)
				}
			}
			problems = append(problems, err)
		}
		for _, l := range ls {
			all = slices.DeleteFunc(all, func(o *lessons.Lesson) bool { return o.ID == l.ID })
			all = append(all, l)
		}
	}
	return all, errors.Join(problems...)
}

func lessonIDs(all []*lessons.Lesson) string {
	if len(all) == 0 {
		return "none; load some with --lessons DIR"
	}
	ids := make([]string, len(all))
	for i, l := range all {
		ids[i] = l.ID
	}
	return strings.Join(ids, ", ")
}

// runLesson runs one lesson's session in its own sandbox.
// shellSafe are the characters a path may have and still be typed unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%"

// resumeCommand is how the learner comes back to l: with the lessons folder it was
// loaded from, and watching if they watched.
func resumeCommand(opts *LearnOptions, l *lessons.Lesson) string {
	args := []string{"dockling", "learn"}
	if opts.Watch {
		args = append(args, "--watch")
	}
	if opts.LessonsDir != "" {
		dir, err := filepath.Abs(opts.LessonsDir)
		if err != nil {
			dir = opts.LessonsDir
		}
		if strings.ContainsFunc(dir, func(r rune) bool { return !strings.ContainsRune(shellSafe, r) }) {
			dir = shellQuote(dir)
		}
		args = append(args, "--lessons", dir)
	}
	return strings.Join(append(args, l.ID), " ")
}

func runLesson(ctx context.Context, opts *LearnOptions, root string, l *lessons.Lesson) error {
	sb, err := session.OpenLessonSandbox(root, l.ID, session.PrepareOptions{Network: l.NeedsNetwork()})
	if err != nil {
		return err
	}
	// `dockling env` without --sandbox selects the lesson started last.
	if err := session.SetCurrent(root, l.ID); err != nil {
		fmt.Fprintln(opts.IO.ErrOut, err)
	}
	terminal := opts.IO.IsStdinTTY() && opts.IO.IsStdoutTTY()
	colour := opts.IO.IsStdoutTTY() && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	// Watching runs no lines itself, so it needs no shell (nor its state folder).
	var runner session.Runner = session.NoRunner{}
	if !opts.Watch {
		sh, err := session.NewShell(session.ShellOptions{IO: opts.IO, Terminal: terminal, DataRoot: root, Sandbox: l.ID, DockerRoot: true})
		if err != nil {
			return err
		}
		defer sh.Close()
		runner = sh
	}
	s, err := session.New(session.Config{
		Lesson: session.FromLesson(l), DataRoot: root, IO: opts.IO, Colour: colour,
		Runner: runner, Checker: session.LessonChecker(l, sb.Dir()), Sandbox: sb,
		Resume: resumeCommand(opts, l),
	})
	if err != nil {
		return err
	}
	if opts.Watch {
		// A closed terminal ends watching like Ctrl-C does: progress is saved.
		// Ctrl-C stops watching (the menu, if any, comes back).
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGHUP, os.Interrupt)
		defer stop()
		return s.Watch(ctx, 0)
	}
	if terminal {
		// On a terminal Ctrl-C belongs to the command in the foreground (or drops the
		// line at the prompt): it must not end the session. SIGTERM and a closed
		// terminal still do, after saving.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
	}
	return s.Run(ctx)
}

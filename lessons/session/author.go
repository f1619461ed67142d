package session

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/dockling/dockling/sandbox/trash"
)

// AuthorRunner is the lessons.Runner behind `dockling author test`: a throw-away
// sandbox, each solution line run in a real shell without a terminal and recorded
// in the journal with its output, exactly as a learner's line would be.
type AuthorRunner struct {
	ctx    context.Context
	lesson *Lesson
	root   string
	name   string
	log    io.Writer
	opts   PrepareOptions
	sb     Sandbox
	shell  *Shell
	// work is the folder the lines run in: the lesson's files (a Dockerfile, a site
	// to bind-mount) go there, not into the folder the author test was started from.
	work string
	// prepared are the image IDs the sandbox held once its images were ready.
	prepared []string
	// saved is the snapshot the sandbox still equals (nothing ran since it was
	// taken or restored), "" when none; saves counts the snapshots taken.
	saved string
	saves int
}

var (
	_ lessons.Runner      = (*AuthorRunner)(nil)
	_ lessons.Snapshotter = (*AuthorRunner)(nil)
)

// NewAuthorRunner prepares a runner for l in the sandbox name under dataRoot
// (which it empties first); log hears what preparing the images does. opts say
// where else to find images; Network is set from the lesson, and the network is
// probed once however often the sandbox is reset.
func NewAuthorRunner(ctx context.Context, l *lessons.Lesson, dataRoot, name string, log io.Writer, opts PrepareOptions) (*AuthorRunner, error) {
	opts.Network = l.NeedsNetwork()
	probe := opts.Probe
	if probe == nil {
		probe = probeNetwork
	}
	var once sync.Once
	var probed error
	opts.Probe = func(ctx context.Context) error {
		once.Do(func() { probed = probe(ctx) })
		return probed
	}
	// Every wrong answer resets the sandbox: a pull that failed once (offline, it
	// may take seconds to fail) fails at once afterwards, and the stand-in is built.
	pull := opts.Pull
	if pull == nil {
		pull = func(ctx context.Context, sb *sandbox.Sandbox, ref string) error {
			_, err := sb.Pull(ctx, ref, nil)
			return err
		}
	}
	failed := map[string]error{}
	var mu sync.Mutex
	opts.Pull = func(ctx context.Context, sb *sandbox.Sandbox, ref string) error {
		mu.Lock()
		defer mu.Unlock()
		if err, ok := failed[ref]; ok {
			return err
		}
		err := pull(ctx, sb, ref)
		if err != nil {
			failed[ref] = err
		}
		return err
	}
	sb, err := OpenLessonSandbox(dataRoot, name, opts)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "dockling-author-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("making the author test's working folder: %w", err)
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out, ios.ErrOut = io.Discard, io.Discard
	sh, err := NewShell(ShellOptions{IO: ios, DataRoot: dataRoot, Sandbox: name, Dir: work})
	if err != nil {
		os.RemoveAll(work)
		return nil, err
	}
	return &AuthorRunner{ctx: ctx, lesson: lessonPtr(FromLesson(l)), root: dataRoot, name: name, log: log, opts: opts, sb: sb, shell: sh, work: work}, nil
}

// trimmer is a Sandbox that can go back to holding only some images (realSandbox).
type trimmer interface {
	Trim(keep, want []string) error
}

// Reset empties the sandbox and makes the lesson's images ready. The first time it
// deletes the sandbox and prepares the images; after that it keeps the images it
// prepared and removes everything else (containers, other images and tags, the
// journal): loading a real distribution's image again for every phase made an
// author test of the commit lesson take minutes.
func (r *AuthorRunner) Reset() error {
	r.saved = ""
	log := r.log
	if r.prepared != nil {
		// What preparing the images says was said at the first reset; the same
		// words for every wrong answer's replay would bury the results.
		log = io.Discard
	}
	if t, ok := r.sb.(trimmer); ok && r.prepared != nil {
		if err := t.Trim(r.prepared, r.lesson.imageRefs()); err == nil {
			return r.sb.Prepare(r.ctx, r.lesson.Images, log) // puts back what a solution removed
		}
	}
	if err := r.sb.Destroy(); err != nil {
		return fmt.Errorf("resetting the sandbox: %w", err)
	}
	sb, err := OpenLessonSandbox(r.root, r.name, r.opts)
	if err != nil {
		return err
	}
	r.sb = sb
	if err := r.sb.Prepare(r.ctx, r.lesson.Images, log); err != nil {
		return err
	}
	r.prepared = slices.Collect(maps.Keys(r.sb.Capture().Images))
	return nil
}

// Save takes a snapshot of the sandbox, which the returned function restores: the
// author test puts back the state before each wrong answer this way instead of
// replaying every earlier solution. A sandbox unchanged since the last Save or
// restore is not copied again.
func (r *AuthorRunner) Save() (func() error, error) {
	sn, ok := r.sb.(Snapshots)
	if !ok {
		return nil, nil
	}
	if r.saved == "" {
		r.saves++
		key := fmt.Sprintf("author-%d", r.saves)
		if err := sn.Snapshot(key); err != nil {
			return nil, err
		}
		// The earlier ones are never restored again.
		if err := sn.DropSnapshots([]string{key}); err != nil {
			return nil, err
		}
		r.saved = key
	}
	key := r.saved
	return func() error {
		if _, err := sn.Restore(key); err != nil {
			return err
		}
		r.saved = key
		return nil
	}, nil
}

// Run runs each line of script and journals it; failing lines are not errors.
func (r *AuthorRunner) Run(script string) error {
	r.saved = ""
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		before := r.sb.Capture()
		res, err := r.shell.Run(r.ctx, line)
		if err != nil {
			return fmt.Errorf("running %q: %w", line, err)
		}
		containers, images := journal.Used(line, before, r.sb.Capture())
		if err := journal.Append(r.sb.Dir(), journal.Entry{
			Line: line, ExitCode: res.ExitCode, Output: res.Output, Containers: containers, Images: images,
		}); err != nil {
			return err
		}
	}
	return nil
}

// View shows the sandbox to the checks.
func (r *AuthorRunner) View() checker.View {
	sb, err := sandbox.Open(r.sb.Dir())
	if err != nil {
		return brokenView{err}
	}
	return sandboxview.New(sb)
}

// Close removes the sandbox and the shell's state (unless keep).
func (r *AuthorRunner) Close(keep bool) error {
	r.shell.Close()
	if keep {
		return nil
	}
	// What containers made in a bind-mounted folder may be another id's: the
	// trash's RemoveAll gets through folders that keep their owner out.
	_ = trash.RemoveAll(r.work)
	return r.sb.Destroy()
}

// Dir is the sandbox folder (kept with --keep for a look afterwards).
func (r *AuthorRunner) Dir() string { return r.sb.Dir() }

// brokenView answers every question with the error that kept the sandbox closed,
// so the checks fail with that reason instead of the runner crashing.
type brokenView struct{ err error }

func (b brokenView) Containers() ([]checker.Container, error) { return nil, b.err }
func (b brokenView) Images() ([]checker.Image, error)         { return nil, b.err }
func (b brokenView) ContainerFS(string) (fs.FS, error)        { return nil, b.err }
func (b brokenView) ImageFS(string) (fs.FS, error)            { return nil, b.err }
func (b brokenView) Diff(string) ([]checker.Change, error)    { return nil, b.err }
func (b brokenView) Journal() ([]checker.Command, error)      { return nil, b.err }
func (b brokenView) Exec(checker.ExecRequest) (checker.ExecResult, error) {
	return checker.ExecResult{}, b.err
}
func (b brokenView) StoreFS() (fs.FS, error) { return nil, b.err }

func lessonPtr(l Lesson) *Lesson { return &l }

// imageRefs are the lesson's images as the store names them ("ubuntu:latest").
func (l *Lesson) imageRefs() []string {
	var out []string
	for _, im := range l.Images {
		if ref, err := store.ParseRef(im.Ref); err == nil {
			out = append(out, ref.String())
		}
	}
	return out
}

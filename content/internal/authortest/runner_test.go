package authortest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/checker/sandboxview"
	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/dockling/dockling/sandbox/trash"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the shim and container init, and, called as
	// "docker", as the command line the lessons type.
	runtime.Init()
	if filepath.Base(os.Args[0]) == "docker" {
		os.Exit(cmd.Main())
	}
	m.Run()
}

// shellRunner is a lessons.Runner on a real sandbox: each line runs in bash, with
// its output and what it touched recorded in the journal.
type shellRunner struct {
	t        testing.TB
	lesson   *lessons.Lesson
	root     string // DOCKLING_ROOT
	bin      string // holds "docker"
	dir      string // the lesson's sandbox
	template string // a fresh sandbox with the lesson's images, copied on Reset
	sb       *sandbox.Sandbox
	timeout  time.Duration
	lines    int
}

func newShellRunner(t testing.TB, l *lessons.Lesson, prepare func(sb *sandbox.Sandbox) error) *shellRunner {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	// Container layers must be reachable by the container's root.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &shellRunner{t: t, lesson: l, root: filepath.Join(base, "root"), bin: filepath.Join(base, "bin"), timeout: 2 * time.Minute}
	if err := os.MkdirAll(r.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(r.bin, "docker")); err != nil {
		t.Fatal(err)
	}
	if r.dir, err = sandbox.Dir(r.root, l.ID); err != nil {
		t.Fatal(err)
	}
	r.template = filepath.Join(base, "template")
	sb, err := sandbox.Open(r.template)
	if err != nil {
		t.Fatal(err)
	}
	if err := prepare(sb); err != nil {
		skipUnlessTiers(t, "the lesson's images are not available here: %v", err)
	}
	// What preparing removed may still be being deleted in the background; copies of the
	// template (Reset) must not race that.
	if err := trash.Empty(sb.Store.TmpDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.clear)
	return r
}

// clear removes the sandbox, stopping whatever still runs in it.
func (r *shellRunner) clear() {
	if r.sb == nil {
		return
	}
	if cs, err := r.sb.Containers(); err == nil {
		for _, c := range cs {
			_, _ = r.sb.Remove(c.ID, true)
		}
	}
	os.RemoveAll(r.dir)
	r.sb = nil
}

func (r *shellRunner) Reset() error {
	r.clear()
	if err := os.MkdirAll(filepath.Dir(r.dir), 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", r.template, r.dir).CombinedOutput(); err != nil {
		return fmt.Errorf("copying the prepared sandbox: %v: %s", err, out)
	}
	sb, err := sandbox.Open(r.dir)
	if err != nil {
		return err
	}
	r.sb = sb
	return nil
}

func (r *shellRunner) View() checker.View { return sandboxview.New(r.sb) }

func (r *shellRunner) Run(script string) error {
	for _, line := range strings.Split(script, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		r.lines++
		before := journal.Capture(r.sb)
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		c := exec.CommandContext(ctx, "bash", "-c", line)
		c.Env = append(os.Environ(), "PATH="+r.bin+":"+os.Getenv("PATH"), "DOCKLING_ROOT="+r.root, "DOCKLING_SANDBOX="+r.lesson.ID)
		c.Dir = r.t.TempDir()
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		err := c.Run()
		timedOut := ctx.Err() != nil
		cancel()
		code := 0
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok || timedOut {
				return fmt.Errorf("running %q: %v (output: %s)", line, err, out.String())
			}
			code = ee.ExitCode()
		}
		containers, images := journal.Touched(before, journal.Capture(r.sb))
		if testing.Verbose() {
			r.t.Logf("$ %s  [exit %d]\n%s", line, code, out.String())
		}
		e := journal.Entry{Time: time.Now().UTC(), Line: line, ExitCode: code, Output: out.String(), Containers: containers, Images: images}
		if err := journal.Append(r.dir, e); err != nil {
			return err
		}
	}
	return nil
}

// prepareImages readies what a lesson's images list asks for the way a session would
// offline: the built-in images, stand-ins where allowed, and for a real image the
// archive named by $DOCKLING_TEST_<NAME>_TAR (a docker save file).
func prepareImages(l *lessons.Lesson) func(sb *sandbox.Sandbox) error {
	return func(sb *sandbox.Sandbox) error {
		for _, img := range l.Images {
			if _, err := sb.Image(img.Ref); err == nil {
				continue
			}
			env := "DOCKLING_TEST_" + strings.ToUpper(strings.NewReplacer("-", "_", ":", "_", "/", "_").Replace(img.Ref)) + "_TAR"
			if tar := os.Getenv(env); tar != "" {
				f, err := os.Open(tar)
				if err != nil {
					return err
				}
				_, err = sb.Load(f)
				f.Close()
				if err != nil {
					return err
				}
				continue
			}
			if img.Standin == "" {
				return fmt.Errorf("%s is needed and $%s names no archive of it", img.Ref, env)
			}
			ref, err := store.ParseRef(img.Ref)
			if err != nil {
				return err
			}
			if _, err := sb.AddStandin(ref, img.Standin); err != nil {
				return err
			}
		}
		return nil
	}
}

package session

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
)

// realDocker points the lesson shell's docker at a real dockling ($DOCKLING_BIN,
// else one built here): this test binary plays a fake one (see TestMain).
func realDocker(b *testing.B, root string) {
	bin := os.Getenv("DOCKLING_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "dockling")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/dockling").CombinedOutput(); err != nil {
			b.Fatalf("building dockling: %v\n%s", err, out)
		}
	}
	for _, name := range []string{"docker", "dockling"} {
		link := filepath.Join(root, "bin", name)
		os.Remove(link)
		if err := os.Symlink(bin, link); err != nil {
			b.Fatal(err)
		}
	}
}

// yes answers every question with yes.
type yes struct{}

func (yes) Confirm(context.Context, string, bool) (bool, error)   { return true, nil }
func (yes) Select(context.Context, string, []string) (int, error) { return 0, nil }

// BenchmarkResetStep times `reset step` in the lecture lesson (images-vs-containers)
// at its step "start-again", the sandbox holding what the earlier steps' solutions
// made (containers with their files, ubuntu's stand-in, hello-world), after each
// time the learner ran a container and changed one (not timed). It reports the
// median of the resets in ms (the bound: 300 ms).
//
//	go test -run '^$' -bench ResetStep -benchtime 20x ./lessons/session/
func BenchmarkResetStep(b *testing.B) {
	if s := runtime.Capabilities(); !s.Overlay {
		b.Skipf("containers cannot run here: %s %s", s.UserNSReason, s.OverlayReason)
	}
	src, err := os.ReadFile("../../content/images-vs-containers.yaml")
	if err != nil {
		b.Fatal(err)
	}
	l, problems := lessons.Parse("images-vs-containers.yaml", src)
	if len(problems) > 0 {
		b.Fatal(problems)
	}
	ctx := context.Background()
	root := b.TempDir()
	offline := func(context.Context, *sandbox.Sandbox, string) error { return errors.New("offline") }
	r, err := NewAuthorRunner(ctx, l, root, l.ID, io.Discard, PrepareOptions{Pull: offline, Probe: func(context.Context) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(false)
	realDocker(b, root)
	const at = "start-again"
	phases, err := lessons.AuthorTest(l, r, lessons.AuthorOptions{Step: "names"})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range phases {
		if !p.OK {
			b.Fatal(p)
		}
	}
	if len(r.sb.Capture().Containers) == 0 {
		b.Fatal("the earlier steps made no containers")
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out, ios.ErrOut = io.Discard, io.Discard
	checkNothing := CheckFunc(func(context.Context, CheckRequest) (Outcome, error) { return Outcome{}, nil })
	s, err := New(Config{Lesson: FromLesson(l), DataRoot: root, IO: ios, Runner: r.shell, Checker: checkNothing, Sandbox: r.sb, Prompter: yes{}, Width: 80})
	if err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(s.steps, func(st Step) bool { return st.ID == at })
	s.p = Progress{Lesson: l.ID, Step: i, StepID: at, Hints: map[string]int{}, Bindings: Bindings{}}
	s.snapshotStep()
	var times []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		if err := r.Run("docker run --name extra busybox sh -c 'echo x > /x'\ndocker start -a $(docker ps -aq | tail -1)"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		s.reset(ctx, "step")
		times = append(times, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	if cs := r.sb.Capture().Containers; len(cs) == 0 {
		b.Fatal("the reset left no containers: the benchmark measures nothing")
	}
}

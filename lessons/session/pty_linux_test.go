package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/dockling/dockling/sandbox/runtime"
)

// TestMain lets this test binary be the "docker" the session's shell runs (the
// session links <root>/bin/docker to the running program): a stand-in that prints
// docker images' header, so this package's tests do not depend on the CLI's. The
// real CLI is driven through a pty by cmd's TestLearnOnATerminal.
func TestMain(m *testing.M) {
	// The runtime re-executes the test binary (the overlay probe, shims, inits).
	runtime.Init()
	if filepath.Base(os.Args[0]) == "docker" {
		if len(os.Args) > 1 && os.Args[1] == "images" {
			fmt.Println("REPOSITORY   TAG       IMAGE ID   CREATED   SIZE")
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "fake docker: unknown command")
		os.Exit(125)
	}
	os.Exit(m.Run())
}

// screen collects what the session writes to the terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the screen shows want after the offset from, and returns the
// offset just past it.
func (s *screen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out := s.String(); len(out) >= from {
			if i := strings.Index(out[from:], want); i >= 0 {
				return from + i + len(want)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the screen never showed %q; it shows:\n%s", want, s.String())
	return 0
}

// TestTerminalSession types a docker command at a real prompt on a pty: the line
// editor reads it, bash runs "docker" with output captured
// through a pty of the session's own, the journal records it, and the step passes.
// Ctrl-C at the prompt drops the line; Ctrl-D leaves.
func TestTerminalSession(t *testing.T) {
	ptm, ios, scr := openTerminal(t)
	root := t.TempDir()
	sh, err := session.NewShell(session.ShellOptions{IO: ios, Terminal: true, DataRoot: root, Sandbox: "pty-demo"})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	sb, err := session.OpenSandbox(root, "pty-demo")
	if err != nil {
		t.Fatal(err)
	}
	// The step passes once `docker images` ran after the step began, exited 0 and
	// printed its table header.
	check := session.CheckFunc(func(ctx context.Context, req session.CheckRequest) (session.Outcome, error) {
		es, err := journal.Read(sb.Dir())
		if err != nil {
			return session.Outcome{}, err
		}
		r := session.CheckResult{Label: "ran docker images", Message: "expected docker images; found none"}
		for _, e := range es {
			if e.Seq > req.Since && strings.HasPrefix(e.Line, "docker images") && e.ExitCode == 0 && strings.Contains(e.Output, "REPOSITORY") {
				r.Passed = true
			}
		}
		return session.Outcome{Results: []session.CheckResult{r}}, nil
	})
	lesson := session.Lesson{ID: "pty-demo", Title: "On a terminal", Steps: []session.Step{
		{ID: "images", Title: "List images", Text: "List the images.", Try: "docker images", Hints: []string{"Use docker images."}, Checks: 1},
	}}
	s, err := session.New(session.Config{Lesson: lesson, DataRoot: root, IO: ios, Runner: sh, Checker: check, Sandbox: sb})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()

	at := scr.waitFor(t, 0, "pty-demo 1/1")
	at = scr.waitFor(t, at, "$ ")
	// Ctrl-C drops the half-typed line and gives a fresh prompt.
	ptm.WriteString("docker ima\x03")
	at = scr.waitFor(t, at, "pty-demo 1/1")
	at = scr.waitFor(t, at, "$ ")
	ptm.WriteString("docker images\r")
	at = scr.waitFor(t, at, "REPOSITORY")
	at = scr.waitFor(t, at, "✔ ran docker images")
	scr.waitFor(t, at, "You finished")
	ptm.WriteString("\x04") // Ctrl-D leaves
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the session did not end on Ctrl-D:\n%s", scr.String())
	}
	es, _ := journal.Read(sb.Dir())
	if len(es) != 1 || es[0].Line != "docker images" {
		t.Errorf("journal: %+v", es)
	}
	p, _ := session.LoadProgress(root, "pty-demo")
	if !p.Done {
		t.Errorf("progress: %+v", p)
	}
}

// TestQuizCtrlD: Ctrl-D in a question backs out of it, like Ctrl-C, whether the
// filter matches nothing (survey used to index an empty list and panic) or nothing
// was typed (survey used to submit the highlighted answer).
func TestQuizCtrlD(t *testing.T) {
	for name, keys := range map[string]string{"no match": "zzz\x04", "empty filter": "\x04"} {
		t.Run(name, func(t *testing.T) {
			ptm, ios, scr := openTerminal(t)
			_, prompter := session.NewConsole(ios, false)
			type answer struct {
				idx int
				err error
			}
			got := make(chan answer, 1)
			go func() {
				idx, err := prompter.Select(context.Background(), "Which one?", []string{"alpha", "beta"})
				got <- answer{idx, err}
			}()
			scr.waitFor(t, 0, "Which one?")
			time.Sleep(100 * time.Millisecond)
			ptm.WriteString(keys)
			select {
			case a := <-got:
				if a.idx >= 0 || !errors.Is(a.err, session.ErrInterrupted) {
					t.Errorf("Ctrl-D gave %d, %v; want the question left (ErrInterrupted)", a.idx, a.err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the question did not end on Ctrl-D:\n%s", scr.String())
			}
		})
	}
}

// openTerminal opens a pty 40 rows by 100 columns (the test skips without one),
// closed when the test ends: the streams on its terminal side, and the screen that
// collects what is written there.
func openTerminal(t *testing.T) (ptm *os.File, ios *iostreams.IOStreams, scr *screen) {
	t.Helper()
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	pty.Setsize(ptm, &pty.Winsize{Rows: 40, Cols: 100})
	scr = &screen{}
	go func() { _, _ = ptm.WriteTo(scr) }()
	ios = &iostreams.IOStreams{In: pts, Out: pts, ErrOut: pts}
	ios.SetTTY(true, true, true)
	return ptm, ios, scr
}

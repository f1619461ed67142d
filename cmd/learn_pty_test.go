package cmd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyScreen collects what a program writes to its terminal.
type ptyScreen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *ptyScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *ptyScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the screen shows want after offset from; it returns the offset
// just past it.
func (s *ptyScreen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out := s.String(); len(out) >= from {
			if i := strings.Index(out[from:], want); i >= 0 {
				return from + i + len(want)
			}
		}
	}
	t.Fatalf("the terminal never showed %q after offset %d; it shows:\n%s", want, from, s.String())
	return 0
}

const ptyLesson = `id: ptydemo
title: On a real terminal
steps:
  - id: think
    title: A question
    text: Answer with the arrow keys.
    quiz:
      question: Which one is the template?
      choices: [a container, an image]
      answer: an image
      why: Containers are made from images.
  - id: images
    title: List the images
    text: Run ` + "`docker images`" + `.
    solution: docker images
    checks:
      - ran: {command: '^docker images$', exit: 0}
`

// TestLearnOnATerminal runs "dockling learn" on a pty, as a learner would: the quiz
// is answered with the arrow keys (survey), Ctrl-C drops a half-typed line, a docker
// command typed at the prompt runs in the real shell with the real dockling, and the
// step passes with ✔. As root, docker run -it then gets the terminal itself.
func TestLearnOnATerminal(t *testing.T) {
	dir := t.TempDir()
	lessons := filepath.Join(dir, "lessons")
	os.MkdirAll(lessons, 0o755)
	if err := os.WriteFile(filepath.Join(lessons, "ptydemo.yaml"), []byte(ptyLesson), 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("dockling", "learn", "--lessons", lessons, "ptydemo")
	c.Dir = dir
	c.Env = append(os.Environ(), "DOCKLING_ROOT="+filepath.Join(dir, "root"), "TERM=xterm", "NO_COLOR=")
	ptm, scr, exited := startOnPty(t, c, 100)

	at := scr.waitFor(t, 0, "Which one is the template?")
	at = scr.waitFor(t, at, "an image")
	ptm.WriteString("\x1b[B") // down to "an image"
	time.Sleep(100 * time.Millisecond)
	ptm.WriteString("\r")
	at = scr.waitFor(t, at, "Right")
	at = scr.waitFor(t, at, "List the images")
	at = scr.waitFor(t, at, "$ ")
	ptm.WriteString("docker ima\x03")
	at = scr.waitFor(t, at, "$ ")
	// Ctrl-C stops a running line; the prompt comes back on a line of its own.
	ptm.WriteString("sleep 30; echo after\r")
	time.Sleep(500 * time.Millisecond)
	ptm.WriteString("\x03")
	at = scr.waitFor(t, at, "$ ")
	if out := scr.String(); !regexp.MustCompile(`\^C\r?\n`).MatchString(out[:at]) || strings.Contains(out, "\nafter") {
		t.Errorf("after Ctrl-C the prompt is on the ^C line, or the line went on:\n%q", out)
	}
	ptm.WriteString("docker images\r")
	at = scr.waitFor(t, at, "REPOSITORY")
	at = scr.waitFor(t, at, "✔")
	at = scr.waitFor(t, at, "You finished")
	at = scr.waitFor(t, at, "$ ")
	if os.Geteuid() == 0 {
		// An interactive container gets the terminal itself, and the prompt comes
		// back when its shell exits.
		ptm.WriteString("docker run -it --name tty busybox sh\r")
		at = scr.waitFor(t, at, "# ")
		ptm.WriteString("test -t 0 && echo in-$((6*7))\r")
		at = scr.waitFor(t, at, "in-42")
		ptm.WriteString("exit\r")
		at = scr.waitFor(t, at, "ptydemo ✔")
		scr.waitFor(t, at, "$ ")
	}
	ptm.WriteString("quit\r")
	waitEnd(t, exited, scr)
	// On a terminal, without NO_COLOR, the session is in colour.
	if !regexp.MustCompile(`\x1b\[[0-9;]*[1-9][0-9;]*m`).MatchString(scr.String()) {
		t.Errorf("a terminal without NO_COLOR got no colour:\n%q", scr.String())
	}
	journal, err := os.ReadFile(filepath.Join(dir, "root", "sandboxes", "ptydemo", "journal.jsonl"))
	if err != nil || !strings.Contains(string(journal), `"line":"docker images"`) {
		t.Errorf("journal (%v):\n%s", err, journal)
	}
	progress, err := os.ReadFile(filepath.Join(dir, "root", "progress", "ptydemo.json"))
	if err != nil || !strings.Contains(string(progress), `"done": true`) {
		t.Errorf("progress (%v):\n%s", err, progress)
	}
}

// TestMenuAfterQuit: quit in a lesson picked from the menu comes back to the menu,
// saying so, and Ctrl-C there ends dockling.
func TestMenuAfterQuit(t *testing.T) {
	dir := t.TempDir()
	lessons := filepath.Join(dir, "lessons")
	os.MkdirAll(lessons, 0o755)
	if err := os.WriteFile(filepath.Join(lessons, "ptydemo.yaml"), []byte(ptyLesson), 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("dockling", "learn", "--lessons", lessons)
	c.Dir = dir
	c.Env = append(os.Environ(), "DOCKLING_ROOT="+filepath.Join(dir, "root"), "TERM=xterm", "NO_COLOR=1")
	ptm, scr, exited := startOnPty(t, c, 100)
	at := scr.waitFor(t, 0, "Pick a lesson")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("ptydemo") // the menu's filter: the embedded lessons come first
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\r")
	at = scr.waitFor(t, at, "Which one is the template?")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x03") // leave the question for the prompt
	at = scr.waitFor(t, at, "$ ")
	ptm.WriteString("quit\r")
	at = scr.waitFor(t, at, "Back at the lessons")
	at = scr.waitFor(t, at, "Pick a lesson")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x03")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("dockling learn: %v\n%s", err, scr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Ctrl-C in the menu did not end dockling:\n%s", scr.String())
	}
	_ = at
}

// startOnPty starts c on a pseudo-terminal 40 rows by cols (the test skips without
// one) and collects what it prints. exited gets c's end; when the test ends, c is
// stopped if it still runs (SIGTERM, then killed after 5 s) and the terminal closed.
func startOnPty(t *testing.T, c *exec.Cmd, cols uint16) (ptm *os.File, scr *ptyScreen, exited chan error) {
	t.Helper()
	ptm, err := pty.StartWithSize(c, &pty.Winsize{Rows: 40, Cols: cols})
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	scr = &ptyScreen{}
	go func() { _, _ = ptm.WriteTo(scr) }()
	exited = make(chan error, 1)
	go func() { exited <- c.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-exited:
			exited <- err
			return
		default:
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			exited <- err
		case <-time.After(5 * time.Second):
			c.Process.Kill()
		}
	})
	return ptm, scr, exited
}

// TestMenuAfterCtrlC: Ctrl-C during a command of a lesson picked from the menu
// stops the command only: quit then comes back to the menu. After watching, Ctrl-C
// stops watching and comes back to the menu too. Either way the lesson is resumed
// with the --lessons folder it was loaded from.
func TestMenuAfterCtrlC(t *testing.T) {
	for _, watch := range []bool{false, true} {
		t.Run(map[bool]string{false: "prompt", true: "watch"}[watch], func(t *testing.T) {
			dir := t.TempDir()
			lessons := filepath.Join(dir, "lessons")
			os.MkdirAll(lessons, 0o755)
			if err := os.WriteFile(filepath.Join(lessons, "ptydemo.yaml"), []byte(ptyLesson), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"learn", "--lessons", lessons}
			if watch {
				args = append(args, "--watch")
			}
			c := exec.Command("dockling", args...)
			c.Dir = dir
			c.Env = append(os.Environ(), "DOCKLING_ROOT="+filepath.Join(dir, "root"), "TERM=xterm", "NO_COLOR=1")
			ptm, scr, exited := startOnPty(t, c, 200)
			at := scr.waitFor(t, 0, "Pick a lesson")
			time.Sleep(200 * time.Millisecond)
			ptm.WriteString("ptydemo")
			time.Sleep(200 * time.Millisecond)
			ptm.WriteString("\r")
			at = scr.waitFor(t, at, "Which one is the template?")
			time.Sleep(200 * time.Millisecond)
			ptm.WriteString("\x03") // leave the question
			if watch {
				// The watcher asks the question once more when it first looks.
				at = scr.waitFor(t, at, "Which one is the template?")
				time.Sleep(200 * time.Millisecond)
				ptm.WriteString("\x03")
				at = scr.waitFor(t, at, "(Type check to answer the question.)")
				time.Sleep(300 * time.Millisecond)
				ptm.WriteString("\x03") // stop watching
			} else {
				at = scr.waitFor(t, at, "$ ")
				ptm.WriteString("sleep 30 && echo $((6*7))x\r")
				time.Sleep(500 * time.Millisecond)
				ptm.WriteString("\x03")
				at = scr.waitFor(t, at, "$ ")
				ptm.WriteString("quit\r")
			}
			at = scr.waitFor(t, at, "Come back with: dockling learn "+map[bool]string{true: "--watch "}[watch]+"--lessons "+lessons+" ptydemo")
			at = scr.waitFor(t, at, "Back at the lessons")
			scr.waitFor(t, at, "Pick a lesson")
			time.Sleep(200 * time.Millisecond)
			ptm.WriteString("\x03")
			waitEnd(t, exited, scr)
			if strings.Contains(scr.String(), "42x") {
				t.Errorf("Ctrl-C did not stop the command:\n%s", scr.String())
			}
		})
	}
}

package cmd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLectureOnATerminal drives the embedded images-vs-containers lesson from its
// first step to its end on a pty, as a learner types it: the container's own shell
// through docker run -it (the file is made there), exit, a second container without
// it, start and attach (the first container's name completed with Tab) and the file
// seen again, then the quiz with the arrow keys.
func TestLectureOnATerminal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the lesson runs containers")
	}
	root, ptm, scr, exited := startLecture(t)
	at := 0
	typed := func(line string, wants ...string) { t.Helper(); typeAt(t, ptm, scr, &at, "$ ", line, wants...) }
	// In a container's shell: wait for its prompt (bash as root ends it in "# ").
	inside := func(line string, wants ...string) { t.Helper(); typeAt(t, ptm, scr, &at, "# ", line, wants...) }

	typed("docker images", "IMAGE ID", "✔ you ran `docker images`", "Step 1 done")
	typed("docker run hello-world", "Hello", "Step 2 done")
	typed("docker ps -a", "Exited (0)", "Step 3 done")
	typed("docker info", "Docker Root Dir", "Step 4 done")
	typed(`cat "$(docker info | sed -n 's/^ Docker Root Dir: //p')/image/overlay2/imagedb/content/sha256/$(docker images -q --no-trunc ubuntu | cut -d: -f2)"`,
		"created_by", "Step 5 done")
	typed("docker inspect ubuntu", "Step 6 done")

	typed("docker run -it ubuntu bash")
	inside("test -t 0 && mkdir -p /home/awesome && cd /home/awesome")
	inside(`echo "This only exists in this container" > container.txt`)
	inside("cat container.txt | tr a-z A-Z", "THIS ONLY EXISTS")
	inside("exit", "Step 7 done")

	typed("docker run -it ubuntu bash")
	inside("ls -A /home | wc -l", "0")
	inside("exit", "Step 8 done")
	typed("docker ps -a", "NAMES", "Step 9 done")

	// The Try line names the first container; Tab completes it from its start.
	at = scr.waitFor(t, at, "Try: docker start ")
	m := regexp.MustCompile(`^[a-z]+_[a-z]+`).FindString(scr.String()[at:])
	if m == "" {
		t.Fatalf("no container name after Try:\n%s", scr.String()[at:])
	}
	typed("docker start "+m[:len(m)-3]+"\t", m, "Step 10 done")

	typed("docker attach " + m)
	time.Sleep(300 * time.Millisecond)
	ptm.WriteString("\r")
	inside("cat /home/*/container.txt | tr a-z A-Z", "THIS ONLY EXISTS IN THIS CONTAINER")
	inside("exit", "Step 11 done")

	at = scr.waitFor(t, at, "Why is the hello-world image")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x1b[B")
	time.Sleep(100 * time.Millisecond)
	ptm.WriteString("\r")
	at = scr.waitFor(t, at, "Right")
	at = scr.waitFor(t, at, "Which other containers have it?")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x1b[B\x1b[B")
	time.Sleep(100 * time.Millisecond)
	ptm.WriteString("\r")
	at = scr.waitFor(t, at, "You finished")
	typed("quit")
	waitEnd(t, exited, scr)
	if out := scr.String(); regexp.MustCompile(`\x1b\[[0-9;]*[1-9][0-9;]*m`).MatchString(out) {
		t.Errorf("NO_COLOR is set, yet the session coloured its text:\n%q", out)
	}
	progress, err := os.ReadFile(filepath.Join(root, "progress", "images-vs-containers.json"))
	if err != nil || !strings.Contains(string(progress), `"done": true`) || strings.Contains(string(progress), `"skipped": [`) {
		t.Errorf("progress (%v):\n%s", err, progress)
	}
}

// TestWatchTakesGuideWords: learn --watch on a terminal reads the guide's words
// typed into it (there is no prompt): skip moves on, hint gives the step's hint, quit
// leaves with the progress saved.
func TestWatchTakesGuideWords(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	c := exec.Command("dockling", "learn", "--watch", "--lessons", filepath.Join(dir, "lessons"), "words")
	if err := os.MkdirAll(filepath.Join(dir, "lessons"), 0o755); err != nil {
		t.Fatal(err)
	}
	const lesson = `id: words
title: Words
steps:
  - id: one
    title: First
    text: Do the first thing.
    solution: echo one
    checks:
      - ran: {command: '^echo one'}
  - id: two
    title: Second
    text: Do the second thing.
    hints: [Echo the word two.]
    solution: echo two
    checks:
      - ran: {command: '^echo two'}
`
	if err := os.WriteFile(filepath.Join(dir, "lessons", "words.yaml"), []byte(lesson), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Env = append(os.Environ(), "DOCKLING_ROOT="+root, "TERM=xterm", "NO_COLOR=1")
	ptm, scr, exited := startOnPty(t, c, 100)
	at := scr.waitFor(t, 0, "Do the first thing.")
	ptm.WriteString("skip\r")
	at = scr.waitFor(t, at, "Skipped step 1.")
	at = scr.waitFor(t, at, "Do the second thing.")
	ptm.WriteString("hint\r")
	at = scr.waitFor(t, at, "Echo the word two.")
	ptm.WriteString("ls\r")
	at = scr.waitFor(t, at, "only the guide's words work")
	ptm.WriteString("quit\r")
	scr.waitFor(t, at, "Progress saved")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("dockling learn --watch: %v\n%s", err, scr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dockling learn --watch did not end on quit:\n%s", scr.String())
	}
	progress, err := os.ReadFile(filepath.Join(root, "progress", "words.json"))
	if err != nil || !strings.Contains(string(progress), `"step_id": "two"`) {
		t.Errorf("progress (%v):\n%s", err, progress)
	}
}

// TestLectureInTheLecturesOrder types the lecture as the lecture types it: docker ps
// before docker ps -a, the data root explored with ls and cd (/var/lib/docker where
// the guided shell has it), the image's JSON through python3 -m json.tool, then the
// containers. The tutor follows: steps done out of turn are marked done, the data-
// root step stays open (the current step) until it is done, and no step is nagged
// after a command that was no attempt at it.
func TestLectureInTheLecturesOrder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the lesson runs containers")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3, as the lecture does")
	}
	root, ptm, scr, exited := startLecture(t)
	const nag = "✘ Run `docker info` and find the Docker Root Dir line."
	at := 0
	// typed types a line at the session's prompt and returns what the session said
	// up to its next prompt.
	typed := func(line string, wants ...string) string {
		t.Helper()
		from := scr.waitFor(t, at, "$ ")
		typeAt(t, ptm, scr, &at, "$ ", line, wants...)
		end := scr.waitFor(t, at, "images-vs-containers ")
		return scr.String()[from:end]
	}
	// start types a line that takes the terminal (a container's shell).
	start := func(line string) { t.Helper(); typeAt(t, ptm, scr, &at, "$ ", line) }
	inside := func(line string, wants ...string) { t.Helper(); typeAt(t, ptm, scr, &at, "# ", line, wants...) }
	// quiet: a command that is no attempt at the open data-root step says nothing of it.
	quiet := func(line string, wants ...string) {
		t.Helper()
		if out := typed(line, wants...); strings.Contains(out, nag) {
			t.Errorf("%q nagged about the data-root step:\n%s", line, out)
		}
	}

	quiet("docker images", "Step 1 done")
	quiet("docker run hello-world", "Step 2 done")
	if out := typed("docker ps", "`docker ps` alone hides stopped containers"); strings.Count(out, "✘") != 1 {
		t.Errorf("docker ps: want one ✘:\n%s", out)
	}
	quiet("docker ps -a", "Step 3 done")
	// The lecture becomes root and looks at /var/lib/docker. Where the guided shell
	// has the data root there, that does step 4; elsewhere the failed ls is one
	// attempt at it, and the learner finds the data root through docker info.
	out := typed("ls /var/lib/docker")
	dataRootThere := strings.Contains(out, "overlay2")
	switch {
	case dataRootThere && !strings.Contains(out, "Step 4 done"):
		t.Errorf("ls /var/lib/docker did not do the data-root step:\n%s", out)
	case !dataRootThere && strings.Count(out, nag) != 1:
		t.Errorf("ls /var/lib/docker failed: want the data-root step's ✘ once:\n%s", out)
	}
	if dataRootThere {
		quiet("cd /var/lib/docker")
	} else {
		quiet(`cd "$(docker info 2>/dev/null | sed -n 's/^ Docker Root Dir: //p')"`)
	}
	quiet("ls")
	quiet("cd image/overlay2/imagedb/content/sha256")
	quiet("ls")
	quiet("cat $(ls | head -n 1) | python3 -m json.tool", "created_by", "Step 5 done")
	quiet("cd", "")
	quiet("docker inspect ubuntu", "Step 6 done")

	start("docker run -it ubuntu bash")
	inside("cd /home")
	inside("ls")
	inside("mkdir awesome")
	inside("cd awesome")
	inside(`echo "This only exists in this container" > container.txt`)
	inside("cat container.txt | tr a-z A-Z", "THIS ONLY EXISTS")
	inside("exit", "Step 7 done")
	quiet("docker ps")
	start("docker run -it ubuntu bash")
	inside("ls -A /home && echo listed", "listed")
	inside("exit", "Step 8 done")
	quiet("docker ps -a", "NAMES", "Step 9 done")

	progress, err := os.ReadFile(filepath.Join(root, "progress", "images-vs-containers.json"))
	name := regexp.MustCompile(`"marked": \{[^}]*"name": "([^"]+)"`).FindSubmatch(progress)
	if err != nil || name == nil {
		t.Fatalf("no container bound as marked (%v):\n%s", err, progress)
	}
	quiet("docker start "+string(name[1]), "Step 10 done")
	start("docker attach " + string(name[1]))
	time.Sleep(300 * time.Millisecond)
	ptm.WriteString("\r")
	inside("cat /home/awesome/container.txt | tr a-z A-Z", "THIS ONLY EXISTS IN THIS CONTAINER")
	inside("exit", "Step 11 done")
	if !dataRootThere {
		// The first step still open is the current one: the data-root step.
		at = scr.waitFor(t, at, `Still open before it: step 4, "Where it all lives". You are at step 4.`)
		start("docker info") // the quiz follows, not a prompt
		at = scr.waitFor(t, at, "Step 4 done")
	}
	at = scr.waitFor(t, at, "Why is the hello-world image")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x1b[B\r")
	at = scr.waitFor(t, at, "Which other containers have it?")
	time.Sleep(200 * time.Millisecond)
	ptm.WriteString("\x1b[B\x1b[B\r")
	at = scr.waitFor(t, at, "You finished")
	ptm.WriteString("quit\r")
	waitEnd(t, exited, scr)
	if n := strings.Count(scr.String(), "✘"); n > 3 {
		t.Errorf("%d ✘ in the whole lecture, want at most 3 (docker ps, the failed ls, the docker ps before step 9):\n%s", n, scr.String())
	}
}

// startLecture starts dockling learn images-vs-containers on a pty, with the
// stand-in ubuntu made first so no pull is tried; it returns the data root.
func startLecture(t *testing.T) (root string, ptm *os.File, scr *ptyScreen, exited chan error) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "root")
	env := append(os.Environ(), "DOCKLING_ROOT="+root, "TERM=xterm", "NO_COLOR=1", "PS1=$ ")
	standin := exec.Command("dockling", "--sandbox", "images-vs-containers", "standin", "ubuntu")
	standin.Env = env
	if out, err := standin.CombinedOutput(); err != nil {
		t.Fatalf("dockling standin ubuntu: %v\n%s", err, out)
	}
	t.Cleanup(func() { removeAllContainers(root) })
	c := exec.Command("dockling", "learn", "images-vs-containers")
	c.Dir = dir
	c.Env = env
	ptm, scr, exited = startOnPty(t, c, 120)
	return root, ptm, scr, exited
}

// waitEnd waits for dockling to end (on quit) with exit status 0.
func waitEnd(t *testing.T, exited chan error, scr *ptyScreen) {
	t.Helper()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("dockling learn: %v\n%s", err, scr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dockling learn did not end on quit:\n%s", scr.String())
	}
}

// typeAt waits for prompt after *at, types line and waits for each of wants.
func typeAt(t *testing.T, ptm *os.File, scr *ptyScreen, at *int, prompt, line string, wants ...string) {
	t.Helper()
	*at = scr.waitFor(t, *at, prompt)
	ptm.WriteString(line + "\r")
	for _, w := range wants {
		*at = scr.waitFor(t, *at, w)
	}
}

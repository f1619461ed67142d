package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// WatchInterval is how often Watch looks at the sandbox.
const WatchInterval = 300 * time.Millisecond

// Watch is the session without a prompt, for learners who type in their own
// terminal: it shows the step and checks it whenever the sandbox's journal or store
// changes, moving on when it passes, until the lesson is done or ctx ends. Quiz
// questions are still asked here. A step that is only read is shown and left at once.
func (s *Session) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = WatchInterval
	}
	s.start(ctx, true)
	// The first look checks at once: the learner may have done the step already.
	last := ""
	shown := ""
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for !s.p.Done && ctx.Err() == nil {
			// Steps with nothing to check (or a quiz answered just now) move on by themselves.
			st := s.steps[s.p.Step]
			if st.Quiz != nil || st.Checks > 0 {
				break
			}
			s.pass(ctx)
		}
		if s.p.Done {
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(s.out)
			s.leave()
			return nil
		case <-t.C:
		}
		if line, ok := s.typed(); ok {
			if s.watchWord(ctx, line) {
				s.leave()
				return nil
			}
			// A guide word may have moved to another step: check it afresh.
			last, shown = "", ""
			continue
		}
		fp := fingerprint(s.cfg.Sandbox.Dir())
		if fp == last {
			continue
		}
		last = fp
		st := s.steps[s.p.Step]
		if st.Quiz != nil {
			s.quiz(ctx)
			continue
		}
		out, err := s.cfg.Checker.Check(ctx, CheckRequest{Step: s.p.Step, Since: s.p.Since, Bindings: s.p.Bindings})
		if err != nil {
			s.warn("checking the step: " + err.Error())
			continue
		}
		// The same ✘ after every unrelated change is noise: say only what is new,
		// and nothing before the learner has done anything in the step.
		r := s.results(out, false)
		if !out.Passed() && s.p.Since == s.lastSeq() {
			continue
		}
		if r != shown || out.Passed() {
			fmt.Fprint(s.out, r)
			shown = r
		}
		if out.Passed() {
			for k, v := range out.Bindings {
				s.p.Bindings[k] = v
			}
			shown = ""
			s.pass(ctx)
		}
	}
}

// typed is a line the learner typed into the watcher's own terminal, if one is
// waiting. The terminal is in line mode, so a read returns one whole line; nothing
// reads it in between, so a quiz question (survey) still gets every key.
func (s *Session) typed() (string, bool) {
	in, ok := s.cfg.IO.In.(*os.File)
	if !ok || !s.cfg.IO.IsStdinTTY() || !readyNow(in) {
		return "", false
	}
	buf := make([]byte, 4096)
	n, err := in.Read(buf)
	if n == 0 || err != nil {
		return "", false
	}
	return strings.TrimSpace(string(buf[:n])), true
}

// watchWord acts on a guide word typed into the watcher; it reports whether the
// learner asked to leave.
func (s *Session) watchWord(ctx context.Context, line string) bool {
	if line == "" {
		if st := s.steps[s.p.Step]; !s.p.Done && st.Quiz == nil && st.Checks == 0 {
			s.pass(ctx)
		}
		return false
	}
	word, arg, ok := guideWord(line)
	if !ok {
		fmt.Fprintf(s.out, "Type the commands in your other terminal; here only the guide's words work: %s.\n", strings.Join(guideWordNames, ", "))
		return false
	}
	return s.guide(ctx, word, arg)
}

// fingerprint changes whenever the journal, a container's record or state, or the
// image store does. Container logs are left out: a chatty container would otherwise
// have its step re-checked every tick.
func fingerprint(dir string) string {
	var b strings.Builder
	add := func(p string) {
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	add(journal.Path(dir))
	add(filepath.Join(dir, "image", "overlay2", "repositories.json"))
	add(filepath.Join(dir, "image", "overlay2", "imagedb", "content", "sha256"))
	cdir := filepath.Join(dir, "containers")
	add(cdir)
	ids, _ := os.ReadDir(cdir)
	for _, id := range ids {
		files, _ := os.ReadDir(filepath.Join(cdir, id.Name()))
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), "-json.log") {
				add(filepath.Join(cdir, id.Name(), f.Name()))
			}
		}
	}
	return b.String()
}

// currentName is the file under the data root naming the lesson last started, which
// `dockling env` selects when no sandbox is named.
const currentName = "current"

// SetCurrent records lesson as the one being learned or watched.
func SetCurrent(dataRoot, lesson string) error {
	if err := os.MkdirAll(dataRoot, 0o700); err != nil {
		return fmt.Errorf("noting the current lesson: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dataRoot, currentName), []byte(lesson+"\n"), 0o644); err != nil {
		return fmt.Errorf("noting the current lesson: %w", err)
	}
	return nil
}

// Current is the lesson last started under dataRoot, "" when none was (or its
// record is not a usable name).
func Current(dataRoot string) string {
	b, err := os.ReadFile(filepath.Join(dataRoot, currentName))
	if err != nil {
		return ""
	}
	name := strings.TrimSpace(string(b))
	if _, err := sandbox.Dir(dataRoot, name); err != nil {
		return ""
	}
	return name
}

// NoRunner is the Runner of a watching session, which runs no lines itself: the
// learner types them in their own terminal.
type NoRunner struct{}

// Run refuses: nothing runs lines in a watching session.
func (NoRunner) Run(ctx context.Context, line string) (Result, error) {
	return Result{}, errors.New("running a line: a watching session runs none; type it in your own terminal")
}

// Dir is the current directory.
func (NoRunner) Dir() string { d, _ := os.Getwd(); return d }

// lastSeq is the journal's last entry, 0 when it cannot be read.
func (s *Session) lastSeq() int {
	seq, _, err := journal.Head(s.cfg.Sandbox.Dir())
	if err != nil {
		return 0
	}
	return seq
}

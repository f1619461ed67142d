package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
		// The same ✘ after every unrelated change is noise: say only what is new.
		if r := s.results(out); r != shown || out.Passed() {
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

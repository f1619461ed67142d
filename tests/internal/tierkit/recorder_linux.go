package tierkit

import (
	"fmt"
	"strings"
	"testing"
)

// Recorder takes one engine through the lecture's sequences: it runs each command,
// records what a learner sees (for the parity comparison) and checks what Docker
// does (the parity tier runs the same checks on Docker, which proves them).
type Recorder struct {
	T testing.TB
	E *Engine
	// Obs is every observation in order.
	Obs []Obs
	// Names maps generated container names to their roles, for Normalise.
	Names map[string]string
	// Deferred keeps failed checks in Failures instead of failing T at once: the
	// parity tier reports them once every engine has run the sequence, each next to
	// what the other engine printed for the same command (FailureReport).
	Deferred bool
	Failures []Failure
}

// NewRecorder starts recording e.
func NewRecorder(t testing.TB, e *Engine) *Recorder {
	return &Recorder{T: t, E: e, Names: map[string]string{}}
}

// Do runs a command and records it.
func (r *Recorder) Do(label string, kind Kind, args ...string) Result {
	r.T.Helper()
	res := r.E.Run(r.T, args...)
	r.Obs = append(r.Obs, Obs{Label: label, Cmd: res.Cmd(), Kind: kind, Stdout: res.Stdout, Stderr: res.Stderr, Code: res.Code})
	res.obs = len(r.Obs)
	return res
}

// Check reports (and goes on) when ok is false, naming the engine and the command
// and showing both of its outputs (deferred: see Recorder.Deferred).
func (r *Recorder) Check(res Result, ok bool, format string, args ...any) bool {
	r.T.Helper()
	if ok {
		return true
	}
	msg := fmt.Sprintf(format, args...)
	if r.Deferred && res.obs > 0 {
		r.Failures = append(r.Failures, Failure{Msg: msg, From: res.obs - 1, To: res.obs})
		return false
	}
	r.T.Errorf("%s\n%s", msg, res)
	return false
}

// Want checks a command's exit code and that its stdout (trailing newline trimmed)
// satisfies match.
func (r *Recorder) Want(res Result, code int, what string, match func(stdout string) bool) bool {
	r.T.Helper()
	return r.Check(res, res.Code == code && match(strings.TrimRight(res.Stdout, "\n")), "want exit %d and %s", code, what)
}

// Equals is a Want matcher for exact stdout.
func Equals(want string) func(string) bool { return func(s string) bool { return s == want } }

// Terminal starts an interactive docker command (run -it, attach) on a scripted
// terminal and waits until it has put the terminal in raw mode; EndTerminal records it.
func (r *Recorder) Terminal(args ...string) *Terminal {
	r.T.Helper()
	term := r.E.Terminal(r.T, args...)
	term.WaitRaw()
	return term
}

// EndTerminal records a finished terminal: each exchange (prompt, typed line and
// what it printed) as an observation, then the command's exit code.
func (r *Recorder) EndTerminal(label string, term *Terminal, code int) []Exchange {
	r.T.Helper()
	ex := term.Exchanges()
	term.obsFrom = len(r.Obs)
	for i, x := range ex {
		what := "before the first prompt"
		if i > 0 {
			what = "typed " + x.Line
		}
		r.Obs = append(r.Obs, Obs{Label: fmt.Sprintf("%s: terminal, %s", label, what), Cmd: term.Cmd(), Kind: Text, Stdout: x.Text(), Code: -1})
	}
	r.Obs = append(r.Obs, Obs{Label: label + ": terminal's exit code", Cmd: term.Cmd(), Kind: ExitCode, Code: code})
	term.obsTo = len(r.Obs)
	return ex
}

// CheckTerm reports (and goes on) when ok is false, showing the terminal (deferred:
// see Recorder.Deferred).
func (r *Recorder) CheckTerm(term *Terminal, ok bool, format string, args ...any) bool {
	r.T.Helper()
	if ok {
		return true
	}
	msg := fmt.Sprintf(format, args...)
	if r.Deferred && term.obsTo > 0 {
		r.Failures = append(r.Failures, Failure{Msg: msg, From: term.obsFrom, To: term.obsTo})
		return false
	}
	r.T.Errorf("%s\n[%s] $ %s\n--- terminal\n%s", msg, r.E.Name, term.Cmd(), term.Screen())
	return false
}

// Reset gives a scenario a known start without recording it: no containers and no
// images but the base ubuntu image.
func Reset(t testing.TB, e *Engine) {
	t.Helper()
	if err := removeAllContainers(t, e); err != nil {
		t.Fatal(err)
	}
	// Untagged images (a build's stages) go by ID, one at a time: one may already
	// have gone with the image built on it, and both engines say so with exit 1.
	const format = "{{.Repository}}:{{.Tag}} {{.ID}}"
	for _, line := range strings.Split(strings.TrimSpace(e.MustRun(t, "images", "--format", format).Stdout), "\n") {
		ref, id, _ := strings.Cut(line, " ")
		switch ref {
		case "", "ubuntu:latest":
		case "<none>:<none>":
			e.Run(t, "rmi", "-f", id)
		default:
			e.MustRun(t, "rmi", "-f", ref)
		}
	}
	if left := strings.TrimSpace(e.MustRun(t, "images", "--format", format).Stdout); strings.Contains(left, "\n") || (left != "" && !strings.HasPrefix(left, "ubuntu:latest ")) {
		t.Fatalf("[%s] images left after the reset:\n%s", e.Name, left)
	}
}

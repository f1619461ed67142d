// Package session runs one lesson as a guided session: it shows a step's text, reads
// the learner's lines at a prompt, runs each in a real shell whose "docker" is
// dockling acting on the lesson's own sandbox, journals it, and checks every step not
// yet passed whose prerequisites are (Step.Needs), so steps may be done out of order:
// ✔ for each step passed, ✘ only for a step the command was an attempt at. The
// current step is the first one still open. The guide's own words (hint, check,
// solution, skip, back, next, reset, progress, help, quit) are answered by the
// session itself. Progress is kept on disk after every step and resumed on the next
// start; Watch is the same without a prompt, for learners in their own terminal.
//
// The engine is written against small interfaces so tests drive it with scripted
// input and fakes: a Runner runs shell lines (Shell is the real one), a Checker checks
// a step (LessonChecker is the real one, over packages lessons and checker), a
// Sandbox captures and resets the lesson's sandbox (OpenSandbox), and a LineReader
// and a Prompter talk to the learner (NewConsole: a line editor and survey questions
// on a terminal, plain lines otherwise).
//
// API:
//   - model: Lesson, Step, Quiz, Image, Made; FromLesson (from a loaded
//     lessons.Lesson); UnboundWords (a binding not made yet, in words)
//   - checking: Checker, CheckFunc, CheckRequest, Outcome, CheckResult, Binding,
//     Bindings; LessonChecker
//   - running: Runner, Result; Shell, NewShell, ShellOptions, DockerBin, Interactive;
//     NoRunner (watching)
//   - sandbox: Sandbox, OpenSandbox
//   - talking: LineReader, Prompter, NewConsole, ErrInterrupted, Completer (Tab);
//     Render (Markdown)
//   - the session: Config, New, Session.Run, Session.Watch, WatchInterval,
//     Session.Progress
//   - progress: Progress, StepStart, LoadProgress, SaveProgress, ClearProgress,
//     ProgressPath; SetCurrent, Current (the lesson `dockling env` selects)
package session

import (
	"context"
)

// Lesson is what a session needs of a lesson.
type Lesson struct {
	ID, Title, Summary string
	Images             []Image
	Steps              []Step
	// Made says, for each as: name, what it binds and which step makes it, so a
	// text using a binding not made yet (its step skipped) can say so in words.
	Made map[string]Made
}

// Made is where a binding comes from.
type Made struct {
	Kind string // "container", "image", or "" when only known at check time
	Step int    // index into Steps
}

// Image is an image a lesson needs in its sandbox before the first step.
type Image struct {
	Ref string // "ubuntu", "hello-world:latest"
	// Standin is the built-in image that may stand in for Ref when it cannot be
	// pulled ("" when the lesson requires the real image).
	Standin string
	// Optional: the lesson can start without it.
	Optional bool
	// Missing tells the learner, in the lesson's words, how to get the image.
	Missing string
}

// Step is one step of a lesson.
type Step struct {
	ID, Title string
	// Text is Markdown; {{.NAME.Field}} is replaced from the bindings.
	Text     string
	Try      string // the command to try, shown under the text
	Hints    []string
	Solution string
	Wrong    []string // wrong answers the lesson expects: attempts at the step too
	Quiz     *Quiz
	// Checks is how many checks the step has; a step with none and no quiz is read
	// and then left with Enter.
	Checks int
	// Needs are the indexes of the steps that must be passed before this one is
	// checked out of turn (lessons.Lesson.Prerequisites).
	Needs []int
}

// Quiz is a multiple-choice question.
type Quiz struct {
	Question string
	Choices  []string
	Answer   int    // index into Choices
	Why      string // shown after a wrong answer
}

// Binding is what a check bound with as: (a container or an image); its JSON names
// match package checker's Object so progress files read the same either way.
type Binding struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	ShortID string `json:"short_id,omitempty"`
	Hex     string `json:"hex,omitempty"`
	Name    string `json:"name"`
	Image   string `json:"image,omitempty"`
}

// Bindings maps as: names to what they bound.
type Bindings map[string]Binding

// CheckRequest asks for one step to be checked.
type CheckRequest struct {
	Step     int      // index into Lesson.Steps
	Since    int      // journal seq of the last command before the step began
	Bindings Bindings // bound by earlier steps
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Label   string // the check, compact, e.g. "file /home/awesome/container.txt"
	Passed  bool
	Message string // what was expected and found, or what matched
	Fail    string // the lesson's own words for this failure, when it has some
	// Words is the check in plain words ("you ran `docker images`"); bindings not
	// made yet are left as templates for the session to put in words.
	Words string
	// Waiting: the check needs a binding no check has made yet, so it was not
	// looked at (it fails until the check that makes the binding passes).
	Waiting bool
}

// Outcome is the result of checking a step.
type Outcome struct {
	Results []CheckResult
	// Bindings are what the step's passing checks bound with as:.
	Bindings Bindings
}

// Passed reports whether every check passed (a step without checks passes).
func (o Outcome) Passed() bool {
	for _, r := range o.Results {
		if !r.Passed {
			return false
		}
	}
	return true
}

// Checker checks a step against the sandbox.
type Checker interface {
	Check(ctx context.Context, req CheckRequest) (Outcome, error)
}

// CheckFunc adapts a function to Checker.
type CheckFunc func(ctx context.Context, req CheckRequest) (Outcome, error)

// Check calls f.
func (f CheckFunc) Check(ctx context.Context, req CheckRequest) (Outcome, error) { return f(ctx, req) }

// Runner runs the learner's shell lines.
type Runner interface {
	// Run runs one line and reports how it ended. An error means the line could
	// not be run at all (no shell), not that the command failed.
	Run(ctx context.Context, line string) (Result, error)
	// Dir is the shell's current directory, for the prompt.
	Dir() string
}

// Result is how a line ended.
type Result struct {
	ExitCode int
	// Output is what the line printed, when it was captured (not for interactive
	// lines, whose terminal is handed straight through).
	Output string
}

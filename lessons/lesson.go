// Package lessons is the lesson model and its loading from YAML.
//
// A lesson file (see DESIGN.md, lesson.schema.json, and checker.Reference for the
// checks) is read by Load or LoadAll into a Lesson: its images, its steps, and each
// step's text, hints, reference solution, wrong answers and checks (checker.Entry).
// Every problem in a file is reported at once, as "file:line:col: message" lines of a
// *LoadError: malformed YAML, unknown fields, unknown check types or fields, steps
// without checks, duplicate IDs, bindings used before the step that makes them,
// template errors.
//
// Texts (text, try, hints, solution, wrong, fail) may use the bindings of earlier
// steps through templates; checker.Render fills them in.
//
// For running a lesson: EvaluateStep checks one step against a checker.View (LastSeq
// gives the journal position a step starts from); Grade checks a whole sandbox into a
// report.Report; AuthorTest proves, through a Runner (optionally a Snapshotter), that
// every step's checks fail before its solution, pass after it, and reject its wrong
// answers; MissingImages says which required images a sandbox lacks. Schema is the
// JSON Schema for editors; Parse reads a lesson from bytes. The guided session itself
// lives in lessons/session.
package lessons

import (
	_ "embed"
	"slices"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/internal/cmdline"
)

// Schema is lesson.schema.json: the JSON Schema (draft 2020-12) of lesson files, for
// editors.
//
//go:embed lesson.schema.json
var Schema []byte

// Lesson is one lesson file.
type Lesson struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Summary string `yaml:"summary"`
	// Order places the lesson in the list learners pick from (then ID).
	Order int `yaml:"order"`
	// Needs names what the lesson needs beyond dockling itself: "network" (it
	// downloads packages or images while it runs).
	Needs []string `yaml:"needs"`
	// Images are the images the lesson uses, made ready before it starts.
	Images []Image `yaml:"images"`
	Steps  []*Step `yaml:"steps"`

	File string `yaml:"-"` // where it was loaded from
	// SHA256 is the hex sha256 of the YAML it was loaded from: a bundle carries it,
	// so a grader tells when it grades against other text than the learner had.
	SHA256 string      `yaml:"-"`
	Pos    checker.Pos `yaml:"-"`
}

// Image is an image a lesson uses. The session makes it ready before the lesson
// starts: present already, else pulled, else (with Standin) the stand-in is built
// and announced; a required image that is still missing stops the lesson with the
// Missing text.
type Image struct {
	Ref string `yaml:"ref"` // "ubuntu", "ubuntu:24.04"
	// Standin is the built-in image (as in dockling standin --from) that stands in
	// for Ref when the real one cannot be had.
	Standin string `yaml:"standin"`
	// Require says the real image is needed. It defaults to true without a stand-in
	// and to false with one (a lesson cannot name a stand-in and require the real
	// image); require: false without a stand-in makes the image merely nice to have.
	Require bool `yaml:"require"`
	// Missing tells the learner, in the lesson's words, how to get the image when it
	// is missing and cannot be pulled (docker pull / docker load / docker import).
	Missing string `yaml:"missing"`

	Pos checker.Pos `yaml:"-"`
}

// Step is one step of a lesson.
type Step struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	Text  string `yaml:"text"` // Markdown
	Try   string `yaml:"try"`  // the command to suggest
	// Hints escalate: the first a nudge, the last close to the answer.
	Hints []string `yaml:"hints"`
	// Solution is the reference answer, shell lines run without a terminal by the
	// author test.
	Solution string `yaml:"solution"`
	// Wrong are answers (shell lines each) the checks must reject.
	Wrong  []string         `yaml:"wrong"`
	Checks []*checker.Entry `yaml:"checks"`
	// Grade (default true) counts the step when grading; false marks a practice step.
	Grade bool  `yaml:"grade"`
	Quiz  *Quiz `yaml:"quiz"`
	// Needs are the IDs of earlier steps that must be passed before this one is
	// checked (the session checks every open step after each command). nil: the
	// steps that make the bindings this step uses; an empty list: none.
	Needs []string `yaml:"needs"`

	Pos checker.Pos `yaml:"-"`

	textRefs []checker.Ref // bindings used by the step's texts
	// For Validate: where the solution and wrong answers were written, and the
	// image references in the checks' fields.
	scripts     []script
	checkImages []imageUse
	// brokenAs are the as: names of checks that did not decode: later uses of them
	// are not reported again (as unbound, or as images not listed).
	brokenAs []string
	needsAt  checker.Pos // where needs: was written
	// Where the solution and each wrong answer were written, for the author test.
	solutionAt checker.Pos
	wrongAt    []checker.Pos
}

// Quiz is a multiple-choice question; a quiz step has no checks.
type Quiz struct {
	Question string   `yaml:"question"`
	Choices  []string `yaml:"choices"`
	Answer   string   `yaml:"answer"` // the right choice, as written in Choices
	Why      string   `yaml:"why"`    // shown after answering
}

// AnswerIndex is the position of the right answer in Choices.
func (q *Quiz) AnswerIndex() int { return slices.Index(q.Choices, q.Answer) }

// Prerequisites are the IDs of the steps that must be passed before s is checked
// out of turn: its needs: when given, else the earlier steps whose checks first make
// a binding that s uses (in its checks or its texts).
func (l *Lesson) Prerequisites(s *Step) []string {
	if s.Needs != nil {
		return s.Needs
	}
	used := map[string]bool{}
	for _, r := range s.textRefs {
		used[r.Name] = true
	}
	for _, top := range s.Checks {
		for _, ent := range top.AllEntries() {
			for _, r := range ent.References() {
				used[r.Name] = true
			}
		}
	}
	var out []string
	made := map[string]bool{}
	for _, other := range l.Steps {
		if other == s {
			break
		}
		for _, top := range other.Checks {
			for _, ent := range top.AllEntries() {
				if ent.As == "" || made[ent.As] {
					continue
				}
				made[ent.As] = true
				if used[ent.As] && !slices.Contains(out, other.ID) {
					out = append(out, other.ID)
				}
			}
		}
	}
	return out
}

// Needs values a lesson may give.
const NeedNetwork = "network"

// Step finds a step by ID; nil when there is none.
func (l *Lesson) Step(id string) *Step {
	for _, s := range l.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// NeedsNetwork reports whether the lesson said it needs the network.
func (l *Lesson) NeedsNetwork() bool { return slices.Contains(l.Needs, NeedNetwork) }

// IsQuiz reports whether the step is a quiz.
func (s *Step) IsQuiz() bool { return s.Quiz != nil }

// StandinLabel marks an image built by dockling to stand in for another.
const StandinLabel = "org.dockling.standin"

// MissingImages lists the required images that may not be stood in for and are not
// among imgs (by tag; a stand-in tagged like the real image does not count), with
// what to tell the learner about each.
func (l *Lesson) MissingImages(imgs []checker.Image) []Image {
	var out []Image
	for _, need := range l.Images {
		if !need.Require {
			continue
		}
		if !hasImage(imgs, need.Ref) {
			out = append(out, need)
		}
	}
	return out
}

func hasImage(imgs []checker.Image, ref string) bool {
	want := cmdline.NormRef(ref)
	for _, img := range imgs {
		if _, standin := img.Labels[StandinLabel]; standin {
			continue
		}
		for _, t := range img.Tags {
			if cmdline.NormRef(t) == want {
				return true
			}
		}
	}
	return false
}

// Package checker decides whether a sandbox is in the state a lesson step expects.
//
// A lesson's check is written in YAML as an Entry: one check type (file, image, ran, …)
// plus the envelope fields as:, points: and fail:. DecodeEntry turns the YAML node into
// an Entry, reporting every problem at its line and column; Entry.Evaluate runs it
// against a View (a small read-only window on a sandbox, see package sandboxview for
// the real one and fakeview for tests) and returns a Result that says, when it fails,
// what was expected and what was found.
//
// Check types live in a registry (Types, Lookup, Register); each carries its own usage
// text, from which Reference writes the lesson author's reference.
//
// A passing entry with as: NAME binds what it matched (a container or an image) in
// Context.Bindings; later checks name it (container: NAME) and texts use it through Go
// templates ({{.NAME.Name}}, {{.NAME.ID}}, {{.NAME.ShortID}}; see Object).
//
// The API in brief: View and its plain structs (Container, Image, History, Change,
// Command, ExecRequest, ExecResult); Check, Binder, Referrer, Describer (a check in
// plain words), Context, Result,
// Object, Bindings; Entry, DecodeEntry, EvaluateAll, ValidateRefs; Text, ParseText,
// NewText, Render, UnboundError; Type, Register, Lookup, Types, EnvelopeFields,
// Reference; Pos, Error, Errors, Problems, Ref, Kind.
//
// A check that cannot read the sandbox fails with Result.Error set (a grader's "bad
// input"); one that names a binding no earlier check made simply fails.
package checker

import (
	"errors"
	"fmt"
	"maps"
	"time"
)

// Check is one condition on a sandbox.
type Check interface {
	// Evaluate looks at ctx.View and says whether the condition holds. It reads
	// ctx.Bindings but never changes them (Entry.Evaluate does that).
	Evaluate(ctx *Context) Result
}

// Binder is implemented by checks that can bind what they matched with as:.
type Binder interface {
	// Binds is what a passing evaluation binds; "" when it binds nothing.
	Binds() Kind
}

// Referrer is implemented by checks that name bindings, directly (container: marked)
// or in templates ({{.marked.Name}}), so a lesson can be rejected when it uses a
// binding before the step that makes it.
type Referrer interface {
	References() []Ref
}

// Kind is what a binding holds.
type Kind string

// The kinds of bindings. KindAny is for a binding whose kind is only known when the
// check runs (as: on an any: list whose branches bind different kinds).
const (
	KindContainer Kind = "container"
	KindImage     Kind = "image"
	KindAny       Kind = "container or image"
)

// Ref is a binding named by a check.
type Ref struct {
	Name string
	Pos  Pos
	// Kind is what the check needs the binding to be ("" for a template, which takes
	// either).
	Kind Kind
	// Template is set for {{.Name.Field}} uses, which must name a binding; a selector
	// such as container: marked may also be a container's own name, so it is an
	// error only when the lesson binds that name later.
	Template bool
}

// Object is what a binding holds: a container or an image, as templates see it.
type Object struct {
	Kind    Kind   `json:"kind"`
	ID      string `json:"id"`       // full ID (images: "sha256:…")
	ShortID string `json:"short_id"` // the 12 digits docker ps and docker images show
	Hex     string `json:"hex"`      // the ID without "sha256:", as in the data root's file names
	Name    string `json:"name"`     // container: its name; image: its first tag, else the short ID
	Image   string `json:"image"`    // container: the image as typed at create; image: as Name
}

// objectFields are the fields templates may use, for load-time checking.
var objectFields = []string{"ID", "ShortID", "Hex", "Name", "Image", "Kind"}

// Bindings maps as: names to what they bound.
type Bindings map[string]Object

// Clone copies b (nil stays an empty map).
func (b Bindings) Clone() Bindings {
	out := Bindings{}
	maps.Copy(out, b)
	return out
}

// Context is what checks see: the sandbox, the bindings so far, and where the current
// step's commands start in the journal.
type Context struct {
	View     View
	Bindings Bindings
	// Since is the Seq of the last journal entry before the current step: ran and
	// output checks look only at later commands, so a command typed for an earlier
	// step does not pass this one. 0 means the whole journal.
	Since int
	// ExecTimeout bounds each exec check's command; 0 means 30 seconds.
	ExecTimeout time.Duration
}

// Result is the outcome of one check.
type Result struct {
	Type    string `json:"type"`    // check type, e.g. "file"
	Label   string `json:"check"`   // the check as written, compact
	Passed  bool   `json:"passed"`  //
	Message string `json:"message"` // on failure: expected … ; found …; on success what matched
	// Fail is the lesson's own words for this failure (its fail: text), rendered.
	Fail string `json:"fail,omitempty"`
	// Error is set when the sandbox could not be read, so the check could not be
	// decided (it then counts as failed).
	Error     string  `json:"error,omitempty"`
	Points    int     `json:"points"`
	MaxPoints int     `json:"max_points"`
	Bound     *Object `json:"bound,omitempty"` // what matched, for as:
	// Words is the check in plain words (Entry.Describe), for the guided session.
	Words string `json:"-"`
	// Waiting names the binding this check needs and no earlier check made: it
	// was not looked at, so the session can leave it unsaid while that one fails.
	Waiting string `json:"-"`

	// binds are the bindings made by entries nested in all:, added to the
	// context when the whole check passes.
	binds Bindings
}

func pass(msg string, bound *Object) Result { return Result{Passed: true, Message: msg, Bound: bound} }
func fail(msg string) Result                { return Result{Message: msg} }

// broken is the result of a check that could not read the sandbox. A binding that an
// earlier check never made is no such trouble: the check then simply fails.
func broken(what string, err error) Result {
	var ue *UnboundError
	if errors.As(err, &ue) {
		return Result{Message: fmt.Sprintf("this check needs %s, which an earlier check binds with as: %s when it passes; it has not passed yet", ue.Name, ue.Name)}
	}
	return Result{Message: "could not " + what + ": " + err.Error(), Error: err.Error()}
}

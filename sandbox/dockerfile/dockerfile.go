// Package dockerfile reads Dockerfiles with BuildKit's own parser
// (github.com/moby/buildkit/frontend/dockerfile), so that `docker build` and the
// `--change` of commit and import read text exactly as Docker does: parser
// directives (escape, syntax), comments, line continuations and heredocs.
//
// Parse turns text into Instructions; each one becomes BuildKit's typed command
// with Command, and a whole file its build stages with Stages. An Expander
// expands $VAR, ${VAR:-word} and the rest with BuildKit's shell lexer, and a
// Dispatcher applies the instructions that only change an image's config (CMD,
// ENV, EXPOSE, ...) as Docker's builder does. Nothing here runs anything.
package dockerfile

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// File is a parsed Dockerfile.
type File struct {
	// Escape is the escape character: \ unless a `# escape=` directive chose `.
	Escape rune
	// Instructions in the order written.
	Instructions []Instruction
	// Warnings are what BuildKit's parser warns about (empty continuation lines).
	Warnings []string

	root *parser.Node
}

// Instruction is one instruction of a Dockerfile, not yet checked.
type Instruction struct {
	// Keyword is the instruction's name as written ("RUN", "run").
	Keyword string
	// Line and EndLine are where it stands, from 1.
	Line, EndLine int
	// Original is its text with continuations joined.
	Original string

	node *parser.Node
}

// Error is bad Dockerfile text and the line it is on.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("dockerfile parse error on line %d: %v", e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Parse reads Dockerfile text.
func Parse(r io.Reader) (*File, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, located(err, 0)
	}
	f := &File{Escape: res.EscapeToken, root: res.AST}
	for _, w := range res.Warnings {
		f.Warnings = append(f.Warnings, w.Short)
	}
	for _, n := range res.AST.Children {
		f.Instructions = append(f.Instructions, Instruction{
			Keyword: n.Value, Line: n.StartLine, EndLine: n.EndLine, Original: n.Original, node: n,
		})
	}
	return f, nil
}

// ParseString reads Dockerfile text from a string.
func ParseString(text string) (*File, error) { return Parse(strings.NewReader(text)) }

// Command is the instruction as BuildKit's typed command (*instructions.EnvCommand,
// *instructions.CmdCommand, ...), its arguments and flags checked, variables not
// yet expanded. FROM is not a command: it starts a stage (see File.Stages).
func (in Instruction) Command() (instructions.Command, error) {
	cmd, err := instructions.ParseCommand(in.node)
	if err != nil {
		return nil, located(err, in.Line)
	}
	return cmd, nil
}

// Stages is the file as build stages, and the ARGs before the first FROM.
func (f *File) Stages() ([]instructions.Stage, []instructions.ArgCommand, error) {
	stages, args, err := instructions.Parse(f.root, nil)
	if err != nil {
		return nil, nil, located(err, 0)
	}
	return stages, args, nil
}

// located is err as an *Error on the line BuildKit gave it, else on line.
func located(err error, line int) error {
	inner := err
	var le *parser.LocationError
	if errors.As(err, &le) {
		inner = le.Unwrap()
		if len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
			line = le.Locations[0][0].Start.Line
		}
	}
	return &Error{Line: max(line, 1), Err: inner}
}

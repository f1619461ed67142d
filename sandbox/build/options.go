// Package build builds images from Dockerfiles as Docker's classic builder does,
// daemonless: each instruction is one image on top of the one before it; RUN is
// a container (created, started, waited for, committed and removed, confined as
// `docker run` confines it), COPY and ADD write their files as a layer tar read
// from the context folder, and the instructions that only change the config go
// through dockerfile.Dispatcher. Progress is written in BuildKit's shape
// ("#5 [2/4] RUN ...") or the classic builder's ("Step 1/5 : FROM busybox").
package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Options are what `docker build` takes.
type Options struct {
	// ContextDir is the build context, a folder.
	ContextDir string
	// Dockerfile is the Dockerfile's path; "" is Dockerfile in the context.
	Dockerfile string
	// Tags name the result (REPOSITORY[:TAG]).
	Tags []string
	// BuildArgs are --build-arg values: "KEY=VALUE", or "KEY" to take the value
	// from this process's environment.
	BuildArgs []string
	// Labels are --label values ("KEY=VALUE").
	Labels []string
	// Target is the stage to stop after ("": the last one).
	Target string
	// NoCache builds every step again, ignoring what earlier builds made.
	NoCache bool
	// Quiet writes nothing but a failing step's output.
	Quiet bool
	// Progress is the style of the progress: the classic builder's, written to
	// Out, or BuildKit's plain one, written to Err.
	Progress Progress
	// Out gets the classic progress and the RUN steps' output; Err gets
	// warnings and BuildKit's progress.
	Out, Err io.Writer
	// MaxDownload is the most bytes ADD takes from one URL (0: DefaultMaxDownload).
	MaxDownload int64
	// Context, when it ends, stops the build (the running step's container is
	// removed).
	Context context.Context
}

// DefaultMaxDownload is the most ADD takes from one URL: 1 GiB, more than any
// lesson's file, less than a hostile endless body could fill.
const DefaultMaxDownload = 1 << 30

// Errors a build reports.
var (
	// ErrOutsideContext: a COPY or ADD source leaves the build context.
	ErrOutsideContext = errors.New("forbidden path outside the build context")
	// ErrNotSupported: an instruction or flag dockling's builder does not do yet.
	ErrNotSupported = errors.New("not supported by dockling's builder")
)

// RunError is a RUN step that failed; Code is its exit code, which `docker
// build` exits with.
type RunError struct {
	Cmd  []string
	Code int
	// Excerpt is the Dockerfile's lines around the RUN, as BuildKit shows them.
	Excerpt string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(e.Cmd, " "), e.Code)
}

// Process is the failure in BuildKit's words.
func (e *RunError) Process() string {
	return fmt.Sprintf("process %q did not complete successfully: exit code: %d", strings.Join(e.Cmd, " "), e.Code)
}

// SyntaxError is a Dockerfile that does not parse, shown as BuildKit shows it:
// the file and line, the lines around it, and the parser's words.
type SyntaxError struct {
	Name  string   // "Dockerfile"
	Line  int      // from 1
	Lines []string // the file's text, by line
	Err   error
}

func (e *SyntaxError) Error() string {
	return excerpt(e.Name, e.Line, e.Lines) + fmt.Sprintf("ERROR: dockerfile parse error on line %d: %v", e.Line, e.Err)
}

// excerpt is the Dockerfile's lines around line, the line marked, as BuildKit
// shows where something went wrong.
func excerpt(name string, line int, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d\n--------------------\n", name, line)
	for n := max(1, line-2); n <= min(len(lines), line+2); n++ {
		mark := "    "
		if n == line {
			mark = ">>> "
		}
		fmt.Fprintf(&b, "%4d | %s%s\n", n, mark, lines[n-1])
	}
	b.WriteString("--------------------\n")
	return b.String()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

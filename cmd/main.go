package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dockling/dockling/internal/cmdline"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// Exit codes. Docker's CLI uses 125 when the docker command itself fails (bad flags,
// bad input); dockling's own commands use 2 for bad input.
const (
	exitOK       = 0
	exitError    = 1
	exitBadInput = 2
	exitDocker   = 125
)

// ExitError ends the program with Code after printing nothing more (the command
// already said what it had to).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// FlagError is a usage mistake: unknown flag, wrong number of arguments.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// Main runs the command line and returns the process exit code.
func Main() int {
	ios := iostreams.System()
	f := NewFactory(ios)
	var root *cobra.Command
	if strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == "docker" {
		// Installed as "docker": the docker verbs are the whole program.
		root = NewDockerCmd(f, os.Args[1:])
		addGlobalFlags(root, f)
	} else {
		root = NewRootCmd(f, os.Args[1:])
	}
	ctx := &signalContext{}
	defer ctx.stop()
	return Execute(ctx, root, ios)
}

// signalContext is canceled by SIGINT or SIGTERM, but catches them only once something
// waits on it (Done or Err: a pull, a lesson, a grading run). Catching them starts two
// threads, a fifth of every short command's CPU; a command that never looks ends on
// Ctrl-C as any program does, which is what it should do (store writes survive a crash).
type signalContext struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *signalContext) arm() context.Context {
	s.once.Do(func() { s.ctx, s.cancel = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) })
	return s.ctx
}

// stop gives the signals back (and keeps a later Done from catching them).
func (s *signalContext) stop() {
	s.once.Do(func() { s.ctx, s.cancel = context.WithCancel(context.Background()) })
	s.cancel()
}

func (s *signalContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (s *signalContext) Done() <-chan struct{}       { return s.arm().Done() }
func (s *signalContext) Err() error                  { return s.arm().Err() }
func (s *signalContext) Value(any) any               { return nil }

// Execute runs root with os.Args and maps the error to an exit code.
func Execute(ctx context.Context, root *cobra.Command, ios *iostreams.IOStreams) int {
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &FlagError{Err: err} })
	cmdline.Register(DockerGrammar)
	jr := beginJournal(root)
	c, err := root.ExecuteContextC(ctx)
	code := exitOK
	if err != nil {
		code = printError(ios, c, err)
	}
	jr.end(code)
	return code
}

func printError(ios *iostreams.IOStreams, c *cobra.Command, err error) int {
	var exitErr *ExitError
	if errors.As(err, &exitErr) {
		return exitErr.Code
	}
	docker := isDockerVerb(c)
	var argsErr *argsError
	if errors.As(err, &argsErr) {
		// Docker's CLI words and codes a wrong number of arguments apart from a bad
		// flag: exit 1, the usage line and what the command does.
		fmt.Fprintf(ios.ErrOut, "%s\nSee '%s --help'.\n\nUsage:  %s\n\n%s\n", argsErr.msg, c.CommandPath(), useLine(c), c.Short)
		if docker {
			return exitError
		}
		return exitBadInput
	}
	var flagErr *FlagError
	if errors.As(err, &flagErr) {
		fmt.Fprintf(ios.ErrOut, "%s\nSee '%s --help'.\n", err, c.CommandPath())
		if docker {
			return exitDocker
		}
		return exitBadInput
	}
	var unknown *unknownCommandError
	if errors.As(err, &unknown) {
		fmt.Fprintln(ios.ErrOut, unknown)
		return exitError
	}
	var bare bareMessage
	if errors.As(err, &bare) {
		fmt.Fprintln(ios.ErrOut, bare)
		return exitError
	}
	var withCode *exitWithMessage
	if errors.As(err, &withCode) {
		// Docker's CLI words a failed run or create like this, with a pointer to help
		// unless the container was made and failed to start.
		msg := strings.TrimSuffix(err.Error(), ".")
		if withCode.bare {
			fmt.Fprintln(ios.ErrOut, err)
		} else if withCode.noHelp {
			fmt.Fprintf(ios.ErrOut, "docker: Error: %s.\n", msg)
		} else {
			fmt.Fprintf(ios.ErrOut, "docker: Error: %s.\nSee '%s --help'.\n", msg, c.CommandPath())
		}
		return withCode.code
	}
	fmt.Fprintf(ios.ErrOut, "Error: %s\n", err)
	switch {
	case errors.Is(err, sandbox.ErrBadSandboxName):
		if docker {
			return exitDocker
		}
		return exitBadInput
	case errors.Is(err, store.ErrBadRef), errors.Is(err, sandbox.ErrBadChange):
		// Docker's CLI exits 1 for these (its client's checks and its daemon's
		// refusals alike); run and create say 125 on their own (runError).
		if docker {
			return exitError
		}
		return exitBadInput
	}
	return exitError
}

// isDockerVerb reports whether c is one of the docker-compatible commands.
func isDockerVerb(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		if c.Annotations["docker"] == "true" {
			return true
		}
	}
	return false
}

// argsError is a wrong number of arguments, in Docker's words.
type argsError struct{ msg string }

func (e *argsError) Error() string { return e.msg }

// useLine is the command's usage as Docker's CLI prints it (no "[flags]").
func useLine(c *cobra.Command) string {
	_, rest, _ := strings.Cut(c.Use, " ")
	return strings.TrimSpace(c.CommandPath() + " " + rest)
}

// exactArgs and friends refuse a wrong number of arguments with Docker's wording.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			word := "arguments"
			if n == 1 {
				word = "argument"
			}
			return &argsError{fmt.Sprintf("%q requires exactly %d %s.", c.CommandPath(), n, word)}
		}
		return nil
	}
}

// unknownCommandError is a verb the top level does not know, answered as Docker's
// CLI answers it (exit 1, no usage).
type unknownCommandError struct{ verb, path string }

func (e *unknownCommandError) Error() string {
	return fmt.Sprintf("%s: '%s' is not a %s command.\nSee '%s --help'", e.path, e.verb, e.path, e.path)
}

// noSubcommand rejects arguments to a command group, naming the unknown command.
func noSubcommand(c *cobra.Command, args []string) error {
	if len(args) > 0 && (!c.HasParent() || c.Annotations["docker"] == "true") {
		return &unknownCommandError{verb: args[0], path: c.CommandPath()}
	}
	if len(args) > 0 {
		return &FlagError{Err: fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())}
	}
	return nil
}

func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			word := "arguments"
			if n == 1 {
				word = "argument"
			}
			return &argsError{fmt.Sprintf("%q requires at least %d %s.", c.CommandPath(), n, word)}
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return &argsError{fmt.Sprintf("%q requires at least %d and at most %d arguments.", c.CommandPath(), lo, hi)}
		}
		return nil
	}
}

package cmd

import (
	"fmt"
	"os"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons/session"
	"github.com/spf13/cobra"
)

// RecordOptions are `dockling record`'s.
type RecordOptions struct {
	IO    *iostreams.IOStreams
	F     *Factory
	Shell []string // the shell and its arguments
	// Chosen: the sandbox was named; else the lesson started last, as for env.
	Chosen bool
}

// NewRecordCmd is `dockling record`: the learner's shell, recorded for learn --watch.
func NewRecordCmd(f *Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{IO: f.IOStreams, F: f}
	return &cobra.Command{
		Use:   "record [-- SHELL [ARG...]]",
		Short: "Start your shell with every line's output journaled, for learn --watch",
		Long: `Start your shell ($SHELL, or the one given) on a terminal of its own between it and
yours, as script(1) does, with docker as dockling acting on the lesson started last
(or --sandbox). After eval "$(dockling env)" in it (dockling env --shell fish | source
in fish), every line you type is journaled at once with its exit code and its output,
so a lesson watching with dockling learn --watch checks output as the guided shell
does. Leave it with exit.`,
		Example: `  dockling record
  dockling record -- zsh`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Chosen = c.Flags().Changed("sandbox") || os.Getenv("DOCKLING_SANDBOX") != ""
			opts.Shell = args
			if len(opts.Shell) == 0 {
				opts.Shell = []string{os.Getenv("SHELL")}
				if opts.Shell[0] == "" {
					opts.Shell[0] = "/bin/sh"
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return recordRun(opts)
		},
	}
}

func recordRun(opts *RecordOptions) error {
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	if cur := session.Current(root); !opts.Chosen && cur != "" {
		opts.F.SandboxName = cur
	}
	dir, err := opts.F.SandboxDir()
	if err != nil {
		return err
	}
	bin, err := session.DockerBin(root)
	if err != nil {
		return err
	}
	env := append(os.Environ(), "DOCKLING_ROOT="+root, "DOCKLING_SANDBOX="+opts.F.SandboxName,
		"DOCKLING_JOURNAL=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	fmt.Fprintf(opts.IO.ErrOut, "dockling record: recording for sandbox %s. Type eval \"$(dockling env)\" first; exit ends it.\n", opts.F.SandboxName)
	code, err := session.Record(session.RecordOptions{IO: opts.IO, Shell: opts.Shell, Env: env, SandboxDir: dir})
	if err != nil {
		return fmt.Errorf("recording the shell: %w", err)
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

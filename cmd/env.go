package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons/session"
	"github.com/spf13/cobra"
)

// EnvOptions are `dockling env`'s flags.
type EnvOptions struct {
	IO *iostreams.IOStreams
	F  *Factory
	// Chosen: the sandbox was named (--sandbox or $DOCKLING_SANDBOX); else env takes
	// the lesson being learned or watched.
	Chosen bool
	// Shell is the shell the code is for: bash, zsh, fish or sh (default: $SHELL's).
	Shell string
}

// NewEnvCmd is `dockling env`: shell code that makes "docker" mean dockling.
func NewEnvCmd(f *Factory, runF func(*EnvOptions) error) *cobra.Command {
	opts := &EnvOptions{IO: f.IOStreams, F: f}
	c := &cobra.Command{
		Use:   "env",
		Short: "Print shell code that makes \"docker\" mean dockling in this shell",
		Long: `Print shell code to evaluate in your own terminal: it puts a "docker" that is
dockling first on PATH and selects a sandbox, so the docker commands you type there
act on the same sandbox a lesson checks. Without --sandbox (or $DOCKLING_SANDBOX) it
selects the lesson last started with dockling learn (or learn --watch), and says so.

In bash, zsh and fish it also installs a hook that journals every line you type, at
once and with its own exit code, whatever prompt hooks the shell has already (pyenv,
starship, direnv), so a lesson watching the sandbox sees commands like cat and ls too.`,
		Example: `  eval "$(dockling env)"
  eval "$(dockling env --sandbox images-vs-containers)"
  dockling env --shell fish | source      # in fish`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Chosen = c.Flags().Changed("sandbox") || os.Getenv("DOCKLING_SANDBOX") != ""
			if runF != nil {
				return runF(opts)
			}
			if !slices.Contains(session.HookShells, opts.Shell) {
				return &FlagError{Err: fmt.Errorf("--shell %q: want one of %s", opts.Shell, strings.Join(session.HookShells, ", "))}
			}
			return envRun(opts)
		},
	}
	c.Flags().StringVar(&opts.Shell, "shell", defaultShell(), "the shell the code is for: "+strings.Join(session.HookShells, ", "))
	return c
}

// defaultShell is $SHELL's name when the hook knows it, else sh.
func defaultShell() string {
	if sh := filepath.Base(os.Getenv("SHELL")); slices.Contains(session.HookShells, sh) {
		return sh
	}
	return "sh"
}

func envRun(opts *EnvOptions) error {
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	if !opts.Chosen {
		if cur := session.Current(root); cur != "" {
			opts.F.SandboxName = cur
			fmt.Fprintf(opts.IO.ErrOut, "dockling env: using sandbox %s, the lesson you started last (--sandbox NAME picks another)\n", cur)
		} else {
			fmt.Fprintf(opts.IO.ErrOut, "dockling env: using sandbox %s: no lesson was started yet (--sandbox NAME picks one)\n", opts.F.SandboxName)
		}
	}
	if _, err := opts.F.SandboxDir(); err != nil {
		return err
	}
	bin, err := session.DockerBin(root)
	if err != nil {
		return err
	}
	// DOCKLING_JOURNAL makes docker commands journal what they touch, so a lesson
	// watching this sandbox (dockling learn --watch) sees what was typed here.
	fmt.Fprint(opts.IO.Out, session.ShellExports(opts.Shell, root, opts.F.SandboxName, bin))
	fmt.Fprint(opts.IO.Out, session.ShellHook(opts.Shell, filepath.Join(bin, "dockling")))
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/spf13/cobra"
)

// EnvOptions are `dockling env`'s flags.
type EnvOptions struct {
	IO *iostreams.IOStreams
	F  *Factory
}

// NewEnvCmd is `dockling env`: shell code that makes "docker" mean dockling.
func NewEnvCmd(f *Factory, runF func(*EnvOptions) error) *cobra.Command {
	opts := &EnvOptions{IO: f.IOStreams, F: f}
	return &cobra.Command{
		Use:   "env",
		Short: "Print shell code that makes \"docker\" mean dockling in this shell",
		Long: `Print shell code to evaluate in your own terminal: it puts a "docker" that is
dockling first on PATH and selects this sandbox, so the docker commands you type
there act on the same sandbox a lesson checks.`,
		Example: `  eval "$(dockling env)"
  eval "$(dockling env --sandbox images-vs-containers)"`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return envRun(opts)
		},
	}
}

func envRun(opts *EnvOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding dockling's own path: %w", err)
	}
	dir, err := opts.F.SandboxDir()
	if err != nil {
		return err
	}
	bin := filepath.Join(filepath.Dir(filepath.Dir(dir)), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", bin, err)
	}
	link := filepath.Join(bin, "docker")
	os.Remove(link)
	if err := os.Symlink(exe, link); err != nil {
		return fmt.Errorf("linking %s: %w", link, err)
	}
	root := filepath.Dir(filepath.Dir(dir))
	// DOCKLING_JOURNAL makes each docker command journal itself, so a lesson
	// watching this sandbox (dockling learn --watch) sees what was typed here.
	fmt.Fprintf(opts.IO.Out, "export DOCKLING_ROOT=%s\nexport DOCKLING_SANDBOX=%s\nexport DOCKLING_JOURNAL=1\nexport PATH=%s:\"$PATH\"\n",
		shellQuote(root), shellQuote(opts.F.SandboxName), shellQuote(bin))
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

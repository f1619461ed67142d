package cmd

import (
	"fmt"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewBuilderCmd is the `docker builder` group.
func NewBuilderCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "builder",
		Short: "Manage builds",
		Example: `  docker builder build -t myimage .
  docker builder prune -f`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(NewBuildCmd(f, nil), NewBuilderPruneCmd(f, nil))
	return c
}

// BuilderPruneOptions are `docker builder prune`'s flags.
type BuilderPruneOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)
	Force   bool
	All     bool
	confirm func(string) bool
}

// NewBuilderPruneCmd is `docker builder prune`.
func NewBuilderPruneCmd(f *Factory, runF func(*BuilderPruneOptions) error) *cobra.Command {
	opts := &BuilderPruneOptions{IO: f.IOStreams, Sandbox: f.Sandbox, confirm: func(q string) bool { return confirmYes(f.IOStreams, q+" [y/N] ") }}
	c := &cobra.Command{
		Use:   "prune",
		Short: "Remove build cache",
		Long: `Remove the build cache: the next build runs every step again instead of
reporting it CACHED. The images earlier builds made for their steps go too, unless
a tag, a container or a later image still needs them.`,
		Example: `  docker builder prune
  docker builder prune -f`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return builderPruneRun(opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "Remove all unused build cache, not just dangling ones (dockling's cache is removed whole either way)")
	return c
}

func builderPruneRun(opts *BuilderPruneOptions) error {
	what := "dangling"
	if opts.All {
		what = "all"
	}
	if !opts.Force && !opts.confirm(fmt.Sprintf("WARNING! This will remove all %s build cache. Are you sure you want to continue?", what)) {
		return nil
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	freed, err := pruneBuildCache(sb, nil, opts.IO.Out)
	fmt.Fprintf(opts.IO.Out, "Total reclaimed space: %s\n", humanSize(freed))
	return err
}

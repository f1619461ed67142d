package cmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewSystemCmd is the `docker system` group.
func NewSystemCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "system",
		Short: "Manage dockling's data",
		Example: `  docker system df
  docker system prune -f
  dockling system check`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	info := NewInfoCmd(f, nil)
	c.AddCommand(NewSystemDfCmd(f, nil), NewSystemCheckCmd(f, nil), info, NewSystemPruneCmd(f))
	return c
}

// SystemDfOptions are `docker system df`'s flags.
type SystemDfOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)
}

// NewSystemDfCmd is `docker system df`.
func NewSystemDfCmd(f *Factory, runF func(*SystemDfOptions) error) *cobra.Command {
	opts := &SystemDfOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	return &cobra.Command{
		Use:     "df",
		Short:   "Show docker disk usage",
		Example: `  docker system df`,
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return systemDfRun(opts)
		},
	}
}

func systemDfRun(opts *SystemDfOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	u, err := sb.DiskUsage()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	pct := func(part, whole int64) string {
		if whole == 0 {
			return humanSize(part)
		}
		return fmt.Sprintf("%s (%d%%)", humanSize(part), part*100/whole)
	}
	fmt.Fprintf(tw, "Images\t%d\t%d\t%s\t%s\n", u.Images, u.ActiveImages, humanSize(u.ImagesSize), pct(u.ImagesReclaimable, u.ImagesSize))
	fmt.Fprintf(tw, "Containers\t%d\t%d\t%s\t%s\n", u.Containers, u.RunningContainers, humanSize(u.ContainersSize), pct(u.ContainersReclaimable, u.ContainersSize))
	fmt.Fprintf(tw, "Local Volumes\t0\t0\t0B\t0B\n")
	fmt.Fprintf(tw, "Build Cache\t0\t0\t0B\t0B\n")
	return tw.Flush()
}

// SystemCheckOptions are `dockling system check`'s flags.
type SystemCheckOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)
	DryRun  bool
}

// NewSystemCheckCmd is `dockling system check`.
func NewSystemCheckCmd(f *Factory, runF func(*SystemCheckOptions) error) *cobra.Command {
	opts := &SystemCheckOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "check",
		Short: "Find and remove what interrupted commands left behind",
		Long: `Check the sandbox's store: leftovers of a pull, load, import or commit that was
killed half-way (temporary files, layer folders no image uses, tags naming missing
images) are listed and removed. Nothing in use is touched.`,
		Example: `  dockling system check
  dockling system check --dry-run`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return systemCheckRun(opts)
		},
	}
	c.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Only list the problems, change nothing")
	return c
}

func systemCheckRun(opts *SystemCheckOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	// Container cgroups left frozen by a killed commit, or by containers gone.
	leftovers := sb.FreezerLeftovers()
	if opts.DryRun {
		ps, err := sb.Store.Check()
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Fprintf(opts.IO.Out, "found: %s\n", p.What)
		}
		for _, l := range leftovers {
			fmt.Fprintf(opts.IO.Out, "found: %s\n", l.What)
		}
		fmt.Fprintf(opts.IO.Out, "%d problem(s) found\n", len(ps)+len(leftovers))
		if len(ps)+len(leftovers) > 0 {
			return &ExitError{Code: exitError}
		}
		return nil
	}
	n := 0
	for _, l := range leftovers {
		if err := l.Fix(); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "repaired: %s\n", l.What)
		n++
	}
	ps, err := sb.Store.Repair()
	for _, p := range ps {
		fmt.Fprintf(opts.IO.Out, "repaired: %s\n", p.What)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%d problem(s) repaired; the store is consistent\n", n+len(ps))
	return nil
}

package cmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/AlecAivazis/survey/v2"
	"github.com/spf13/cobra"
)

// NewTopCmd is `docker top`.
func NewTopCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "top CONTAINER",
		Short:   "Display the running processes of a container",
		Example: `  docker top marked`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := f.Sandbox()
			if err != nil {
				return err
			}
			procs, err := sb.Top(args[0])
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(f.IOStreams.Out, 10, 1, 3, ' ', 0)
			fmt.Fprintln(tw, "UID\tPID\tPPID\tC\tSTIME\tTTY\tTIME\tCMD")
			for _, p := range procs {
				secs := int(p.CPU.Seconds())
				fmt.Fprintf(tw, "%d\t%d\t%d\t0\t%s\t%s\t%02d:%02d:%02d\t%s\n", p.UID, p.PID, p.PPID,
					p.Started.Format("15:04"), orQ(p.TTY), secs/3600, secs/60%60, secs%60, p.Cmd)
			}
			return tw.Flush()
		},
	}
}

func orQ(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// NewContainerPruneCmd is `docker container prune`.
func NewContainerPruneCmd(f *Factory) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "prune [OPTIONS]",
		Short:   "Remove all stopped containers",
		Example: `  docker container prune -f`,
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if !force && !confirm(f, "WARNING! This will remove all stopped containers. Are you sure you want to continue?") {
				return nil
			}
			sb, err := f.Sandbox()
			if err != nil {
				return err
			}
			cs, err := sb.Containers()
			if err != nil {
				return err
			}
			fmt.Fprintln(f.IOStreams.Out, "Deleted Containers:")
			for _, ctr := range cs {
				if ctr.State.Running {
					continue
				}
				if _, err := sb.Remove(ctr.ID, false); err != nil {
					return err
				}
				fmt.Fprintln(f.IOStreams.Out, ctr.ID)
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}

// confirm asks a yes/no question: a survey prompt on a terminal, else one line read
// from stdin (so scripts can pipe "y").
func confirm(f *Factory, q string) bool {
	if f.IOStreams.IsStdinTTY() && f.IOStreams.IsStdoutTTY() {
		ok := false
		if err := survey.AskOne(&survey.Confirm{Message: q}, &ok); err != nil {
			return false
		}
		return ok
	}
	fmt.Fprint(f.IOStreams.Out, q)
	var answer string
	fmt.Fscanln(f.IOStreams.In, &answer)
	return answer == "y" || answer == "Y" || answer == "yes"
}

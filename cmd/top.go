package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/AlecAivazis/survey/v2"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewTopCmd is `docker top`.
func NewTopCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER",
		Short: "Display the running processes of a container",
		Long: `List the container's processes as the host sees them, as Docker's top does: host
process IDs, and the host's name for each user ID (a rootless container's root is
you).`,
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
			names := sandbox.HostUserNames()
			for _, p := range procs {
				secs := int(p.CPU.Seconds())
				fmt.Fprintf(tw, "%s\t%d\t%d\t0\t%s\t%s\t%02d:%02d:%02d\t%s\n", names(p.UID), p.PID, p.PPID,
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

// confirmYes asks a yes/no question: a survey prompt on a terminal, else one line
// read from stdin (so scripts can pipe "y").
func confirmYes(ios *iostreams.IOStreams, q string) bool {
	if ios.IsStdinTTY() && ios.IsStdoutTTY() {
		ok := false
		if err := survey.AskOne(&survey.Confirm{Message: strings.TrimSuffix(q, " [y/N] ")}, &ok); err != nil {
			return false
		}
		return ok
	}
	fmt.Fprint(ios.Out, q)
	var answer string
	fmt.Fscanln(ios.In, &answer)
	return answer == "y" || answer == "Y" || answer == "yes"
}

package cmd

import (
	"fmt"

	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// NewStandinCmd is `dockling standin`: tag a built-in image as a stand-in for one
// that cannot be pulled here (no network), announced as such.
func NewStandinCmd(f *Factory) *cobra.Command {
	var from string
	c := &cobra.Command{
		Use:   "standin [--from BUILTIN] NAME[:TAG]",
		Short: "Make a stand-in image from this host for one you cannot pull (e.g. ubuntu offline)",
		Long: `Build one of dockling's built-in images and tag it under another name, so a lesson
can say "docker run -it ubuntu bash" without a network. The stand-in answers to bash and
the usual core utilities, but it is not that distribution: it is built from this host's
own programs and labelled org.dockling.standin. It has no package manager (no apt-get):
a lesson that installs packages, such as commit, needs the real image and says how to
get one on this computer.`,
		Example: `  dockling standin ubuntu
  dockling standin --from busybox alpine`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ref, err := store.ParseRef(args[0])
			if err != nil {
				return err
			}
			sb, err := f.Sandbox()
			if err != nil {
				return err
			}
			id, err := sb.AddStandin(ref, from)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Note: %s is a stand-in built from this host (%s), not the real image.\n", ref, from)
			fmt.Fprintln(f.IOStreams.Out, id)
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "ubuntu-standin", "built-in image to use (ubuntu-standin, busybox, hello-world)")
	return c
}

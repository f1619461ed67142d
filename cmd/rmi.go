package cmd

import (
	"fmt"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// RmiOptions are `docker rmi`'s flags.
type RmiOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Images []string
	Force  bool
}

// NewRmiCmd is `docker rmi` (and `docker image rm`).
func NewRmiCmd(f *Factory, runF func(*RmiOptions) error) *cobra.Command {
	opts := &RmiOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Long: `Remove images. A tag that is one of several names of an image only removes that
name. An image a container was created from is kept unless --force is given (and then
only its names go while the container still needs its layers).`,
		Example: `  docker rmi my-ubuntu:v1
  docker rmi -f 3f57d9401f8d`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Images = args
			if runF != nil {
				return runF(opts)
			}
			return rmiRun(opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "Force removal of the image")
	return c
}

func rmiRun(opts *RmiOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	failed := false
	for _, name := range opts.Images {
		res, err := sb.RemoveImage(name, opts.Force)
		for _, u := range res.Untagged {
			fmt.Fprintf(opts.IO.Out, "Untagged: %s\n", u)
		}
		for _, d := range res.Deleted {
			fmt.Fprintf(opts.IO.Out, "Deleted: %s\n", d)
		}
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
			failed = true
		}
	}
	if failed {
		return &ExitError{Code: exitError}
	}
	return nil
}

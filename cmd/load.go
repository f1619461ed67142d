package cmd

import (
	"fmt"
	"io"
	"os"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// LoadOptions are `docker load`'s flags.
type LoadOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Input string
	Quiet bool
}

// NewLoadCmd is `docker load`.
func NewLoadCmd(f *Factory, runF func(*LoadOptions) error) *cobra.Command {
	opts := &LoadOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Long: `Load images from an archive made by "docker save" (Docker's or dockling's) or from
an OCI image layout archive, plain or gzip-compressed. Every layer is checked against
its digest; a damaged archive changes nothing.`,
		Example: `  docker load -i ubuntu.tar
  docker load < images.tar.gz`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return loadRun(opts)
		},
	}
	c.Flags().StringVarP(&opts.Input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "Suppress the load output")
	return c
}

func loadRun(opts *LoadOptions) error {
	var in io.Reader = opts.IO.In
	if opts.Input != "" {
		f, err := os.Open(opts.Input)
		if err != nil {
			return fmt.Errorf("opening archive: %w", err)
		}
		defer f.Close()
		in = f
	} else if opts.IO.IsStdinTTY() {
		return fmt.Errorf("requested load from stdin, but stdin is empty")
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	loaded, err := sb.Load(in)
	for _, l := range loaded {
		if len(l.Tags) == 0 {
			fmt.Fprintf(opts.IO.Out, "Loaded image ID: %s\n", l.ID)
		}
		for _, t := range l.Tags {
			fmt.Fprintf(opts.IO.Out, "Loaded image: %s\n", t)
		}
	}
	return err
}

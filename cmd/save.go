package cmd

import (
	"errors"
	"io"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/internal/outfile"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// SaveOptions are `docker save`'s flags.
type SaveOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Images []string
	Output string
}

// NewSaveCmd is `docker save`.
func NewSaveCmd(f *Factory, runF func(*SaveOptions) error) *cobra.Command {
	opts := &SaveOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Long: `Write images, with all their layers and tags, to a docker-save archive that
"docker load" reads back, here or in Docker.`,
		Example: `  docker save -o ubuntu.tar ubuntu
  docker save hello-world busybox > builtins.tar`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Images = args
			if runF != nil {
				return runF(opts)
			}
			return saveRun(opts)
		},
	}
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}

func saveRun(opts *SaveOptions) error {
	if opts.Output == "" && opts.IO.IsStdoutTTY() {
		return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	return writeAtomicOrStdout(opts.IO, opts.Output, func(w io.Writer) error { return sb.Save(w, opts.Images) })
}

// writeAtomicOrStdout writes to output as outfile.Write does (atomically where output
// is a new or regular file, into it where it is a device, FIFO or link), or to stdout
// when output is "".
func writeAtomicOrStdout(ios *iostreams.IOStreams, output string, write func(io.Writer) error) error {
	if output == "" {
		return write(ios.Out)
	}
	return outfile.Write(output, write)
}

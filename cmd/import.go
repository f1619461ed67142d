package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// ImportOptions are `docker import`'s flags.
type ImportOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	File    string
	Ref     string
	Changes []string
	Message string
}

// NewImportCmd is `docker import`.
func NewImportCmd(f *Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "import [OPTIONS] file|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Long: `Make a one-layer image from a root filesystem tarball (plain or gzip), for example
one made with debootstrap. --change sets the config as in a Dockerfile.`,
		Example: `  docker import rootfs.tar.gz ubuntu:local
  docker import --change 'CMD ["bash"]' -m "debootstrap bookworm" rootfs.tar debian
  tar -C rootfs -c . | docker import - mybase`,
		Args: rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			if len(args) == 2 {
				opts.Ref = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return importRun(opts)
		},
	}
	c.Flags().StringArrayVarP(&opts.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	c.Flags().StringVarP(&opts.Message, "message", "m", "", "Set commit message for imported image")
	return c
}

func importRun(opts *ImportOptions) error {
	var in io.Reader = opts.IO.In
	source := "-"
	if opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return fmt.Errorf("opening tarball: %w", err)
		}
		defer f.Close()
		in = f
		source = opts.File
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	id, err := sb.Import(in, sandbox.ImportOptions{Ref: opts.Ref, Changes: opts.Changes, Message: opts.Message, Source: importSource(source)})
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, id)
	return nil
}

// importSource is what the history comment names: Docker's client streams a local
// file to the daemon, which therefore records "Imported from -"; only a URL is named.
func importSource(file string) string {
	if strings.HasPrefix(file, "http://") || strings.HasPrefix(file, "https://") {
		return file
	}
	return "-"
}

package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dockling/dockling/internal/iostreams"
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
	var out io.Writer = opts.IO.Out
	var tmp *os.File
	if opts.Output != "" {
		// Write beside the target and rename, so a failed save leaves no half file.
		tmp, err = os.CreateTemp(filepath.Dir(opts.Output), "."+filepath.Base(opts.Output)+".tmp-*")
		if err != nil {
			return fmt.Errorf("creating %s: %w", opts.Output, err)
		}
		defer os.Remove(tmp.Name())
		out = tmp
	}
	if err := sb.Save(out, opts.Images); err != nil {
		if tmp != nil {
			tmp.Close()
		}
		return err
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", opts.Output, err)
		}
		if err := os.Rename(tmp.Name(), opts.Output); err != nil {
			return fmt.Errorf("writing %s: %w", opts.Output, err)
		}
	}
	return nil
}

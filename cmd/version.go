package cmd

import (
	"fmt"
	goruntime "runtime"

	"github.com/spf13/cobra"
)

// version is dockling's release; set with -ldflags "-X …/cmd.version=…".
var version = "0.1.0-dev"

// NewVersionCmd is `docker version`.
func NewVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Show the dockling version information",
		Example: `  docker version`,
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprintf(f.IOStreams.Out, "Client: dockling\n Version:    %s\n Go version: %s\n OS/Arch:    %s/%s\n",
				version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
			return nil
		},
	}
}

package cmd

import (
	"fmt"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// PortOptions are `docker port`'s.
type PortOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Container string
	Port      string // "80" or "80/tcp"; "" lists every published port
}

// NewPortCmd is `docker port`.
func NewPortCmd(f *Factory, runF func(*PortOptions) error) *cobra.Command {
	opts := &PortOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Long: `Show where a container's ports are published on the host (run -p, -P): every
mapping as "80/tcp -> 0.0.0.0:8080", or with a port, just its host address.`,
		Example: `  docker run -d --name web -p 8080:80 busybox httpd -f
  docker port web
  docker port web 80`,
		Args: rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container = args[0]
			if len(args) == 2 {
				opts.Port = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return portRun(opts)
		},
	}
}

func portRun(opts *PortOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	c, err := sb.Container(opts.Container)
	if err != nil {
		return err
	}
	lines, err := c.PortLines(opts.Port)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(opts.IO.Out, l)
	}
	return nil
}

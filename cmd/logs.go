package cmd

import (
	"io"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// LogsOptions are `docker logs`'s flags.
type LogsOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Container  string
	Follow     bool
	Timestamps bool
}

// NewLogsCmd is `docker logs`.
func NewLogsCmd(f *Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Long:  `Print what the container's process wrote, kept in the container's json log file.`,
		Example: `  docker logs marked
  docker logs -f web`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container = args[0]
			if runF != nil {
				return runF(opts)
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			return sb.Logs(opts.Container, opts.Follow, func(e sandbox.LogEntry) error {
				var w io.Writer = opts.IO.Out
				if e.Stream == "stderr" {
					w = opts.IO.ErrOut
				}
				if opts.Timestamps {
					io.WriteString(w, e.Time.Format("2006-01-02T15:04:05.000000000Z07:00")+" ")
				}
				_, err := io.WriteString(w, e.Log)
				return err
			})
		},
	}
	c.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	c.Flags().BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	return c
}

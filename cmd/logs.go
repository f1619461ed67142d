package cmd

import (
	"fmt"
	"io"
	"strconv"
	"time"

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
	Details    bool
	Tail       string
	Since      string
	Until      string
}

// NewLogsCmd is `docker logs`.
func NewLogsCmd(f *Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Long: `Print what the container's process wrote, kept in the container's json log file:
its standard output here on standard output, its standard error on standard error.

--since and --until take a time (2024-01-31T10:00:00, 2024-01-31), a Unix time in
seconds, or a duration back from now (10m, 1h30m).`,
		Example: `  docker logs marked
  docker logs -f web
  docker logs --tail 5 web
  docker logs --since 10m --timestamps web`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container = args[0]
			if runF != nil {
				return runF(opts)
			}
			return logsRun(opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	fl.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	fl.BoolVar(&opts.Details, "details", false, "Show extra details provided to logs")
	fl.StringVarP(&opts.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	fl.StringVar(&opts.Since, "since", "", "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	fl.StringVar(&opts.Until, "until", "", "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	return c
}

func logsRun(opts *LogsOptions) error {
	now := time.Now()
	o := sandbox.LogOptions{Follow: opts.Follow, Tail: -1}
	// As Docker: a --tail that is not a number shows everything.
	if n, err := strconv.Atoi(opts.Tail); err == nil && n >= 0 {
		o.Tail = n
	}
	var err error
	for _, t := range []struct {
		flag, value string
		to          *time.Time
	}{{"since", opts.Since, &o.Since}, {"until", opts.Until, &o.Until}} {
		if *t.to, err = sandbox.ParseLogTime(t.value, now); err != nil {
			return bareMessage(fmt.Sprintf("invalid value for %q: %s", t.flag, err))
		}
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	return sb.ReadLogs(opts.Container, o, func(e sandbox.LogEntry) error {
		var w io.Writer = opts.IO.Out
		if e.Stream == "stderr" {
			w = opts.IO.ErrOut
		}
		if opts.Timestamps {
			io.WriteString(w, e.Time.Format("2006-01-02T15:04:05.000000000Z07:00")+" ")
		}
		if opts.Details {
			io.WriteString(w, " ") // no log attributes: Docker's empty details
		}
		_, err := io.WriteString(w, e.Log)
		return err
	})
}

package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// StatsOptions are `docker stats`'s flags.
type StatsOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Containers []string
	All        bool
	NoStream   bool
	NoTrunc    bool
	Format     string
}

var statsFormat = listFormat{
	Default: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
	Quiet:   "{{.ID}}",
	Headers: map[string]string{
		"ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME", "CPUPerc": "CPU %",
		"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
	},
}

// NewStatsCmd is `docker stats`.
func NewStatsCmd(f *Factory) *cobra.Command {
	opts := &StatsOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		Long: `Show what running containers use, refreshed every second until Ctrl-C (or once
with --no-stream). CPU % is the share of one CPU over the last second; memory is
what the container's processes hold resident, out of the machine's memory; NET I/O
is zero on the host's network, as in Docker; BLOCK I/O is what they read from and
wrote to disk.`,
		Example: `  docker stats
  docker stats --no-stream
  docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' web`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Containers = args
			return statsRun(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "Show all containers (default shows just running)")
	fl.BoolVar(&opts.NoStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "Do not truncate output")
	fl.StringVar(&opts.Format, "format", "", "Pretty-print stats using a Go template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	return c
}

// statsTargets are the containers named, or the running ones (all with -a).
func statsTargets(sb *sandbox.Sandbox, opts *StatsOptions) ([]*sandbox.Container, []string, error) {
	if len(opts.Containers) == 0 {
		cs, err := sb.Containers()
		var out []*sandbox.Container
		var names []string
		for _, c := range cs {
			if opts.All || c.State.Running {
				out, names = append(out, c), append(names, store.ShortID(c.ID))
			}
		}
		return out, names, err
	}
	var out []*sandbox.Container
	for _, n := range opts.Containers {
		c, err := sb.Container(n)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
	}
	return out, opts.Containers, nil
}

func statsRun(ctx context.Context, opts *StatsOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	for first := true; ; first = false {
		cs, names, err := statsTargets(sb, opts)
		if err != nil {
			return err
		}
		interval := time.Second
		if opts.NoStream {
			interval = 500 * time.Millisecond
		}
		var rows []any
		for i, s := range sb.ContainerStats(cs, interval) {
			rows = append(rows, dockerapi.NewStatsRow(s, names[i], opts.NoTrunc))
		}
		if !opts.NoStream && opts.IO.IsStdoutTTY() {
			fmt.Fprint(opts.IO.Out, "\033[2J\033[H") // Docker's redraw: clear, home
		} else if !first {
			fmt.Fprintln(opts.IO.Out)
		}
		if err := statsFormat.render(opts.IO.Out, opts.Format, false, rows); err != nil || opts.NoStream {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

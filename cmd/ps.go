package cmd

import (
	"errors"
	"time"

	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// PsOptions are `docker ps`'s flags.
type PsOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	All     bool
	Quiet   bool
	Last    int
	Latest  bool
	NoTrunc bool
	Format  string
	Filters []string
	Size    bool
}

var psFormat = listFormat{
	Default: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
	Quiet:   "{{.ID}}",
	Headers: map[string]string{
		"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
		"RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS",
		"Size": "SIZE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
	},
}

// NewPsCmd is `docker ps` (and `docker container ls`).
func NewPsCmd(f *Factory, runF func(*PsOptions) error) *cobra.Command {
	opts := &PsOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Long: `List running containers; -a lists stopped ones too. NAMES are generated
(adjective_surname) unless you gave --name.`,
		Example: `  docker ps
  docker ps -a
  docker ps -a --filter status=exited --format '{{.Names}}'
  docker ps -s`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return psRun(opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "Show all containers (default shows just running)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "Only display container IDs")
	fl.IntVarP(&opts.Last, "last", "n", -1, "Show n last created containers (includes all states)")
	fl.BoolVarP(&opts.Latest, "latest", "l", false, "Show the latest created container (includes all states)")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "Don't truncate output")
	fl.BoolVarP(&opts.Size, "size", "s", false, "Display total file sizes: the container's writable layer, and (virtual) with its image")
	fl.StringVar(&opts.Format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	fl.StringArrayVarP(&opts.Filters, "filter", "f", nil, "Filter output based on conditions provided (status=, name=, ancestor=, id=, exited=)")
	return c
}

func psRun(opts *PsOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	cs, err := sb.ReapAutoRemoved()
	if err != nil {
		return err
	}
	keep, err := dockerapi.ContainerFilter(sb, opts.Filters)
	if err != nil {
		return filterError(err)
	}
	if opts.Latest {
		opts.Last = 1
	}
	all := opts.All || opts.Last > 0 || len(opts.Filters) > 0
	ro := &dockerapi.RowOptions{Now: time.Now(), NoTrunc: opts.NoTrunc, Size: opts.Size}
	var rows []any
	for _, c := range cs {
		if opts.Last > 0 && len(rows) >= opts.Last {
			break
		}
		if !all && !c.State.Running {
			continue
		}
		if !keep(c) {
			continue
		}
		rows = append(rows, dockerapi.NewContainerRow(sb, ro, c))
	}
	lf := psFormat
	if opts.Size {
		lf.Default += "\t{{.Size}}"
	}
	return lf.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
}

// filterError is a --filter dockerapi refused, as a usage mistake.
func filterError(err error) error {
	if errors.Is(err, dockerapi.ErrBadFilter) {
		return &FlagError{Err: err}
	}
	return err
}

package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
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
}

type psRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels, Mounts, Networks string
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
  docker ps -a --filter status=exited --format '{{.Names}}'`,
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
	keep, err := psFilter(sb, opts.Filters)
	if err != nil {
		return err
	}
	if opts.Latest {
		opts.Last = 1
	}
	all := opts.All || opts.Last > 0 || len(opts.Filters) > 0
	now := time.Now()
	images := map[string]string{} // image name -> the ID it names now ("" if none)
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
		rows = append(rows, makePsRow(sb, images, c, now, opts.NoTrunc))
	}
	return psFormat.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
}

func makePsRow(sb *sandbox.Sandbox, images map[string]string, c *sandbox.Container, now time.Time, noTrunc bool) psRow {
	r := psRow{
		ID: c.ID, Image: c.Config.Image, Command: c.Command(), Names: c.ShortName(),
		CreatedAt:  c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		RunningFor: since(now, c.Created), State: c.State.Status, Status: statusText(c, now),
		Networks: sandbox.NetworkName(c.HostConfig.NetworkMode), Ports: c.PortsColumn(),
	}
	// If the name the container was created with now names another image, show the ID.
	id, ok := images[c.Config.Image]
	if !ok {
		if img, err := sb.Store.Lookup(c.Config.Image); err == nil {
			id = img.ID
		}
		images[c.Config.Image] = id
	}
	if id != c.Image {
		r.Image = store.ShortID(c.Image)
	}
	if !noTrunc {
		r.ID = store.ShortID(r.ID)
		r.Command = ellipsis(r.Command, 20)
	}
	r.Command = strconv.Quote(r.Command)
	return r
}

// statusText is Docker's STATUS column.
func statusText(c *sandbox.Container, now time.Time) string {
	switch c.State.Status {
	case "running":
		return "Up " + units.HumanDuration(now.Sub(c.State.StartedAt))
	case "exited":
		return fmt.Sprintf("Exited (%d) %s ago", c.State.ExitCode, units.HumanDuration(now.Sub(c.State.FinishedAt)))
	}
	return "Created"
}

func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func psFilter(sb *sandbox.Sandbox, filters []string) (func(*sandbox.Container) bool, error) {
	var checks []func(*sandbox.Container) bool
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, &FlagError{Err: fmt.Errorf("bad format of filter (expected name=value)")}
		}
		switch k {
		case "status":
			checks = append(checks, func(c *sandbox.Container) bool { return c.State.Status == v })
		case "name":
			checks = append(checks, func(c *sandbox.Container) bool { return strings.Contains(c.ShortName(), v) })
		case "id":
			checks = append(checks, func(c *sandbox.Container) bool { return strings.HasPrefix(c.ID, v) })
		case "exited":
			code, err := strconv.Atoi(v)
			if err != nil {
				return nil, &FlagError{Err: fmt.Errorf("invalid filter 'exited=%s'", v)}
			}
			checks = append(checks, func(c *sandbox.Container) bool { return c.State.Status == "exited" && c.State.ExitCode == code })
		case "ancestor":
			img, err := sb.Store.Lookup(v)
			checks = append(checks, func(c *sandbox.Container) bool {
				return (err == nil && c.Image == img.ID) || c.Config.Image == v
			})
		default:
			return nil, &FlagError{Err: fmt.Errorf("invalid filter '%s'", k)}
		}
	}
	return func(c *sandbox.Container) bool {
		for _, ch := range checks {
			if !ch(c) {
				return false
			}
		}
		return true
	}, nil
}

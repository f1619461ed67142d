package cmd

import (
	"fmt"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// VolumeOptions serve the `docker volume` verbs.
type VolumeOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Names  []string
	Labels []string
	Opts   []string
	Format string
	Quiet  bool
	Force  bool
}

// NewVolumeCmd is the `docker volume` group.
func NewVolumeCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "volume",
		Short: "Manage volumes",
		Long: `A volume is a folder that dockling keeps for containers, outside their writable
layers: what a container writes there outlives the container, and "commit" leaves it out.`,
		Example: `  docker volume create data
  docker run -v data:/data busybox sh -c 'echo kept > /data/file'
  docker volume ls`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(newVolumeCreateCmd(f), newVolumeLsCmd(f), newVolumeRmCmd(f), newVolumeInspectCmd(f), newVolumePruneCmd(f))
	return c
}

func newVolumeOptions(f *Factory) *VolumeOptions {
	return &VolumeOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
}

func newVolumeCreateCmd(f *Factory) *cobra.Command {
	opts := newVolumeOptions(f)
	c := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Long:  "Create a named volume (a new random name when none is given) and print its name.",
		Example: `  docker volume create data
  docker volume create --label course=docker notes`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			v, err := sb.CreateVolume(name, keyValues(opts.Labels), keyValues(opts.Opts))
			if err != nil {
				return err
			}
			fmt.Fprintln(opts.IO.Out, v.Name)
			return nil
		},
	}
	c.Flags().StringArrayVar(&opts.Labels, "label", nil, "Set metadata for a volume")
	c.Flags().StringArrayVarP(&opts.Opts, "opt", "o", nil, "Set driver specific options (recorded; the local driver's folder is always used)")
	c.Flags().StringP("driver", "d", "local", "Specify volume driver name (only local)")
	return c
}

// keyValues reads KEY=VALUE flags into a map (nil when none).
func keyValues(kvs []string) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

var volumeFormat = listFormat{
	Default: "table {{.Driver}}\t{{.Name}}",
	Headers: map[string]string{"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE", "Labels": "LABELS"},
	Quiet:   "{{.Name}}",
}

func newVolumeLsCmd(f *Factory) *cobra.Command {
	opts := newVolumeOptions(f)
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Example: "  docker volume ls\n  docker volume ls -q",
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			vols, err := sb.Volumes()
			if err != nil {
				return err
			}
			rows := make([]any, len(vols))
			for i, v := range vols {
				rows[i] = v
			}
			return volumeFormat.render(opts.IO.Out, opts.Format, opts.Quiet, rows)
		},
	}
	c.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "Only display volume names")
	c.Flags().StringVar(&opts.Format, "format", "", "Pretty-print volumes using a Go template")
	return c
}

func newVolumeRmCmd(f *Factory) *cobra.Command {
	opts := newVolumeOptions(f)
	c := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Long:    "Remove volumes and their files. A volume a container uses (even a stopped one) is not removed.",
		Example: "  docker volume rm data",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			failed := false
			for _, name := range args {
				if err := sb.RemoveVolume(name, opts.Force); err != nil {
					fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
					failed = true
					continue
				}
				fmt.Fprintln(opts.IO.Out, name)
			}
			if failed {
				return &ExitError{Code: exitError}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "Do not fail on a volume that does not exist")
	return c
}

func newVolumeInspectCmd(f *Factory) *cobra.Command {
	opts := newVolumeOptions(f)
	c := &cobra.Command{
		Use:     "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short:   "Display detailed information on one or more volumes",
		Example: "  docker volume inspect data\n  docker volume inspect -f '{{.Mountpoint}}' data",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			var found []any
			failed := false
			for _, name := range args {
				v, err := sb.Volume(name)
				if err != nil {
					fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
					failed = true
					continue
				}
				found = append(found, v)
			}
			if opts.Format != "" {
				err = renderEach(opts.IO.Out, opts.Format, found)
			} else {
				err = writeJSONArray(opts.IO.Out, found)
			}
			if err == nil && failed {
				err = &ExitError{Code: exitError}
			}
			return err
		},
	}
	c.Flags().StringVarP(&opts.Format, "format", "f", "", "Format the output using the given Go template")
	return c
}

func newVolumePruneCmd(f *Factory) *cobra.Command {
	opts := newVolumeOptions(f)
	c := &cobra.Command{
		Use:     "prune [OPTIONS]",
		Short:   "Remove all unused local volumes",
		Long:    "Remove every volume that no container uses, running or stopped.",
		Example: "  docker volume prune -f",
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if !opts.Force && !confirmYes(f.IOStreams, "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			freed, err := pruneVolumes(sb, nil, opts.IO.Out)
			fmt.Fprintf(opts.IO.Out, "Total reclaimed space: %s\n", humanSize(freed))
			return err
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "Do not prompt for confirmation")
	return c
}

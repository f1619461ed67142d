package cmd

import (
	"errors"

	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// volumeFlags are run's and create's -v, --mount, --tmpfs and --read-only.
type volumeFlags struct {
	Volumes  []string
	Mounts   []string
	Tmpfs    []string
	ReadOnly bool
}

func addVolumeFlags(c *cobra.Command, v *volumeFlags) {
	fl := c.Flags()
	fl.StringArrayVarP(&v.Volumes, "volume", "v", nil,
		"Bind mount a volume: HOST-DIR:CONTAINER-DIR[:ro] (a missing HOST-DIR is created), NAME:CONTAINER-DIR (a named volume, made on first use), or CONTAINER-DIR (an anonymous volume)")
	fl.StringArrayVar(&v.Mounts, "mount", nil,
		"Attach a filesystem mount to the container: type=bind|volume|tmpfs,source=...,target=...[,readonly] (a missing bind source is refused)")
	fl.StringArrayVar(&v.Tmpfs, "tmpfs", nil, "Mount a tmpfs directory: PATH[:OPTIONS], e.g. /run:size=64m")
	fl.BoolVar(&v.ReadOnly, "read-only", false, "Mount the container's root filesystem as read only")
}

// apply parses the flags into co.
func (v *volumeFlags) apply(co *sandbox.CreateOptions) error {
	parsers := []struct {
		specs []string
		parse func(string) (sandbox.MountRequest, error)
	}{{v.Volumes, sandbox.ParseVolumeFlag}, {v.Mounts, sandbox.ParseMountFlag}, {v.Tmpfs, sandbox.ParseTmpfsFlag}}
	for _, p := range parsers {
		for _, s := range p.specs {
			m, err := p.parse(s)
			var usage *sandbox.MountFlagError
			if errors.As(err, &usage) {
				return &FlagError{Err: err}
			}
			if err != nil {
				return runError(err)
			}
			co.Mounts = append(co.Mounts, m)
		}
	}
	co.ReadonlyRootfs = v.ReadOnly
	return nil
}

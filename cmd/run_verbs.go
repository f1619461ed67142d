package cmd

import (
	"fmt"
	"io"
	"strconv"

	"github.com/docker/go-units"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// runVerbsOptions are run's and create's flags of the "verbs" area: labels, env
// files and --privileged.
type runVerbsOptions struct {
	Labels     []string
	LabelFiles []string
	EnvFiles   []string
	Privileged bool
	Memory     string
	CPUs       string
	PidsLimit  int64
	Init       bool
	Restart    string
}

func addRunVerbsFlags(c *cobra.Command, o *runVerbsOptions) {
	fl := c.Flags()
	fl.StringArrayVarP(&o.Labels, "label", "l", nil, "Set meta data on a container (KEY=VALUE, or KEY for an empty value)")
	fl.StringArrayVar(&o.LabelFiles, "label-file", nil, "Read in a line delimited file of labels")
	fl.StringArrayVar(&o.EnvFiles, "env-file", nil, "Read in a file of environment variables (KEY=VALUE lines, # comments; a KEY alone takes its value from your environment)")
	fl.BoolVar(&o.Privileged, "privileged", false, "Give extended privileges to this container: refused, as the sandbox is meant to hold what runs in it")
	fl.StringVarP(&o.Memory, "memory", "m", "", "Memory limit (e.g. 64m, 1g), through the container's cgroup")
	fl.StringVar(&o.CPUs, "cpus", "", "Number of CPUs (e.g. 0.5), through the container's cgroup")
	fl.Int64Var(&o.PidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fl.StringVar(&o.Restart, "restart", "no", "Restart policy to apply when a container exits (no, on-failure[:max-retries], always, unless-stopped); the container's shim restarts it, until a reboot")
	fl.BoolVar(&o.Init, "init", false, "Run an init inside the container that forwards signals and reaps processes (the host's static tini, from Debian's tini package)")
}

// apply puts the flags into co, warning on w of limits this machine drops. Env
// files come before -e, which wins, as in Docker.
func (o *runVerbsOptions) apply(co *sandbox.CreateOptions, w io.Writer) error {
	if o.Privileged {
		return sandbox.ErrPrivileged
	}
	if err := o.limits(co, w); err != nil {
		return err
	}
	labels, err := sandbox.Labels(o.LabelFiles, o.Labels)
	if err != nil {
		return err
	}
	co.Labels, co.Init = labels, o.Init
	if co.Restart, err = sandbox.ParseRestartPolicy(o.Restart); err != nil {
		return err
	}
	env, err := sandbox.ReadKeyValueFiles(o.EnvFiles)
	if err != nil {
		return err
	}
	co.Env = append(env, co.Env...)
	return nil
}

func (o *runVerbsOptions) limits(co *sandbox.CreateOptions, w io.Writer) error {
	l := sandbox.Limits{PidsLimit: o.PidsLimit}
	if o.Memory != "" {
		n, err := units.RAMInBytes(o.Memory)
		if err != nil {
			return &FlagError{Err: fmt.Errorf("invalid argument %q for \"-m, --memory\" flag: %w", o.Memory, err)}
		}
		l.Memory = n
	}
	if o.CPUs != "" {
		f, err := strconv.ParseFloat(o.CPUs, 64)
		if err != nil || f < 0 {
			return &FlagError{Err: fmt.Errorf("invalid argument %q for \"--cpus\" flag: failed to parse %s as a rational number", o.CPUs, o.CPUs)}
		}
		l.NanoCPUs = int64(f * 1e9)
	}
	warnings, err := sandbox.CheckLimits(&l)
	for _, m := range warnings {
		fmt.Fprintln(w, m)
	}
	co.Limits = l
	return err
}

package cmd

import (
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
}

func addRunVerbsFlags(c *cobra.Command, o *runVerbsOptions) {
	fl := c.Flags()
	fl.StringArrayVarP(&o.Labels, "label", "l", nil, "Set meta data on a container (KEY=VALUE, or KEY for an empty value)")
	fl.StringArrayVar(&o.LabelFiles, "label-file", nil, "Read in a line delimited file of labels")
	fl.StringArrayVar(&o.EnvFiles, "env-file", nil, "Read in a file of environment variables (KEY=VALUE lines, # comments; a KEY alone takes its value from your environment)")
	fl.BoolVar(&o.Privileged, "privileged", false, "Give extended privileges to this container: refused, see below")
}

// apply puts the flags into co. Env files come before -e, which wins, as in Docker.
func (o *runVerbsOptions) apply(co *sandbox.CreateOptions) error {
	if o.Privileged {
		return sandbox.ErrPrivileged
	}
	labels, err := sandbox.Labels(o.LabelFiles, o.Labels)
	if err != nil {
		return err
	}
	co.Labels = labels
	env, err := sandbox.ReadKeyValueFiles(o.EnvFiles)
	if err != nil {
		return err
	}
	co.Env = append(env, co.Env...)
	return nil
}

package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NewCreateCmd is `docker create`.
func NewCreateCmd(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Long:  `Create a container (its record and writable layer) without starting it; "docker start" runs it.`,
		Example: `  docker create --name web busybox sleep 600
  docker create -it ubuntu bash
  docker create --security-opt seccomp=profile.json busybox mkdir /x`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Image, opts.Cmd = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			co, err := opts.createOptions(c)
			if err != nil {
				return err
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			ctr, err := createContainer(c, opts.IO, sb, co)
			if err != nil {
				return runError(err)
			}
			fmt.Fprintln(opts.IO.Out, ctr.ID)
			return nil
		},
	}
	addCreateFlags(c, opts)
	return c
}

package cmd

import (
	"fmt"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// ContainerVerbOptions serve the verbs that act on each named container in turn:
// stop, kill, restart, rm, wait.
type ContainerVerbOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Containers []string
	Timeout    int
	Signal     string
	Force      bool
	Volumes    bool // rm -v
}

// forEachContainer runs fn for every name, printing what fn returns (Docker echoes
// the name) and an error line for each failure; any failure makes the exit code 1.
func forEachContainer(opts *ContainerVerbOptions, fn func(sb *sandbox.Sandbox, name string) (string, error)) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	failed := false
	for _, name := range opts.Containers {
		out, err := fn(sb, name)
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
			failed = true
			continue
		}
		fmt.Fprintln(opts.IO.Out, out)
	}
	if failed {
		return &ExitError{Code: exitError}
	}
	return nil
}

func newContainerVerb(f *Factory, use, short, long, example string, setup func(c *cobra.Command, o *ContainerVerbOptions), fn func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error)) *cobra.Command {
	opts := &ContainerVerbOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Containers = args
			return forEachContainer(opts, func(sb *sandbox.Sandbox, name string) (string, error) { return fn(opts, sb, name) })
		},
	}
	if setup != nil {
		setup(c, opts)
	}
	return c
}

// NewStopCmd is `docker stop`.
func NewStopCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "stop [OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
		"Send the container's stop signal (SIGTERM unless the image says otherwise), then SIGKILL after the timeout.",
		"  docker stop marked\n  docker stop -t 0 marked",
		func(c *cobra.Command, o *ContainerVerbOptions) {
			c.Flags().IntVarP(&o.Timeout, "time", "t", 10, "Seconds to wait before killing the container")
			c.Flags().IntVar(&o.Timeout, "timeout", 10, "Seconds to wait before killing the container")
			c.Flags().MarkHidden("timeout")
		},
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			return name, stopOrKill(sb, name, time.Duration(o.Timeout)*time.Second, o.IO.ErrOut)
		})
}

// NewKillCmd is `docker kill`.
func NewKillCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "kill [OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
		"Send a signal (SIGKILL unless --signal says otherwise) to the container's main process.",
		"  docker kill marked\n  docker kill -s HUP marked",
		func(c *cobra.Command, o *ContainerVerbOptions) {
			c.Flags().StringVarP(&o.Signal, "signal", "s", "KILL", "Signal to send to the container")
		},
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			sig, err := sandbox.ParseSignal(o.Signal)
			if err != nil {
				return "", err
			}
			_, err = sb.Kill(name, sig)
			return name, err
		})
}

// NewRestartCmd is `docker restart`.
func NewRestartCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
		"Stop the container if it runs, then start it again on the same writable layer.",
		"  docker restart marked",
		func(c *cobra.Command, o *ContainerVerbOptions) {
			c.Flags().IntVarP(&o.Timeout, "time", "t", 10, "Seconds to wait before killing the container")
		},
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			if _, err := sb.Stop(name, time.Duration(o.Timeout)*time.Second); err != nil {
				return "", err
			}
			_, err := sb.Start(name, false)
			return name, err
		})
}

// NewRmCmd is `docker rm`.
func NewRmCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "rm [OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
		"Remove containers and their writable layers: what they changed is gone. A running container is only removed with --force.",
		"  docker rm marked\n  docker rm -f $(docker ps -aq)",
		func(c *cobra.Command, o *ContainerVerbOptions) {
			c.Flags().BoolVarP(&o.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
			c.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
		},
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			ctr, err := sb.Remove(name, o.Force)
			if err == nil && o.Volumes {
				err = sb.RemoveVolumesOf(ctr)
			}
			return name, err
		})
}

// NewWaitCmd is `docker wait`.
func NewWaitCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "wait CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes",
		"Wait for each container to stop and print its exit code.",
		"  docker wait marked", nil,
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			code, err := sb.Wait(name)
			return fmt.Sprint(code), err
		})
}

// NewPauseCmd is `docker pause`.
func NewPauseCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "pause CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",
		`Freeze every process of the container through its freezer cgroup: they stop where
they are, without being told (unlike SIGSTOP), until unpause. ps shows "(Paused)".
A rootless container can be paused only where the cgroup v2 subtree is delegated.`,
		"  docker pause web\n  docker unpause web", nil,
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			return name, sb.Pause(name)
		})
}

// NewUnpauseCmd is `docker unpause`.
func NewUnpauseCmd(f *Factory) *cobra.Command {
	return newContainerVerb(f, "unpause CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers",
		"Let the processes of a paused container run again.",
		"  docker unpause web", nil,
		func(o *ContainerVerbOptions, sb *sandbox.Sandbox, name string) (string, error) {
			return name, sb.Unpause(name)
		})
}

// NewRenameCmd is `docker rename`.
func NewRenameCmd(f *Factory) *cobra.Command {
	opts := &ContainerVerbOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Long: `Give a container a new name; it keeps its ID, its layer and its state, running
or not. The new name must be free.`,
		Example: "  docker rename sleepy_turing web",
		Args:    exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			if err := sb.Rename(args[0], args[1]); err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "Error: %s\nError: failed to rename container named %s\n", err, args[0])
				return &ExitError{Code: exitError}
			}
			return nil
		},
	}
}

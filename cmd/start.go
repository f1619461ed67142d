package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/spf13/cobra"
)

// StartOptions are `docker start`'s flags.
type StartOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Containers  []string
	Attach      bool
	Interactive bool
	DetachKeys  string
}

// NewStartCmd is `docker start`.
func NewStartCmd(f *Factory, runF func(*StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Long: `Run a stopped container's command again, on the same writable layer: the files it
made are still there. It runs in the background; "docker attach" connects to it.`,
		Example: `  docker start marked
  docker start -ai marked`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Containers = args
			if runF != nil {
				return runF(opts)
			}
			return startRun(opts)
		},
	}
	c.Flags().BoolVarP(&opts.Attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	c.Flags().BoolVarP(&opts.Interactive, "interactive", "i", false, "Attach container's STDIN")
	c.Flags().StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return c
}

func startRun(opts *StartOptions) error {
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	if opts.Attach || opts.Interactive {
		if len(opts.Containers) > 1 {
			return &FlagError{Err: errors.New("you cannot start and attach multiple containers at once")}
		}
		if c, err := sb.Container(opts.Containers[0]); err == nil {
			if err := checkTTY(opts.IO, c.Config.Tty && opts.Interactive); err != nil {
				return err
			}
		}
		ctr, err := sb.Start(opts.Containers[0], true)
		if err != nil {
			return runError(err)
		}
		code, err := attachAndWait(opts.IO, sb, ctr.ID, ctr.Config.Tty, opts.Interactive, opts.DetachKeys)
		if errors.Is(err, runtime.ErrDetached) {
			return nil
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return &ExitError{Code: code}
		}
		return nil
	}
	var failed []string
	for _, name := range opts.Containers {
		if _, err := sb.Start(name, false); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Error: %s\n", err)
			failed = append(failed, name)
			continue
		}
		fmt.Fprintln(opts.IO.Out, name)
	}
	if len(failed) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "Error: failed to start containers: %s\n", strings.Join(failed, ", "))
		return &ExitError{Code: exitError}
	}
	return nil
}

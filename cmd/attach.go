package cmd

import (
	"errors"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/spf13/cobra"
)

// AttachOptions are `docker attach`'s flags.
type AttachOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Container  string
	NoStdin    bool
	DetachKeys string
}

// NewAttachCmd is `docker attach`.
func NewAttachCmd(f *Factory, runF func(*AttachOptions) error) *cobra.Command {
	opts := &AttachOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Long: `Connect your terminal to a running container's main process. Press Enter if no
prompt shows yet. Ctrl-p ctrl-q detaches and leaves it running; "exit" in its shell
stops it, and attach returns its exit code.`,
		Example: `  docker start marked && docker attach marked`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container = args[0]
			if runF != nil {
				return runF(opts)
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			ctr, err := sb.Container(opts.Container)
			if err != nil {
				return err
			}
			if !ctr.State.Running {
				return errAttachStopped
			}
			if err := checkTTY(opts.IO, ctr.Config.Tty && !opts.NoStdin && ctr.Config.OpenStdin); err != nil {
				return err
			}
			code, err := attachAndWait(opts.IO, sb, ctr.ID, ctr.Config.Tty, !opts.NoStdin && ctr.Config.OpenStdin, opts.DetachKeys)
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
		},
	}
	c.Flags().BoolVar(&opts.NoStdin, "no-stdin", false, "Do not attach STDIN")
	c.Flags().StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return c
}

// dockerMessage is an error worded exactly as Docker words it (capitals included).
type dockerMessage string

func (m dockerMessage) Error() string { return string(m) }

const errAttachStopped = dockerMessage("You cannot attach to a stopped container, start it first")

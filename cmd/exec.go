package cmd

import (
	"errors"
	"fmt"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/spf13/cobra"
)

// ExecOptions are `docker exec`'s flags.
type ExecOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Container   string
	Cmd         []string
	Interactive bool
	TTY         bool
	User        string
	Workdir     string
	Env         []string
}

// NewExecCmd is `docker exec`.
func NewExecCmd(f *Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Long:  `Run another process inside a running container's namespaces and file system.`,
		Example: `  docker exec marked ls /home
  docker exec -it marked bash`,
		Args: minArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container, opts.Cmd = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			s, restore := terminalStreams(opts.IO, opts.TTY, opts.Interactive, []byte{})
			p := runtime.Process{Args: opts.Cmd, Cwd: opts.Workdir, User: opts.User, Tty: opts.TTY, OpenStdin: opts.Interactive}
			if len(opts.Env) > 0 {
				ctr, err := sb.Container(opts.Container)
				if err != nil {
					restore()
					return err
				}
				p.Env = sandbox.WithEnv(ctr.Config.Env, opts.Env)
			}
			code, err := sb.Exec(opts.Container, p, s)
			restore()
			if err != nil {
				var ee *runtime.ExecError
				if errors.As(err, &ee) {
					return execFailed(ee)
				}
				return err
			}
			if code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&opts.Interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fl.BoolVarP(&opts.TTY, "tty", "t", false, "Allocate a pseudo-TTY")
	fl.StringVarP(&opts.User, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fl.StringVarP(&opts.Workdir, "workdir", "w", "", "Working directory inside the container")
	fl.StringArrayVarP(&opts.Env, "env", "e", nil, "Set environment variables")
	return c
}

// execFailed is a command exec could not start, as Docker 20.10 says it: in runc's
// words, and always exit code 126 (run tells 127 from 126; exec does not).
func execFailed(ee *runtime.ExecError) error {
	return &exitWithMessage{code: 126, bare: true,
		err: fmt.Errorf("OCI runtime exec failed: exec failed: unable to start container process: %s: unknown", ee.Msg)}
}

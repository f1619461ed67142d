package cmd

import (
	"errors"
	"fmt"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// RunOptions are `docker run`'s (and `docker create`'s) flags.
type RunOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Image       string
	Cmd         []string
	Name        string
	Interactive bool
	TTY         bool
	Detach      bool
	Rm          bool
	Env         []string
	Workdir     string
	User        string
	Hostname    string
	Entrypoint  string
	Network     string // network area: see run_network.go
	Publish     []string
	PublishAll  bool
	DetachKeys  string
	SecurityOpt []string
	Volumes     volumeFlags     // volumes: -v, --mount, --tmpfs, --read-only
	Verbs       runVerbsOptions // labels, env files, --privileged (run_verbs.go)
}

func addCreateFlags(c *cobra.Command, opts *RunOptions) {
	fl := c.Flags()
	fl.SetInterspersed(false) // everything after IMAGE is the container's command
	fl.StringVar(&opts.Name, "name", "", "Assign a name to the container")
	fl.BoolVarP(&opts.Interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fl.BoolVarP(&opts.TTY, "tty", "t", false, "Allocate a pseudo-TTY")
	fl.StringArrayVarP(&opts.Env, "env", "e", nil, "Set environment variables")
	fl.StringVarP(&opts.Workdir, "workdir", "w", "", "Working directory inside the container")
	fl.StringVarP(&opts.User, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fl.StringVarP(&opts.Hostname, "hostname", "h", "", "Container host name")
	fl.StringVar(&opts.Entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	addNetworkFlags(fl, opts)
	fl.StringArrayVar(&opts.SecurityOpt, "security-opt", nil,
		"Security options: seccomp=unconfined, seccomp=PROFILE.json (Docker's profile format), no-new-privileges[=true|false]")
	addVolumeFlags(c, &opts.Volumes)
	addRunVerbsFlags(c, &opts.Verbs)
	c.Flags().BoolP("help", "", false, "Print usage")
}

func (opts *RunOptions) createOptions(c *cobra.Command) (sandbox.CreateOptions, error) {
	secOpts, err := sandbox.ReadSecurityOpts(opts.SecurityOpt)
	if err != nil {
		return sandbox.CreateOptions{}, &FlagError{Err: err}
	}
	co := sandbox.CreateOptions{
		Image: opts.Image, Name: opts.Name, Cmd: opts.Cmd, Env: opts.Env, WorkingDir: opts.Workdir,
		User: opts.User, Hostname: opts.Hostname, Tty: opts.TTY, OpenStdin: opts.Interactive,
		AutoRemove: opts.Rm, SecurityOpt: secOpts,
	}
	opts.networkOptions(&co)
	if c.Flags().Changed("entrypoint") {
		ep := opts.Entrypoint
		co.Entrypoint = &ep
	}
	if err := opts.Volumes.apply(&co); err != nil {
		return co, err
	}
	if err := opts.Verbs.apply(&co, opts.IO.ErrOut); err != nil {
		var fe *FlagError
		if errors.As(err, &fe) {
			return co, err
		}
		return co, runError(err)
	}
	return co, nil
}

// NewRunCmd is `docker run`.
func NewRunCmd(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Long: `Create a container from an image and start its command: a fresh writable layer on
top of the image's layers, new namespaces, the command as pid 1. With -it you get an
interactive terminal; exiting the shell stops the container. Ctrl-p ctrl-q detaches.`,
		Example: `  docker run hello-world
  docker run -it ubuntu bash
  docker run --name marked ubuntu sh -c 'echo hi > /tmp/x'
  docker run -d --rm busybox sleep 60
  docker run --security-opt seccomp=unconfined busybox grep Seccomp /proc/self/status`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Image, opts.Cmd = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			return runRun(c, opts)
		},
	}
	addCreateFlags(c, opts)
	c.Flags().BoolVarP(&opts.Detach, "detach", "d", false, "Run container in background and print container ID")
	c.Flags().BoolVar(&opts.Rm, "rm", false, "Automatically remove the container when it exits")
	c.Flags().StringVar(&opts.DetachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return c
}

// createContainer creates, pulling a missing image first as Docker does.
func createContainer(c *cobra.Command, ios *iostreams.IOStreams, sb *sandbox.Sandbox, co sandbox.CreateOptions) (*sandbox.Container, error) {
	ctr, err := sb.Create(co)
	if !errors.Is(err, store.ErrNoSuchImage) {
		return ctr, err
	}
	ref, perr := store.ParseRef(co.Image)
	if perr != nil {
		return nil, perr
	}
	fmt.Fprintf(ios.ErrOut, "Unable to find image '%s' locally\n", ref)
	if _, err := sb.Pull(c.Context(), co.Image, nil); err != nil {
		return nil, err
	}
	return sb.Create(co)
}

func runRun(c *cobra.Command, opts *RunOptions) error {
	co, err := opts.createOptions(c)
	if err != nil {
		return err
	}
	if err := checkTTY(opts.IO, opts.TTY && opts.Interactive && !opts.Detach); err != nil {
		return err
	}
	sb, err := opts.Sandbox()
	if err != nil {
		return err
	}
	// The container's shim starts up while the container is made.
	sh := sb.PrepareStart(&co)
	defer sh.Close()
	ctr, err := createContainer(c, opts.IO, sb, co)
	if err != nil {
		return runError(err)
	}
	if opts.Detach {
		if err := sb.StartCreated(sh, ctr, false); err != nil {
			sb.Remove(ctr.ID, true)
			return startError(err)
		}
		// A detached --rm container is removed by the next command that lists
		// containers once it has exited (see Sandbox.ReapAutoRemoved).
		fmt.Fprintln(opts.IO.Out, ctr.ID)
		return nil
	}
	if err := sb.StartCreated(sh, ctr, true); err != nil {
		if opts.Rm {
			sb.Remove(ctr.ID, true)
		}
		return startError(err)
	}
	code, err := attachAndWait(opts.IO, sb, ctr.ID, opts.TTY, opts.Interactive, opts.DetachKeys)
	if errors.Is(err, runtime.ErrDetached) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.Rm {
		if err := sb.RemoveExited(ctr); err != nil {
			return err
		}
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// errNotATTY is Docker's refusal of -it when stdin is not a terminal.
const errNotATTY = bareMessage("the input device is not a TTY")

// bareMessage is printed as it is, without "Error: ", as Docker prints it.
type bareMessage string

func (m bareMessage) Error() string { return string(m) }

// checkTTY refuses an interactive terminal session when stdin is not a terminal:
// nothing could end the shell, as Docker explains with the same words.
func checkTTY(ios *iostreams.IOStreams, want bool) error {
	if want && !ios.IsStdinTTY() {
		return errNotATTY
	}
	return nil
}

// attachAndWait attaches the terminal and returns the container's exit code.
func attachAndWait(ios *iostreams.IOStreams, sb *sandbox.Sandbox, id string, tty, stdin bool, detachKeys string) (int, error) {
	var keys []byte
	if detachKeys != "" {
		var err error
		if keys, err = parseDetachKeys(detachKeys); err != nil {
			return 0, err
		}
	}
	s, restore := terminalStreams(ios, tty, stdin, keys)
	code, err := sb.AttachID(id, s)
	restore()
	if errors.Is(err, runtime.ErrDetached) {
		fmt.Fprintln(ios.ErrOut, "read escape sequence")
	}
	return code, err
}

// parseDetachKeys reads Docker's "ctrl-p,ctrl-q" notation.
func parseDetachKeys(s string) ([]byte, error) {
	var out []byte
	for _, part := range splitComma(s) {
		switch {
		case len(part) == 6 && part[:5] == "ctrl-":
			ch := part[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
			case ch == '@':
				out = append(out, 0)
			case ch >= '[' && ch <= '_':
				out = append(out, ch-'['+27)
			default:
				return nil, &FlagError{Err: fmt.Errorf("invalid detach keys (%s) provided", s)}
			}
		case len(part) == 1:
			out = append(out, part[0])
		default:
			return nil, &FlagError{Err: fmt.Errorf("invalid detach keys (%s) provided", s)}
		}
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// runError gives a failed start Docker's exit codes: 127 command not found,
// 126 not executable, 125 for everything else that went wrong before the command ran.
func runError(err error) error {
	var ee *runtime.ExecError
	if errors.As(err, &ee) {
		return &exitWithMessage{code: ee.Code, err: err}
	}
	return &exitWithMessage{code: exitDocker, err: err}
}

// startError is runError for a container that was made but did not start: Docker's
// CLI then prints the daemon's words without its pointer to --help.
func startError(err error) error {
	code := exitDocker
	var ee *runtime.ExecError
	if errors.As(err, &ee) {
		code = ee.Code
	}
	return &exitWithMessage{code: code, err: err, noHelp: true}
}

// exitWithMessage prints err and exits with code.
type exitWithMessage struct {
	code   int
	err    error
	noHelp bool
	bare   bool // printed as it is, without "docker: Error: "
}

func (e *exitWithMessage) Error() string { return e.err.Error() }
func (e *exitWithMessage) Unwrap() error { return e.err }

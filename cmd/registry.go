package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// RegistryOptions are the flags of login, logout, push and search.
type RegistryOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Username      string
	Password      string
	PasswordStdin bool
	Limit         int
	NoTrunc       bool
}

// NewLoginCmd is `docker login`.
func NewLoginCmd(f *Factory) *cobra.Command {
	o := &RegistryOptions{IO: f.IOStreams}
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a Docker registry",
		Long: `Check a user name and password with a registry (Docker Hub when no SERVER is
given) and keep them in Docker's config file (~/.docker/config.json, or
$DOCKER_CONFIG), where pull and push find them.`,
		Example: `  docker login -u learner localhost:5000
  echo "$TOKEN" | docker login -u learner --password-stdin`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return loginRun(c, o, serverArg(args))
		},
	}
	c.Flags().StringVarP(&o.Username, "username", "u", "", "Username")
	c.Flags().StringVarP(&o.Password, "password", "p", "", "Password")
	c.Flags().BoolVar(&o.PasswordStdin, "password-stdin", false, "Take the password from stdin")
	return c
}

func loginRun(c *cobra.Command, o *RegistryOptions, server string) error {
	if o.Password != "" {
		fmt.Fprintln(o.IO.ErrOut, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if o.PasswordStdin {
			return &FlagError{Err: errors.New("--password and --password-stdin are mutually exclusive")}
		}
	}
	if o.PasswordStdin {
		if o.Username == "" {
			//lint:ignore ST1005 Docker's own message, which learners search for
			return &FlagError{Err: errors.New("Must provide --username with --password-stdin")}
		}
		line, _ := bufio.NewReader(o.IO.In).ReadString('\n')
		o.Password = strings.TrimRight(line, "\r\n")
	}
	if o.Username == "" || o.Password == "" {
		return errors.New("cannot perform an interactive login from a non TTY device: give -u and -p, or --password-stdin")
	}
	if err := sandbox.Login(c.Context(), server, o.Username, o.Password); err != nil {
		return err
	}
	fmt.Fprintln(o.IO.Out, "Login Succeeded")
	return nil
}

// NewLogoutCmd is `docker logout`.
func NewLogoutCmd(f *Factory) *cobra.Command {
	o := &RegistryOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:     "logout [SERVER]",
		Short:   "Log out from a Docker registry",
		Long:    "Forget the credentials login kept for a registry (Docker Hub when no SERVER is given).",
		Example: "  docker logout localhost:5000",
		Args:    rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			key, had, err := sandbox.Logout(serverArg(args))
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(o.IO.Out, "Not logged in to %s\n", key)
				return nil
			}
			fmt.Fprintf(o.IO.Out, "Removing login credentials for %s\n", key)
			return nil
		},
	}
}

// NewPushCmd is `docker push`.
func NewPushCmd(f *Factory) *cobra.Command {
	o := &RegistryOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	return &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Push an image or a repository to a registry",
		Long: `Send an image to the registry its name says (tag it first: docker tag app
localhost:5000/app), with the credentials docker login kept.`,
		Example: "  docker tag hello-world localhost:5000/hello\n  docker push localhost:5000/hello",
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := o.Sandbox()
			if err != nil {
				return err
			}
			res, err := sb.Push(c.Context(), args[0])
			if res.Repository != "" {
				fmt.Fprintf(o.IO.Out, "The push refers to repository [%s]\n", res.Repository)
			}
			if err != nil {
				return err
			}
			for i := len(res.Layers) - 1; i >= 0; i-- {
				fmt.Fprintf(o.IO.Out, "%s: Pushed\n", res.Layers[i])
			}
			fmt.Fprintf(o.IO.Out, "%s: digest: %s size: %d\n", res.Tag, res.Digest, res.Size)
			return nil
		},
	}
}

// NewSearchCmd is `docker search`.
func NewSearchCmd(f *Factory) *cobra.Command {
	o := &RegistryOptions{IO: f.IOStreams}
	c := &cobra.Command{
		Use:     "search [OPTIONS] TERM",
		Short:   "Search the Docker Hub for images",
		Long:    "Ask Docker Hub for images whose name or description has TERM. It needs the network: offline, it says so.",
		Example: "  docker search nginx\n  docker search --limit 5 python",
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := sandbox.Search(c.Context(), args[0], o.Limit)
			if errors.Is(err, sandbox.ErrOffline) {
				return bareMessage("Error: docker search needs Docker Hub, and it cannot be reached: this machine looks offline.\n" + err.Error())
			}
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(o.IO.Out, 10, 1, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDESCRIPTION\tSTARS\tOFFICIAL\tAUTOMATED")
			for _, r := range res {
				desc := strings.ReplaceAll(r.Description, "\n", " ")
				if !o.NoTrunc {
					desc = ellipsis(desc, 45)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Name, desc, r.Stars, okMark(r.Official), okMark(r.Automated))
			}
			return tw.Flush()
		},
	}
	c.Flags().IntVar(&o.Limit, "limit", 25, "Max number of search results")
	c.Flags().BoolVar(&o.NoTrunc, "no-trunc", false, "Don't truncate output")
	return c
}

func okMark(b bool) string {
	if b {
		return "[OK]"
	}
	return ""
}

// serverArg is login's and logout's optional SERVER ("" for Docker Hub).
func serverArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

package cmd

import (
	"fmt"
	"io"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// CommitOptions are `docker commit`'s flags.
type CommitOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Container string
	Ref       string
	Author    string
	Message   string
	Changes   []string
	Pause     bool
}

// NewCommitCmd is `docker commit`.
func NewCommitCmd(f *Factory, runF func(*CommitOptions) error) *cobra.Command {
	opts := &CommitOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Long: `Turn what a container changed into a new image: one more layer on top of the
container's image. The new image's config starts from the container's own, so its CMD
is the command the container ran (bash, for a container started with "run -it ubuntu
bash") unless --change says otherwise.`,
		Example: `  docker commit marked
  docker commit -m "python3 installed" -a "me" marked my-python
  docker commit --change 'CMD ["python3"]' marked my-python:v2`,
		Args: rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Container = args[0]
			if len(args) == 2 {
				opts.Ref = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			if err := checkCommitRef(opts.Ref); err != nil {
				return err
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			res, err := sb.Commit(opts.Container, sandbox.CommitOptions{
				Ref: opts.Ref, Author: opts.Author, Message: opts.Message, Changes: opts.Changes, Pause: opts.Pause,
				Context: c.Context(),
			})
			if err != nil {
				return err
			}
			if res.Warning != "" {
				fmt.Fprintf(opts.IO.ErrOut, "Warning: %s\n", res.Warning)
			}
			fmt.Fprintln(opts.IO.Out, res.ID)
			return nil
		},
	}
	fl := c.Flags()
	fl.SetInterspersed(false) // as Docker's: what follows CONTAINER is never a flag
	fl.StringVarP(&opts.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	fl.StringVarP(&opts.Message, "message", "m", "", "Commit message")
	fl.StringArrayVarP(&opts.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	fl.BoolVarP(&opts.Pause, "pause", "p", true, "Pause container during commit")
	return c
}

// checkCommitRef refuses the references Docker's client refuses before it asks its
// daemon; Docker prints those errors bare (no "Error response from daemon").
func checkCommitRef(s string) error {
	if s == "" {
		return nil
	}
	ref, err := store.ParseRef(s)
	if err == nil && ref.Digest != "" {
		err = ref.Taggable()
	}
	if err != nil {
		return bareMessage(err.Error())
	}
	return nil
}

// NewDiffCmd is `docker diff`.
func NewDiffCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Long: `List what a container changed compared with its image: A added, C changed,
D deleted. This is exactly what "docker commit" would put in the new layer.`,
		Example: `  docker diff marked`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sb, err := f.Sandbox()
			if err != nil {
				return err
			}
			changes, err := sb.Diff(args[0])
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintf(f.IOStreams.Out, "%c %s\n", ch.Kind, ch.Path)
			}
			return nil
		},
	}
}

// NewExportCmd is `docker export`.
func NewExportCmd(f *Factory) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Long:  `Write the container's whole file system (its image with its changes on top) as one tar.`,
		Example: `  docker export -o marked.tar marked
  docker export marked | tar -t`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if output == "" && f.IOStreams.IsStdoutTTY() {
				return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			sb, err := f.Sandbox()
			if err != nil {
				return err
			}
			return writeAtomicOrStdout(f.IOStreams, output, func(w io.Writer) error { return sb.Export(args[0], w) })
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}

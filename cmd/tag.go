package cmd

import (
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// TagOptions are `docker tag`'s arguments.
type TagOptions struct {
	IO      *iostreams.IOStreams
	Sandbox func() (*sandbox.Sandbox, error)

	Source, Target string
}

// NewTagCmd is `docker tag`.
func NewTagCmd(f *Factory, runF func(*TagOptions) error) *cobra.Command {
	opts := &TagOptions{IO: f.IOStreams, Sandbox: f.Sandbox}
	c := &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Long: `Give an image another name. A tag is only a name in repositories.json that points
at an image ID; the image itself is not copied.`,
		Example: `  docker tag ubuntu my-ubuntu:v1
  docker tag 3f57d9401f8d localhost:5000/team/app`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Source, opts.Target = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			sb, err := opts.Sandbox()
			if err != nil {
				return err
			}
			return sb.Tag(opts.Source, opts.Target)
		},
	}
	c.Flags().SetInterspersed(false) // as Docker's: a word after the image is never a flag
	return c
}

package cmd

import (
	"github.com/dockling/dockling/internal/cmdline"
	"github.com/spf13/cobra"
)

// NewImageCmd is the `docker image` group.
func NewImageCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Example: `  docker image ls
  docker image inspect ubuntu`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	ls := NewImagesCmd(f, nil)
	ls.Use = "ls [OPTIONS] [REPOSITORY[:TAG]]"
	ls.Aliases = []string{"list"}
	ls.Annotations = map[string]string{cmdline.SameAs: "images"}
	rm := NewRmiCmd(f, nil)
	rm.Use = "rm [OPTIONS] IMAGE [IMAGE...]"
	rm.Aliases = []string{"remove"}
	rm.Annotations = map[string]string{cmdline.SameAs: "rmi"}
	c.AddCommand(ls, rm, NewImageInspectCmd(f), NewHistoryCmd(f, nil), NewTagCmd(f, nil),
		NewPullCmd(f, nil), NewLoadCmd(f, nil), NewSaveCmd(f, nil), NewImportCmd(f, nil),
		NewBuildCmd(f, nil))
	c.AddCommand(NewImagePruneCmd(f), NewPushCmd(f))
	return c
}

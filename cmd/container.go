package cmd

import (
	"github.com/dockling/dockling/internal/dockerapi"
	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewContainerCmd is the `docker container` group.
func NewContainerCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Example: `  docker container ls -a
  docker container prune -f`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	ls := NewPsCmd(f, nil)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	inspect := NewInspectCmd(f, nil)
	inspect.Use = "inspect [OPTIONS] CONTAINER [CONTAINER...]"
	inspect.Flags().Lookup("type").Value.Set("container")
	inspect.Flags().MarkHidden("type")
	c.AddCommand(ls, inspect, NewRunCmd(f, nil), NewCreateCmd(f, nil), NewStartCmd(f, nil),
		NewAttachCmd(f, nil), NewPortCmd(f, nil), NewStopCmd(f), NewKillCmd(f), NewRestartCmd(f), NewRmCmd(f),
		NewLogsCmd(f, nil), NewExecCmd(f, nil), NewWaitCmd(f), NewTopCmd(f), NewContainerPruneCmd(f),
		NewCommitCmd(f, nil), NewDiffCmd(f), NewExportCmd(f))
	c.AddCommand(NewPauseCmd(f), NewUnpauseCmd(f), NewRenameCmd(f), NewStatsCmd(f))
	return c
}

func init() {
	inspectors["container"] = inspectContainer
}

// inspectContainer is Docker's container inspect document, typed as for images.
func inspectContainer(sb *sandbox.Sandbox, name string) (any, error) {
	return dockerapi.InspectContainer(sb, name)
}

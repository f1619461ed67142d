package cmd

import (
	"encoding/json"
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
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
	return c
}

func init() {
	inspectors["container"] = inspectContainer
}

// inspectContainer is Docker's container inspect document.
func inspectContainer(sb *sandbox.Sandbox, name string) (any, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	doc["Id"] = c.ID
	delete(doc, "ID")
	doc["HostConfig"] = c.HostConfig
	doc["RestartCount"] = 0
	if rw, err := sb.Store.RWLayer(c.ID); err == nil {
		// Docker's vfs driver reports no data.
		var data map[string]string
		if rw.Driver == store.DriverOverlay {
			data = map[string]string{"UpperDir": rw.Upper, "WorkDir": rw.Work, "MergedDir": rw.Merged}
			if len(rw.Lower) > 0 {
				data["LowerDir"] = strings.Join(rw.Lower, ":")
			}
		}
		doc["GraphDriver"] = map[string]any{"Name": rw.Driver, "Data": data}
	}
	// Round-trip so templates see plain maps, as for images.
	b, _ = json.Marshal(doc)
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

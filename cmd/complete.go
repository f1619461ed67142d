package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// completeContainers offers container names for shell completion.
func completeContainers(f *Factory) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		sb, err := f.Sandbox()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		cs, _ := sb.Containers()
		var out []string
		for _, ctr := range cs {
			if strings.HasPrefix(ctr.ShortName(), toComplete) {
				out = append(out, ctr.ShortName())
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeImages offers image references for shell completion.
func completeImages(f *Factory) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		sb, err := f.Sandbox()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		list, _ := sb.Images()
		var out []string
		for _, im := range list {
			if im.Repository == "<none>" {
				continue
			}
			if ref := im.Repository + ":" + im.Tag; strings.HasPrefix(ref, toComplete) {
				out = append(out, ref)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// setCompletions attaches name completion to the docker verbs below parent.
func setCompletions(parent *cobra.Command, f *Factory) {
	containerVerbs := map[string]bool{"start": true, "attach": true, "stop": true, "kill": true, "restart": true,
		"rm": true, "logs": true, "exec": true, "wait": true, "top": true, "commit": true, "diff": true, "export": true}
	imageVerbs := map[string]bool{"run": true, "create": true, "rmi": true, "history": true, "tag": true, "save": true}
	for _, c := range parent.Commands() {
		name := c.Name()
		switch {
		case containerVerbs[name] && c.ValidArgsFunction == nil:
			c.ValidArgsFunction = completeContainers(f)
		case imageVerbs[name] && c.ValidArgsFunction == nil:
			c.ValidArgsFunction = completeImages(f)
		case name == "inspect" && c.ValidArgsFunction == nil:
			imgs, ctrs := completeImages(f), completeContainers(f)
			c.ValidArgsFunction = func(cc *cobra.Command, args []string, tc string) ([]string, cobra.ShellCompDirective) {
				a, _ := ctrs(cc, args, tc)
				b, d := imgs(cc, args, tc)
				return append(a, b...), d
			}
		}
		if c.HasSubCommands() {
			setCompletions(c, f)
		}
	}
}

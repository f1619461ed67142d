package cmd

import (
	"github.com/dockling/dockling/internal/cmdline"
	"github.com/spf13/cobra"
)

// DockerGrammar is the Docker command-line grammar of dockling's own docker verbs,
// built from their cobra commands, for the journal, the checker and completion.
func DockerGrammar() *cmdline.Grammar {
	f := &Factory{}
	root := &cobra.Command{Use: "dockling"}
	addGlobalFlags(root, f)
	docker := newDockerGroup(f, verbAll)
	root.AddCommand(docker)
	return cmdline.FromCobra(docker)
}

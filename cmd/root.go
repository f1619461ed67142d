package cmd

import (
	"os"
	"slices"

	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewRootCmd is `dockling`, to run with args (without the program name). The docker
// verbs under `dockling docker` are the same commands as at the top level; they are
// built only when args name docker, since building every command twice took a
// tenth of a short command's time.
func NewRootCmd(f *Factory, args []string) *cobra.Command {
	c := &cobra.Command{
		Use:   "dockling",
		Short: "Learn containers by doing: guided Docker lessons on a built-in runtime",
		Long: `dockling teaches containers by doing. You type real docker commands; a built-in,
daemonless container runtime carries them out; dockling checks what happened.

The docker commands work as "dockling <verb>", as "dockling docker <verb>", and as
"docker <verb>" when dockling is installed under the name docker.`,
		Example: `  dockling images
  dockling docker run -it ubuntu bash
  eval "$(dockling env)"   # then use plain "docker" in this shell`,
		Args:          noSubcommand,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, args []string) error {
			// On a terminal, plain "dockling" opens the lesson menu.
			if f.IOStreams.IsStdinTTY() && f.IOStreams.IsStdoutTTY() {
				return LearnMenu(c.Context(), f)
			}
			return c.Help()
		},
	}
	addGlobalFlags(c, f)
	addDockerVerbs(c, f)
	c.AddCommand(newDockerGroup(f, slices.Contains(args, "docker")))
	c.AddCommand(NewEnvCmd(f, nil))
	c.AddCommand(NewStandinCmd(f))
	c.AddCommand(NewLearnCmd(f, nil))
	c.AddCommand(NewAuthorCmd(f), NewGradeCmd(f, nil), NewSubmitCmd(f))
	return c
}

// addGlobalFlags binds the flags every command shares to the factory.
func addGlobalFlags(c *cobra.Command, f *Factory) {
	c.PersistentFlags().StringVar(&f.DataRoot, "root", "", "data root (default $DOCKLING_ROOT, /var/lib/dockling as root, else ~/.local/share/dockling)")
	def := os.Getenv("DOCKLING_SANDBOX")
	if def == "" {
		def = sandbox.DefaultSandbox
	}
	c.PersistentFlags().StringVar(&f.SandboxName, "sandbox", def, "sandbox to use (each lesson has its own; $DOCKLING_SANDBOX)")
}

// NewDockerCmd is the docker-compatible command set, as `dockling docker` or as the
// whole program when invoked under the name docker.
func NewDockerCmd(f *Factory) *cobra.Command { return newDockerGroup(f, true) }

// newDockerGroup is NewDockerCmd, with its verbs only when withVerbs.
func newDockerGroup(f *Factory, withVerbs bool) *cobra.Command {
	c := &cobra.Command{
		Use:   "docker",
		Short: "Docker-compatible commands, carried out by dockling's built-in runtime",
		Example: `  dockling docker images
  dockling docker history ubuntu`,
		Args:        noSubcommand,
		Annotations: map[string]string{"docker": "true"},
		RunE: func(c *cobra.Command, args []string) error {
			return c.Help()
		},
	}
	if withVerbs {
		addDockerVerbs(c, f)
	}
	return c
}

// addDockerVerbs adds every docker verb to parent.
func addDockerVerbs(parent *cobra.Command, f *Factory) {
	verbs := []*cobra.Command{
		NewImagesCmd(f, nil),
		NewImageCmd(f),
		NewInspectCmd(f, nil),
		NewHistoryCmd(f, nil),
		NewTagCmd(f, nil),
		NewRmiCmd(f, nil),
		NewPullCmd(f, nil),
		NewLoadCmd(f, nil),
		NewSaveCmd(f, nil),
		NewImportCmd(f, nil),
		NewSystemCmd(f),
		NewInfoCmd(f, nil),
		NewVersionCmd(f),
		NewContainerCmd(f),
		NewRunCmd(f, nil),
		NewCreateCmd(f, nil),
		NewStartCmd(f, nil),
		NewAttachCmd(f, nil),
		NewStopCmd(f),
		NewKillCmd(f),
		NewRestartCmd(f),
		NewRmCmd(f),
		NewPsCmd(f, nil),
		NewLogsCmd(f, nil),
		NewExecCmd(f, nil),
		NewWaitCmd(f),
		NewTopCmd(f),
		NewCommitCmd(f, nil),
		NewDiffCmd(f),
		NewExportCmd(f),
	}
	for _, v := range verbs {
		if v.Annotations == nil {
			v.Annotations = map[string]string{}
		}
		v.Annotations["docker"] = "true"
		parent.AddCommand(v)
	}
	setCompletions(parent, f)
}

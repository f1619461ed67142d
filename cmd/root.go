package cmd

import (
	"os"
	"slices"
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/spf13/cobra"
)

// NewRootCmd is `dockling`, to run with args (without the program name). Only the
// commands args can reach are built: one docker verb when args run one (at the top
// level or under docker), every command otherwise (help, completion, a typo that
// cobra suggests a fix for). Building all of them, twice for the docker verbs, took
// a tenth of a short command's time.
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
	switch verb, rest := wantedVerb(args); {
	case verb == "docker":
		addDockerVerbs(c, f, verbNone)
		want := dockerVerbWanted(rest)
		c.AddCommand(newDockerGroup(f, want))
		if want != verbAll {
			return oneVerb(c)
		}
	case dockerVerbs[verb] != nil:
		addDockerVerbs(c, f, verb)
		c.AddCommand(newDockerGroup(f, verbNone))
		return oneVerb(c)
	default:
		addDockerVerbs(c, f, verbAll)
		group := verbNone
		if slices.Contains(args, "docker") { // completion or help under docker
			group = verbAll
		}
		c.AddCommand(newDockerGroup(f, group))
	}
	c.AddCommand(NewEnvCmd(f, nil), NewJournalAppendCmd(f), NewRecordCmd(f, nil))
	c.AddCommand(NewStandinCmd(f))
	c.AddCommand(NewLearnCmd(f, nil))
	c.AddCommand(NewAuthorCmd(f), NewGradeCmd(f, nil), NewSubmitCmd(f))
	return c
}

// oneVerb finishes a root that runs one docker verb: no other command can be reached,
// so neither dockling's own nor cobra's completion command is built (a tenth of a
// millisecond of every images or ps).
func oneVerb(c *cobra.Command) *cobra.Command {
	c.CompletionOptions.DisableDefaultCmd = true
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
func NewDockerCmd(f *Factory, args []string) *cobra.Command {
	return newDockerGroup(f, dockerVerbWanted(args))
}

// newDockerGroup is NewDockerCmd with the verbs that want names (see addDockerVerbs).
func newDockerGroup(f *Factory, want string) *cobra.Command {
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
	addDockerVerbs(c, f, want)
	return c
}

// What addDockerVerbs builds besides one verb by name.
const (
	verbAll  = ""
	verbNone = "-"
)

// wantedVerb is the first word of args that is neither a flag nor a global flag's
// value, and the words after it.
func wantedVerb(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--root" || a == "--sandbox":
			i++ // its value follows
		case strings.HasPrefix(a, "-"):
		default:
			return a, args[i+1:]
		}
	}
	return "", nil
}

// dockerVerbWanted is the docker verb args run, or verbAll when they run none of them.
func dockerVerbWanted(args []string) string {
	verb, _ := wantedVerb(args)
	if _, ok := dockerVerbs[verb]; ok {
		return verb
	}
	return verbAll
}

// dockerVerbs builds each docker verb, by name.
var dockerVerbs = map[string]func(f *Factory) *cobra.Command{
	"images":    func(f *Factory) *cobra.Command { return NewImagesCmd(f, nil) },
	"image":     NewImageCmd,
	"inspect":   func(f *Factory) *cobra.Command { return NewInspectCmd(f, nil) },
	"history":   func(f *Factory) *cobra.Command { return NewHistoryCmd(f, nil) },
	"tag":       func(f *Factory) *cobra.Command { return NewTagCmd(f, nil) },
	"rmi":       func(f *Factory) *cobra.Command { return NewRmiCmd(f, nil) },
	"pull":      func(f *Factory) *cobra.Command { return NewPullCmd(f, nil) },
	"load":      func(f *Factory) *cobra.Command { return NewLoadCmd(f, nil) },
	"save":      func(f *Factory) *cobra.Command { return NewSaveCmd(f, nil) },
	"import":    func(f *Factory) *cobra.Command { return NewImportCmd(f, nil) },
	"build":     func(f *Factory) *cobra.Command { return NewBuildCmd(f, nil) },
	"builder":   NewBuilderCmd,
	"system":    NewSystemCmd,
	"info":      func(f *Factory) *cobra.Command { return NewInfoCmd(f, nil) },
	"version":   NewVersionCmd,
	"container": NewContainerCmd,
	"run":       func(f *Factory) *cobra.Command { return NewRunCmd(f, nil) },
	"create":    func(f *Factory) *cobra.Command { return NewCreateCmd(f, nil) },
	"start":     func(f *Factory) *cobra.Command { return NewStartCmd(f, nil) },
	"attach":    func(f *Factory) *cobra.Command { return NewAttachCmd(f, nil) },
	"stop":      NewStopCmd,
	"kill":      NewKillCmd,
	"restart":   NewRestartCmd,
	"rm":        NewRmCmd,
	"ps":        func(f *Factory) *cobra.Command { return NewPsCmd(f, nil) },
	"logs":      func(f *Factory) *cobra.Command { return NewLogsCmd(f, nil) },
	"exec":      func(f *Factory) *cobra.Command { return NewExecCmd(f, nil) },
	"wait":      NewWaitCmd,
	"top":       NewTopCmd,
	"port":      func(f *Factory) *cobra.Command { return NewPortCmd(f, nil) },
	"commit":    func(f *Factory) *cobra.Command { return NewCommitCmd(f, nil) },
	"diff":      NewDiffCmd,
	"export":    NewExportCmd,
	"volume":    NewVolumeCmd,
	"cp":        func(f *Factory) *cobra.Command { return NewCpCmd(f, nil) },
	// Verbs of issue 16's item 5.
	"pause":   NewPauseCmd,
	"unpause": NewUnpauseCmd,
	"rename":  NewRenameCmd,
	"stats":   NewStatsCmd,
	"login":   NewLoginCmd,
	"logout":  NewLogoutCmd,
	"push":    NewPushCmd,
	"search":  NewSearchCmd,
}

// addDockerVerbs adds the docker verbs to parent: all of them (verbAll), none
// (verbNone), or the one named want.
func addDockerVerbs(parent *cobra.Command, f *Factory, want string) {
	if want == verbNone {
		return
	}
	for name, build := range dockerVerbs {
		if want != verbAll && name != want {
			continue
		}
		v := build(f)
		if v.Annotations == nil {
			v.Annotations = map[string]string{}
		}
		v.Annotations["docker"] = "true"
		parent.AddCommand(v)
	}
	setCompletions(parent, f)
}

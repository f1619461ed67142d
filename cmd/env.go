package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons/session"
	"github.com/spf13/cobra"
)

// EnvOptions are `dockling env`'s flags.
type EnvOptions struct {
	IO *iostreams.IOStreams
	F  *Factory
	// Chosen: the sandbox was named (--sandbox or $DOCKLING_SANDBOX); else env takes
	// the lesson being learned or watched.
	Chosen bool
}

// NewEnvCmd is `dockling env`: shell code that makes "docker" mean dockling.
func NewEnvCmd(f *Factory, runF func(*EnvOptions) error) *cobra.Command {
	opts := &EnvOptions{IO: f.IOStreams, F: f}
	return &cobra.Command{
		Use:   "env",
		Short: "Print shell code that makes \"docker\" mean dockling in this shell",
		Long: `Print shell code to evaluate in your own terminal: it puts a "docker" that is
dockling first on PATH and selects a sandbox, so the docker commands you type there
act on the same sandbox a lesson checks. Without --sandbox (or $DOCKLING_SANDBOX) it
selects the lesson last started with dockling learn (or learn --watch), and says so.

In bash and zsh it also installs a hook that journals every line you type, with its
exit code, so a lesson watching the sandbox sees commands like cat and ls too.`,
		Example: `  eval "$(dockling env)"
  eval "$(dockling env --sandbox images-vs-containers)"`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Chosen = c.Flags().Changed("sandbox") || os.Getenv("DOCKLING_SANDBOX") != ""
			if runF != nil {
				return runF(opts)
			}
			return envRun(opts)
		},
	}
}

func envRun(opts *EnvOptions) error {
	root, err := opts.F.Root()
	if err != nil {
		return err
	}
	if !opts.Chosen {
		if cur := session.Current(root); cur != "" {
			opts.F.SandboxName = cur
			fmt.Fprintf(opts.IO.ErrOut, "dockling env: using sandbox %s, the lesson you started last (--sandbox NAME picks another)\n", cur)
		} else {
			fmt.Fprintf(opts.IO.ErrOut, "dockling env: using sandbox %s: no lesson was started yet (--sandbox NAME picks one)\n", opts.F.SandboxName)
		}
	}
	if _, err := opts.F.SandboxDir(); err != nil {
		return err
	}
	bin, err := session.DockerBin(root)
	if err != nil {
		return err
	}
	// DOCKLING_JOURNAL makes docker commands journal what they touch, so a lesson
	// watching this sandbox (dockling learn --watch) sees what was typed here.
	fmt.Fprintf(opts.IO.Out, "export DOCKLING_ROOT=%s\nexport DOCKLING_SANDBOX=%s\nexport DOCKLING_JOURNAL=1\nexport PATH=%s:\"$PATH\"\n",
		shellQuote(root), shellQuote(opts.F.SandboxName), shellQuote(bin))
	fmt.Fprint(opts.IO.Out, shellHook(filepath.Join(bin, "dockling")))
	return nil
}

// shellHook is the code that journals every line typed in bash or zsh: the line
// (caught before it runs: bash's DEBUG trap reading history, zsh's preexec) and its
// exit code (first thing at the next prompt: PROMPT_COMMAND, precmd) go to
// `dockling journal-append`, which adds what the line's docker commands noted they
// touched. Each shell's part is quoted and evaluated only by that shell, so others
// (sh) never parse it; there docker commands journal themselves.
func shellHook(exe string) string {
	app := shellQuote(exe) + " journal-append"
	bash := `__dockling_armed=
__dockling_line=
__dockling_preexec() {
  [ -n "$__dockling_armed" ] || return 0
  case $BASH_COMMAND in __dockling_precmd*) return 0;; esac
  __dockling_armed=
  local l
  l=$(HISTTIMEFORMAT= builtin history 1 2>/dev/null)
  if [ -n "$l" ]; then
    l=${l#"${l%%[![:space:]]*}"}
    l=${l#"${l%%[!0-9]*}"}
    l=${l:2}
  else
    l=$BASH_COMMAND
  fi
  __dockling_line=$l
}
__dockling_precmd() {
  local rc=$?
  if [ -n "$__dockling_line" ]; then
    ` + app + ` --exit "$rc" -- "$__dockling_line" 2>/dev/null
  fi
  __dockling_line=
  __dockling_armed=1
  return $rc
}
trap '__dockling_preexec' DEBUG
case ${PROMPT_COMMAND:-} in *__dockling_precmd*) ;; *) PROMPT_COMMAND="__dockling_precmd${PROMPT_COMMAND:+;$PROMPT_COMMAND}";; esac
export DOCKLING_HOOK=1
`
	zsh := `__dockling_line=
__dockling_preexec() { __dockling_line=$1 }
__dockling_precmd() {
  local rc=$?
  if [[ -n $__dockling_line ]]; then
    ` + app + ` --exit "$rc" -- "$__dockling_line" 2>/dev/null
  fi
  __dockling_line=
}
autoload -Uz add-zsh-hook
add-zsh-hook preexec __dockling_preexec
add-zsh-hook precmd __dockling_precmd
export DOCKLING_HOOK=1
`
	var b strings.Builder
	b.WriteString("if [ -n \"${BASH_VERSION:-}\" ]; then eval " + shellQuote(bash) + "\n")
	b.WriteString("elif [ -n \"${ZSH_VERSION:-}\" ]; then eval " + shellQuote(zsh) + "\n")
	b.WriteString("else unset DOCKLING_HOOK; fi\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

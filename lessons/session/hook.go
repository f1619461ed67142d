package session

import "fmt"

// The shell hook `dockling env` installs in the learner's own terminal, for
// `dockling learn --watch`: after every line typed, with that line's own exit code,
// it calls `dockling journal-append`, which adds the line to the hash-chained journal
// with what its docker commands noted they touched. It must hold whatever hooks the
// shell already has (pyenv's, starship's, direnv's):
//
//   - bash: PS0, expanded once when a line is read and before it runs, marks the line
//     as started (an assignment in an arithmetic subscript, which expands to
//     nothing); the hook, first in PROMPT_COMMAND, reads the status before any other
//     prompt hook ran, and the line from history. It puts itself first again at every
//     prompt, should a hook installed later have put itself before. No DEBUG trap:
//     one fires for other hooks' commands too, which made the journal a line late.
//   - zsh: preexec is given the line; precmd, first in precmd_functions (kept first
//     the same way), reads the status.
//   - fish: the fish_postexec event is given the line, and $status is its own.

// HookShells are the shells ShellHook knows.
var HookShells = []string{"bash", "zsh", "fish", "sh"}

// ShellHook is the code that journals every line in shell, calling exe: for fish,
// or for whichever of bash and zsh evaluates it (sh gets none: there docker commands
// journal themselves).
func ShellHook(shell, exe string) string {
	app := shQuote(exe) + " journal-append"
	switch shell {
	case "fish":
		return fmt.Sprintf(fishHook, app)
	}
	// Whichever POSIX-like shell evaluates it: each shell's part is quoted and
	// evaluated only by that shell, so that sh still parses the whole.
	return "if [ -n \"${BASH_VERSION:-}\" ]; then eval " + shQuote(fmt.Sprintf(bashHook, app)) + "\n" +
		"elif [ -n \"${ZSH_VERSION:-}\" ]; then eval " + shQuote(fmt.Sprintf(zshHook, app)) + "\n" +
		"else unset DOCKLING_HOOK; fi\n"
}

// ShellExports is the code that makes docker (in bin) dockling in shell, acting on
// sandbox under root and journalling what it does.
func ShellExports(shell, root, sandbox, bin string) string {
	if shell == "fish" {
		return fmt.Sprintf("set -gx DOCKLING_ROOT %s\nset -gx DOCKLING_SANDBOX %s\nset -gx DOCKLING_JOURNAL 1\nset -gx PATH %s $PATH\n",
			shQuote(root), shQuote(sandbox), shQuote(bin))
	}
	return fmt.Sprintf("export DOCKLING_ROOT=%s\nexport DOCKLING_SANDBOX=%s\nexport DOCKLING_JOURNAL=1\nexport PATH=%s:\"$PATH\"\n",
		shQuote(root), shQuote(sandbox), shQuote(bin))
}

const bashHook = `if [[ $(trap -p DEBUG) == *__dockling_preexec* ]]; then trap - DEBUG; fi
__dockling_started=
__dockling_precmd() {
  local rc=$? l
  if [ -n "$__dockling_started" ]; then
    __dockling_started=
    l=$(HISTTIMEFORMAT= builtin history 1 2>/dev/null)
    l=${l#"${l%%%%[![:space:]]*}"}
    l=${l#"${l%%%%[!0-9]*}"}
    l=${l#"${l%%%%[![:space:]]*}"}
    if [ -z "$l" ]; then :
    elif [ -n "${DOCKLING_RECORD:-}" ]; then printf '\033]7717;dockling;E;%%s;%%s\007' "$rc" "$(printf %%s "$l" | base64 -w0)"
    else %s --exit "$rc" -- "$l" 2>/dev/null; fi
  fi
  case ${PROMPT_COMMAND:-} in
  "__dockling_precmd;"*) ;;
  *) PROMPT_COMMAND="__dockling_precmd;${PROMPT_COMMAND//__dockling_precmd;/}";;
  esac
  return $rc
}
__dockling_mark=
if [ -n "${DOCKLING_RECORD:-}" ]; then __dockling_mark='\e]7717;dockling;S\a'; fi
case ${PS0:-} in *__dockling_started=1*) ;; *) PS0='${__dockling_ps0[__dockling_started=1]}'"$__dockling_mark${PS0:-}";; esac
case ${PROMPT_COMMAND:-} in "__dockling_precmd;"*) ;; *) PROMPT_COMMAND="__dockling_precmd;${PROMPT_COMMAND//__dockling_precmd;/}";; esac
export DOCKLING_HOOK=1
`

const zshHook = `__dockling_line=
__dockling_preexec() {
  __dockling_line=$1
  if [[ -n ${DOCKLING_RECORD:-} ]]; then printf '\033]7717;dockling;S\007'; fi
}
__dockling_precmd() {
  local rc=$?
  if [[ -z $__dockling_line ]]; then :
  elif [[ -n ${DOCKLING_RECORD:-} ]]; then
    printf '\033]7717;dockling;E;%%s;%%s\007' "$rc" "$(printf %%s "$__dockling_line" | base64 -w0)"
  else
    %s --exit "$rc" -- "$__dockling_line" 2>/dev/null
  fi
  __dockling_line=
  if [[ ${precmd_functions[1]} != __dockling_precmd ]]; then
    precmd_functions=(__dockling_precmd ${precmd_functions:#__dockling_precmd})
  fi
  return $rc
}
preexec_functions=(__dockling_preexec ${preexec_functions:#__dockling_preexec})
precmd_functions=(__dockling_precmd ${precmd_functions:#__dockling_precmd})
export DOCKLING_HOOK=1
`

const fishHook = `function __dockling_preexec --on-event fish_preexec
    if set -q DOCKLING_RECORD
        printf '\e]7717;dockling;S\a'
    end
end
function __dockling_postexec --on-event fish_postexec
    set -l rc $status
    if test -z (string trim -- "$argv[1]")
    else if set -q DOCKLING_RECORD
        printf '\e]7717;dockling;E;%%s;%%s\a' $rc (printf %%s "$argv[1]" | base64 -w0)
    else
        %s --exit $rc -- "$argv[1]" 2>/dev/null
    end
end
set -gx DOCKLING_HOOK 1
`

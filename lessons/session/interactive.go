package session

import (
	"path/filepath"
	"strings"
)

// interactivePrograms take over the terminal when run (with or without arguments):
// their output is a screen, not something to capture.
var interactivePrograms = map[string]bool{
	"bash": true, "sh": true, "zsh": true, "dash": true, "fish": true, "ash": true,
	"python": true, "python3": true, "node": true, "irb": true,
	"vi": true, "vim": true, "nvim": true, "nano": true, "emacs": true, "ed": true,
	"less": true, "more": true, "man": true, "top": true, "htop": true, "watch": true,
	"ssh": true, "su": true, "tmux": true, "screen": true,
	"mysql": true, "psql": true, "sqlite3": true, "telnet": true, "ftp": true,
}

// interpreters are the interactive programs that only take over the terminal when
// given nothing to run.
var interpreters = map[string]bool{
	"bash": true, "sh": true, "zsh": true, "dash": true, "fish": true, "ash": true,
	"python": true, "python3": true, "node": true, "irb": true,
}

// dockerValueFlags are the run/exec/start flags whose value is the next word, so the
// value is not read as the image or as more flags.
var dockerValueFlags = map[string]bool{
	"--name": true, "-e": true, "--env": true, "--env-file": true, "-v": true, "--volume": true,
	"-p": true, "--publish": true, "-w": true, "--workdir": true, "-u": true, "--user": true,
	"-h": true, "--hostname": true, "--entrypoint": true, "--network": true, "--net": true,
	"-m": true, "--memory": true, "--cpus": true, "-l": true, "--label": true, "--mount": true,
	"--add-host": true, "--restart": true, "--platform": true, "--pull": true, "--cidfile": true,
	"--log-driver": true, "-c": true, "--cpu-shares": true, "--detach-keys": true,
	"--root": true, "--sandbox": true, "--stop-signal": true, "--stop-timeout": true,
}

// Interactive guesses whether line needs the terminal itself: `docker run -it …`,
// `docker exec -it …`, `docker attach …`, `docker start -ai …`, or a program such as
// bash or vi. Such lines get the terminal handed straight through and their output
// is not captured; the others run with their output captured for the journal. A
// wrong guess costs little: an interactive line run with captured output still reads
// the real terminal, and a plain line handed the terminal is just not captured.
func Interactive(line string) bool {
	for _, cmd := range simpleCommands(line) {
		if commandInteractive(cmd) {
			return true
		}
	}
	return false
}

func commandInteractive(words []string) bool {
	// Skip assignments and wrappers that run the next word.
	for len(words) > 0 {
		w := words[0]
		if strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "=") {
			words = words[1:]
			continue
		}
		switch w {
		case "sudo", "time", "exec", "command", "env", "nohup", "builtin":
			words = words[1:]
			continue
		}
		break
	}
	if len(words) == 0 {
		return false
	}
	prog := filepath.Base(words[0])
	if interpreters[prog] && len(words) > 1 && words[1] != "-i" {
		// Given a script, -c or -m (python3 -m json.tool), it runs that and prints.
		return false
	}
	if interactivePrograms[prog] {
		return true
	}
	if prog != "docker" && prog != "dockling" {
		return false
	}
	args := words[1:]
	verb, args := nextVerb(args)
	if verb == "docker" && prog == "dockling" {
		verb, args = nextVerb(args)
	}
	if verb == "container" {
		verb, args = nextVerb(args)
	}
	switch verb {
	case "attach":
		return true
	case "run", "exec":
		return flagsHave(args, "it", "--interactive", "--tty")
	case "start":
		return flagsHave(args, "ai", "--attach", "--interactive")
	}
	return false
}

// nextVerb is the first word that is not a flag (nor a flag's value).
func nextVerb(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
		if dockerValueFlags[a] {
			i++
		}
	}
	return "", nil
}

// flagsHave reports whether the flags before the first argument include one of the
// short letters (alone or in a cluster such as -dit) or one of the long flags.
func flagsHave(args []string, letters string, long ...string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			name, _, hasValue := strings.Cut(a, "=")
			for _, l := range long {
				if name == l {
					return true
				}
			}
			if !hasValue && dockerValueFlags[name] {
				i++
			}
			continue
		}
		cluster, _, hasValue := strings.Cut(a[1:], "=")
		if strings.ContainsAny(cluster, letters) {
			return true
		}
		if !hasValue && dockerValueFlags["-"+cluster[len(cluster)-1:]] {
			i++
		}
	}
	return false
}

// simpleCommands splits a shell line into its simple commands' words, roughly: quotes
// are honoured, and ; | & && || ( ) separate commands.
func simpleCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			endWord()
		case strings.IndexByte(";|&()", c) >= 0:
			endCmd()
		case c == '#' && !inWord:
			endCmd()
			return cmds
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

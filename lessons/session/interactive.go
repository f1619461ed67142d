package session

import (
	"path/filepath"
	"slices"

	"github.com/dockling/dockling/internal/cmdline"
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

// Interactive guesses whether line needs the terminal itself: `docker run -it …`,
// `docker exec -it …`, `docker attach …`, `docker start -ai …`, or a program such as
// bash or vi, anywhere the shell would run it. Such lines get the terminal handed
// straight through and their output is not captured; the others run with their output
// captured for the journal. A wrong guess costs little: an interactive line run with
// captured output still reads the real terminal, and a plain line handed the terminal
// is just not captured.
func Interactive(line string) bool {
	cmds, err := cmdline.Parse(line)
	if err != nil {
		return false // the shell refuses it too
	}
	return slices.ContainsFunc(cmds, commandInteractive)
}

func commandInteractive(c cmdline.Command) bool {
	prog := filepath.Base(c.Words[0].Text)
	if interpreters[prog] && len(c.Words) > 1 && c.Words[1].Text != "-i" {
		// Given a script, -c or -m (python3 -m json.tool), it runs that and prints.
		return false
	}
	if interactivePrograms[prog] {
		return true
	}
	d, ok := c.Docker()
	if !ok {
		return false
	}
	switch d.Verb {
	case "attach":
		return true
	case "run", "exec":
		return d.Set("-i", "--interactive", "-t", "--tty")
	case "start":
		return d.Set("-a", "--attach", "-i", "--interactive")
	}
	return false
}

package session

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// hookCase is one shell with prompt hooks of its own, as pyenv, starship and direnv
// install them: they run other commands at every prompt (and leave their own status),
// before the learner's `eval "$(dockling env)"` and after it.
type hookCase struct {
	shell string
	args  []string
	// before: the shell's own hooks; after: one more installed after dockling's, which
	// puts itself first; the line that installs it is not asserted on.
	before, after string
}

var hookCases = []hookCase{
	{"bash", []string{"--norc", "--noprofile", "-i"},
		`__pyenv_hook() { true; }; PROMPT_COMMAND="__pyenv_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"; trap ': starship' DEBUG; PS1='$ '`,
		`__direnv_hook() { return 7; }; PROMPT_COMMAND="__direnv_hook;$PROMPT_COMMAND"`},
	{"zsh", []string{"-f", "-i"},
		`__pyenv_hook() { true }; precmd_functions+=(__pyenv_hook); PS1='$ '`,
		`__direnv_hook() { return 7 }; precmd_functions=(__direnv_hook $precmd_functions)`},
	{"fish", []string{"--no-config", "-i"},
		`function __pyenv_hook --on-event fish_postexec; true; end; function fish_prompt; echo -n '$ '; end`,
		`function __direnv_hook --on-event fish_prompt; false; end`},
}

// Every line typed in bash, zsh or fish with prompt hooks of their own is journaled at
// once (before the next prompt), once, with its own exit code: before, a bash with a
// PROMPT_COMMAND journaled each line a line late with the next one's exit code.
func TestShellHookIsExact(t *testing.T) { eachShell(t, testHook) }

// eachShell runs test for each of hookCases whose shell is here.
func eachShell(t *testing.T, test func(*testing.T, hookCase, string)) {
	for _, tc := range hookCases {
		t.Run(tc.shell, func(t *testing.T) {
			path, err := exec.LookPath(tc.shell)
			if err != nil {
				t.Skipf("no %s here (.ci/run installs it)", tc.shell)
			}
			test(t, tc, path)
		})
	}
}

// sourceLine is the line that reads the hook in file.
func sourceLine(tc hookCase, file string) string {
	if tc.shell == "fish" {
		return "source " + shQuote(file)
	}
	return ". " + shQuote(file)
}

func testHook(t *testing.T, tc hookCase, path string) {
	dir := t.TempDir()
	log := filepath.Join(dir, "journal")
	// A stand-in for dockling journal-append --exit CODE -- LINE.
	fake := filepath.Join(dir, "dockling")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nprintf '%s|%s\\n' \"$3\" \"$5\" >> "+shQuote(log)+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hookFile := filepath.Join(dir, "hook")
	if err := os.WriteFile(hookFile, []byte(ShellHook(tc.shell, fake)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, tc.args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=dumb", "HISTFILE=" + filepath.Join(dir, "history")}
	cmd.Dir = dir
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptm.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() { _, _ = ptm.WriteTo(&discard{}) }()

	journal := func() string { b, _ := os.ReadFile(log); return string(b) }
	typed := func(line, want string) {
		t.Helper()
		before := journal()
		ptm.WriteString(line + "\r")
		// At once: journaled before the shell is back at its prompt for the next line.
		for end := time.Now().Add(10 * time.Second); !strings.HasSuffix(journal(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: after %q the journal is\n%s\nwant it to end in %q (it was\n%s)", tc.shell, line, journal(), want, before)
			}
		}
	}
	ptm.WriteString(tc.before + "\r")
	ptm.WriteString(sourceLine(tc, hookFile) + "\r") // the line that installs the hook may itself go unjournaled
	typed("false", "1|false\n")
	typed("echo hi", "0|echo hi\n")
	typed("sh -c 'exit 3'", "3|sh -c 'exit 3'\n")
	typed(tc.after, "|"+tc.after+"\n") // its own status may be the late hook's, once
	typed("true", "0|true\n")
	typed("sh -c 'exit 5'", "5|sh -c 'exit 5'\n")
	n := strings.Count(journal(), "|false\n") + strings.Count(journal(), "|echo hi\n")
	if n != 2 {
		t.Errorf("%s: lines journaled more than once:\n%s", tc.shell, journal())
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
)

// Shell is the real Runner: each line runs in a fresh `bash -c` (else `sh -c`) whose
// "docker" is dockling acting on the lesson's sandbox.
//
// Why a fresh shell per line and not one long-lived shell: the learner's commands
// must get the real terminal (so `docker run -it ubuntu bash` is fully interactive,
// raw mode, resizes, Ctrl-P Ctrl-Q and all), and a long-lived shell would need its
// stdin for our commands, or a pty of ours between it and the terminal. So the
// shell's state travels instead: after the line, an epilogue writes the current
// directory, the variables (exported or not), functions and aliases to a state file
// in a private folder; before the next line, a prologue (bash reads it through
// BASH_ENV) drops the exported variables it inherited and sources that file. `cd`,
// `export`, `unset`, `X=$(docker run -d …)` and aliases thus persist as in one shell.
// A line that ends the shell (`exit`), does not parse, or is killed before its
// epilogue finished leaves the state as it was: the epilogue writes a new file that
// only replaces the old one once it is complete.
type Shell struct {
	io       *iostreams.IOStreams
	terminal bool
	path     string // bash or sh
	bash     bool
	env      []string
	stateDir string
	vars     string // export DOCKLING_ROOT=… DOCKLING_SANDBOX=…, forced before every line
	dir      string
	startDir string    // ShellOptions.Dir: where each line starts ("": this process's folder)
	ns       *lessonNS // the lines' namespace with /var/lib/docker, if any
}

// ShellOptions configure NewShell.
type ShellOptions struct {
	IO *iostreams.IOStreams
	// Terminal: IO is a terminal, whose files are handed to commands. Otherwise
	// commands get no input and their output is copied to IO.Out and IO.ErrOut.
	Terminal bool
	DataRoot string // the data root the lesson's sandbox is under
	Sandbox  string // the sandbox's name (the lesson's ID)
	// Env is the environment commands start from (default os.Environ()).
	Env []string
	// DockerRoot shows the sandbox at /var/lib/docker to the lines, as the lecture
	// has it (see shellns_linux.go); where that cannot be, a note on IO.ErrOut says so.
	DockerRoot bool
	// Dir is the folder the first line runs in (default: this process's).
	Dir string
}

// NewShell prepares a shell for one session; Close removes its state.
func NewShell(opts ShellOptions) (*Shell, error) {
	s := &Shell{io: opts.IO, terminal: opts.Terminal}
	if p, err := exec.LookPath("bash"); err == nil {
		s.path, s.bash = p, true
	} else if p, err := exec.LookPath("sh"); err == nil {
		s.path = p
	} else {
		return nil, errors.New("starting the lesson's shell: neither bash nor sh is on PATH")
	}
	bin, err := DockerBin(opts.DataRoot)
	if err != nil {
		return nil, err
	}
	base := opts.Env
	if base == nil {
		base = os.Environ()
	}
	path := bin
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		// DOCKLING_JOURNAL would make docker journal its own lines a second time:
		// the session journals every line itself.
		case "DOCKLING_ROOT", "DOCKLING_SANDBOX", "DOCKLING_JOURNAL", "BASH_ENV", "ENV":
			continue
		case "PATH":
			path = bin + string(os.PathListSeparator) + v
			continue
		}
		s.env = append(s.env, kv)
	}
	s.env = append(s.env, "PATH="+path, "DOCKLING_ROOT="+opts.DataRoot, "DOCKLING_SANDBOX="+opts.Sandbox)
	s.vars = "unset DOCKLING_JOURNAL; export DOCKLING_ROOT=" + shQuote(opts.DataRoot) + " DOCKLING_SANDBOX=" + shQuote(opts.Sandbox)
	if s.stateDir, err = os.MkdirTemp("", "dockling-shell-"); err != nil {
		return nil, fmt.Errorf("starting the lesson's shell: %w", err)
	}
	if s.bash {
		prologue := filepath.Join(s.stateDir, "prologue")
		if err := os.WriteFile(prologue, []byte(s.bashPrologue()), 0o600); err != nil {
			os.RemoveAll(s.stateDir)
			return nil, fmt.Errorf("starting the lesson's shell: %w", err)
		}
		s.env = append(s.env, "BASH_ENV="+prologue)
	}
	s.dir, s.startDir = opts.Dir, opts.Dir
	if s.dir == "" {
		s.dir, _ = os.Getwd()
	}
	if opts.DockerRoot {
		dir, err := sandbox.Dir(opts.DataRoot, opts.Sandbox)
		if err == nil {
			s.ns, err = newLessonNS(s.stateDir, dir, s.path, s.env)
		}
		if err != nil {
			fmt.Fprintf(s.io.ErrOut, "Note: %s is not this lesson's data root in this shell (%v); docker info shows where it is.\n", dockerRoot, err)
		}
	}
	return s, nil
}

// command is the shell running script, in the lesson's namespace if it has one.
func (s *Shell) command(ctx context.Context, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.path, "-c", script, filepath.Base(s.path))
	// Each line starts where the shell was started (the state it restores then cds
	// to where the line before left it, which may be inside the lesson's namespace).
	cmd.Env, cmd.Dir = s.env, s.startDir
	if s.ns != nil {
		s.ns.wrap(cmd)
	}
	return cmd
}

// DockerBin makes <dataRoot>/bin/docker (and bin/dockling, which the shell hook of
// `dockling env` calls) links to this program and returns the bin folder, to be put
// first on PATH. Each link is replaced by a rename, so a shell running at the same
// moment never finds it missing.
func DockerBin(dataRoot string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding dockling's own path: %w", err)
	}
	bin := filepath.Join(dataRoot, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", bin, err)
	}
	for _, name := range []string{"docker", "dockling"} {
		if err := linkTo(exe, filepath.Join(bin, name)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

func linkTo(exe, link string) error {
	if cur, err := os.Readlink(link); err == nil && cur == exe {
		return nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d", link, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(exe, tmp); err != nil {
		return fmt.Errorf("linking %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("linking %s: %w", link, err)
	}
	return nil
}

// Close removes the shell's state (and stops its docker proxy).
func (s *Shell) Close() error {
	if s.ns != nil {
		s.ns.Close()
	}
	return os.RemoveAll(s.stateDir)
}

// Dir is the shell's current directory after the last line.
func (s *Shell) Dir() string { return s.dir }

// Run runs one line. In terminal mode the terminal is handed to interactive lines
// (see Interactive) and the output of the others is captured through a pty; else the
// output is copied and captured, and the line gets no input.
func (s *Shell) Run(ctx context.Context, line string) (Result, error) {
	script := s.script(line)
	var res Result
	var err error
	if s.terminal {
		res, err = s.runTerminal(script, Interactive(line))
	} else {
		res, err = s.runPipes(ctx, script)
	}
	s.keepState()
	return res, err
}

// stateEnd ends every complete state file.
const stateEnd = "# dockling-state-end\n"

// keepState makes the state the epilogue wrote the current one, if it is complete.
func (s *Shell) keepState() {
	next := filepath.Join(s.stateDir, "state.new")
	b, err := os.ReadFile(next)
	if err != nil {
		return
	}
	if !strings.HasSuffix(string(b), stateEnd) {
		os.Remove(next)
		return
	}
	if err := os.Rename(next, filepath.Join(s.stateDir, "state")); err != nil {
		return
	}
	if b, err := os.ReadFile(filepath.Join(s.stateDir, "cwd")); err == nil && len(b) > 0 {
		s.dir = string(b)
	}
}

// script wraps line in the epilogue (and, for sh, the prologue) that carry the
// shell's state. sh's prologue shares the line's first line, so the shell's messages
// still say "line 1"; bash's comes through BASH_ENV (see bashPrologue).
func (s *Shell) script(line string) string {
	state := shQuote(filepath.Join(s.stateDir, "state"))
	next := shQuote(filepath.Join(s.stateDir, "state.new"))
	cwd := shQuote(filepath.Join(s.stateDir, "cwd"))
	if !s.bash {
		return "if [ -f " + state + " ]; then . " + state + " 2>/dev/null; fi; " + s.vars + "; " + line + "\n" +
			"__dockling_rc=$?\n" +
			"__dockling_cwd=$PWD; export __dockling_cwd; { export -p; echo 'cd \"$__dockling_cwd\" 2>/dev/null; unset __dockling_cwd'; printf '" + strings.TrimSuffix(stateEnd, "\n") + "\\n'; } >" + next + " 2>/dev/null\n" +
			"printf '%s' \"$PWD\" >" + cwd + " 2>/dev/null\n" +
			"exit $__dockling_rc\n"
	}
	// Bash's own variables (read-only, or changing by themselves) stay out of the state.
	const skip = "__dockling_*|BASH|BASH_*|BASHOPTS|BASHPID|EUID|UID|PPID|SHELLOPTS|SHLVL|GROUPS|FUNCNAME|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|EPOCHREALTIME|EPOCHSECONDS|DIRSTACK|PIPESTATUS|COLUMNS|LINES|PWD|_|COMP_*|OPTIND|OPTARG"
	return line + "\n" +
		"__dockling_rc=$?\n" +
		"{ printf 'cd -- %q\\n' \"$PWD\"\n" +
		"  for __dockling_v in $(compgen -v); do case $__dockling_v in " + skip + ") ;; *) declare -p \"$__dockling_v\";; esac; done\n" +
		"  declare -f; alias -p; printf '" + strings.TrimSuffix(stateEnd, "\n") + "\\n'; } >" + next + " 2>/dev/null\n" +
		"printf '%s' \"$PWD\" >" + cwd + " 2>/dev/null\n" +
		"exit $__dockling_rc\n"
}

// bashPrologue is the file BASH_ENV names: bash reads it before the line, so the
// aliases it restores are already defined when the line is read (sourcing them on
// the line itself would be too late), and the line stays "line 1" in messages. It
// unsets BASH_ENV first, so the shells and scripts the line starts do not restore
// the learner's state too.
func (s *Shell) bashPrologue() string {
	state := shQuote(filepath.Join(s.stateDir, "state"))
	return "unset BASH_ENV\nshopt -s expand_aliases\n" +
		"if [ -f " + state + " ]; then unset $(compgen -e); . " + state + "; fi 2>/dev/null\n" +
		s.vars + "\n"
}

// runPipes runs script with output copied to the streams and captured. The shell
// gets its own process group, so cancelling ctx stops whatever the line started.
func (s *Shell) runPipes(ctx context.Context, script string) (Result, error) {
	cmd := s.command(ctx, script)
	var buf capture
	cmd.Stdout = io.MultiWriter(s.io.Out, &buf)
	cmd.Stderr = io.MultiWriter(s.io.ErrOut, &buf)
	ownGroup(cmd)
	// A background job (`sleep 60 &`) keeps the pipes open; do not wait for it.
	cmd.WaitDelay = 500 * time.Millisecond
	err := cmd.Run()
	code, err := exitCode(err)
	return Result{ExitCode: code, Output: buf.String()}, err
}

// exitCode turns cmd.Run's error into the shell's exit status ($?).
func exitCode(err error) (int, error) {
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 0, fmt.Errorf("running the line: %w", err)
}

// capture keeps the first journal.MaxOutput+1 bytes written to it (one more than
// the journal keeps, so the journal knows it was cut).
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := journal.MaxOutput + 1 - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ReplaceAll(c.buf.String(), "\r\n", "\n")
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

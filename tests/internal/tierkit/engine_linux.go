package tierkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// User is an unprivileged user a command runs as (no passwd entry needed).
type User struct{ UID, GID uint32 }

// Engine runs the docker command line: Docker's own client against a daemon, or
// dockling invoked under the name docker. Commands are written as a learner types
// them after "docker".
type Engine struct {
	// Name labels the engine in messages: "docker", "dockling", "dockling (uid 41234)".
	Name string
	// Bin is the program: /usr/bin/docker, or a symlink named docker to dockling.
	Bin string
	// Env is the whole environment of every command (nothing is inherited, so a
	// DOCKER_HOST or DOCKLING_ROOT of the caller cannot leak in).
	Env []string
	// RunFlags go right after run and create. Docker's daemon here has no bridge
	// (--bridge=none), so its containers need --network host; dockling's default is
	// the host network already, so it runs the learner's exact words.
	RunFlags []string
	// User, when set, is who runs every command.
	User *User
	// Dir is the working directory, writable by User.
	Dir string
}

// Result is one command and what it printed.
type Result struct {
	Engine string
	Args   []string
	Stdout string
	Stderr string
	Code   int
	obs    int // 1 + its index in the Recorder's Obs (Recorder.Do); 0 when not recorded
}

// Cmd is the command as the learner typed it.
func (r Result) Cmd() string { return "docker " + ShellJoin(r.Args) }

// String shows the command, its exit code and both streams, for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("[%s] $ %s\n[exit %d]\n--- stdout\n%s--- stderr\n%s", r.Engine, r.Cmd(), r.Code, endNL(r.Stdout), endNL(r.Stderr))
}

func endNL(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// ShellJoin quotes args the way a learner would type them.
func ShellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == '@' || r == ',' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) < 0 {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// argv puts RunFlags after run and create.
func (e *Engine) argv(args []string) []string {
	if len(args) > 0 && (args[0] == "run" || args[0] == "create") && len(e.RunFlags) > 0 {
		out := append([]string{args[0]}, e.RunFlags...)
		return append(out, args[1:]...)
	}
	return args
}

func (e *Engine) command(ctx context.Context, args []string) *exec.Cmd {
	c := exec.CommandContext(ctx, e.Bin, e.argv(args)...)
	c.Env = e.Env
	c.Dir = e.Dir
	c.SysProcAttr = &syscall.SysProcAttr{}
	if e.User != nil {
		c.SysProcAttr.Credential = &syscall.Credential{Uid: e.User.UID, Gid: e.User.GID, Groups: []uint32{}}
	}
	// Killed (only on the hang guard) as a group: the command and what it started.
	c.SysProcAttr.Setpgid = true
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 5 * time.Second
	return c
}

// HangGuard is how long before the test binary's own deadline a stuck command is
// killed, so that the test fails with its output and its cleanups still run (a Go
// test timeout panics without running them). CommandGuard bounds one command (or one
// wait on a terminal) so that one hang does not eat every later test's time. Both
// guard against hangs; neither asserts anything about speed (apt-get takes seconds).
const (
	HangGuard    = 45 * time.Second
	CommandGuard = 3 * time.Minute
)

// guardContext ends when a command has hung: after CommandGuard, or when the test is
// about to run out of time.
func guardContext(t testing.TB) (context.Context, context.CancelFunc) {
	dl := time.Now().Add(CommandGuard)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if tdl, ok := d.Deadline(); ok && tdl.Add(-HangGuard).Before(dl) {
			dl = tdl.Add(-HangGuard)
		}
	}
	return context.WithDeadline(context.Background(), dl)
}

// Run runs one command with no stdin and returns what it printed. Failing to start
// it at all fails the test; a non-zero exit is the caller's business.
func (e *Engine) Run(t testing.TB, args ...string) Result {
	t.Helper()
	r, err := e.run(t, args)
	if err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return r
}

// run is Run that returns the problem instead of failing (for cleanups).
func (e *Engine) run(t testing.TB, args []string) (Result, error) {
	ctx, cancel := guardContext(t)
	defer cancel()
	c := e.command(ctx, args)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	r := Result{Engine: e.Name, Args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("[%s] $ %s had not finished after %v or before the test's deadline: killed", e.Name, r.Cmd(), CommandGuard)
	case errors.As(err, &exitErr):
		r.Code = exitErr.ExitCode()
	case err != nil:
		return r, fmt.Errorf("[%s] $ %s: cannot run %s: %v", e.Name, r.Cmd(), e.Bin, err)
	}
	return r, nil
}

// MustRun is Run that fails the test (now) on a non-zero exit.
func (e *Engine) MustRun(t testing.TB, args ...string) Result {
	t.Helper()
	r := e.Run(t, args...)
	if r.Code != 0 {
		t.Fatalf("command failed:\n%s", r)
	}
	return r
}

// baseEnv is the environment every engine starts from.
func baseEnv(home string) []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"TERM=xterm",
		// Debian's docker.io has no buildx, so Docker's builder here is the classic
		// one; dockling is told to print the classic builder's output too.
		"DOCKER_BUILDKIT=0",
	}
}

// removeAllContainers force-removes every container an engine has (Reset, and the
// engines' cleanups, which report a failure as a test error: a container that cannot
// be removed is a bug too).
func removeAllContainers(t testing.TB, e *Engine) error {
	ids, err := e.run(t, []string{"ps", "-aq"})
	if err == nil && ids.Code != 0 {
		err = fmt.Errorf("listing %s's containers failed", e.Name)
	}
	if err != nil {
		return fmt.Errorf("%v\n%s", err, ids)
	}
	if f := strings.Fields(ids.Stdout); len(f) > 0 {
		r, err := e.run(t, append([]string{"rm", "-f"}, f...))
		if err == nil && r.Code != 0 {
			err = fmt.Errorf("removing %s's containers failed", e.Name)
		}
		if err != nil {
			return fmt.Errorf("%v\n%s", err, r)
		}
	}
	return nil
}

// cleanupContainers is removeAllContainers for t.Cleanup.
func cleanupContainers(t testing.TB, e *Engine) {
	if err := removeAllContainers(t, e); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// unmountUnder lazily unmounts whatever is mounted at or below dir (deepest first), so
// that removing dir cannot reach into a mounted file system.
func unmountUnder(t testing.TB, dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var targets []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			targets = append(targets, mp)
		}
	}
	for i := len(targets) - 1; i >= 0; i-- {
		if err := syscall.Unmount(targets[i], syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			t.Logf("cleanup: unmounting %s: %v", targets[i], err)
		}
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, …).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

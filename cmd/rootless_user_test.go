package cmd_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// Scripts run the dockling command as an unprivileged user with `as-user dockling ARGS`
// (root only): uid and gid 65534, with a data root, HOME and TMPDIR of its own
// ($USER_ROOT, $USER_HOME). The condition [rootless] holds when that user can run
// containers here; $ROOTLESS_REASON says why not.

const userID = 65534

var (
	userMu   sync.Mutex
	userUses int    // tests between userSetup and their end; the folder goes with the last
	userDone bool   // the set-up ran (userBase, userErr and userWhy hold its result)
	userBase string // a folder the user can reach: the dockling binary, each script's home
	userErr  error
	userWhy  string
	userSeq  atomic.Int64
)

// userSetup copies this test binary where uid 65534 can run it (go test's build folder is
// private) and asks it, as that user, whether rootless containers work here. TestScripts
// calls it before running the scripts.
func userSetup(t *testing.T) {
	userMu.Lock()
	defer userMu.Unlock()
	userUses++
	// Each test using the folder holds it; the last one to end removes it (and a later
	// test sets it up again), so one test's end never pulls it from under another's.
	t.Cleanup(func() {
		userMu.Lock()
		defer userMu.Unlock()
		if userUses--; userUses == 0 {
			if userBase != "" {
				os.RemoveAll(userBase)
			}
			userDone, userBase, userErr, userWhy = false, "", nil, ""
		}
	})
	if !userDone {
		userDone = true
		setupUserBase()
	}
	if userErr != nil {
		t.Fatalf("setting up the unprivileged user: %v", userErr)
	}
}

// setupUserBase makes userBase and finds out whether rootless containers work.
func setupUserBase() {
	if os.Geteuid() != 0 {
		userWhy = "not root: cannot switch to an unprivileged user"
		return
	}
	base, err := os.MkdirTemp("", "dockling-user-")
	if err != nil {
		userErr = err
		return
	}
	userBase = base
	if err := os.Chmod(base, 0o755); err != nil {
		userErr = err
		return
	}
	self, err := os.Executable()
	if err != nil {
		userErr = err
		return
	}
	if err := copyFile(self, filepath.Join(base, "dockling")); err != nil {
		userErr = err
		return
	}
	home, err := newUserHome()
	if err != nil {
		userErr = err
		return
	}
	out, err := runAsUser(home, "dockling", "info")
	switch {
	case err != nil:
		userWhy = fmt.Sprintf("dockling info as uid %d: %v: %s", userID, err, out)
	case !strings.Contains(out, "User namespaces: yes"):
		userWhy = "user namespaces are refused: " + lineWith(out, "User namespaces:")
	case !strings.Contains(out, "Overlay mounts in a user namespace: yes"):
		userWhy = "overlay is refused in a user namespace: " + lineWith(out, "Overlay mounts")
	}
}

func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return "(not reported)"
}

// userReason is why rootless containers cannot run here, "" when they can (after
// userSetup).
func userReason() string { return userWhy }

// newUserHome makes a folder owned by the user with home, tmp and the data root in it.
func newUserHome() (string, error) {
	dir := filepath.Join(userBase, fmt.Sprintf("u%d", userSeq.Add(1)))
	for _, d := range []string{dir, filepath.Join(dir, "home"), filepath.Join(dir, "tmp"), filepath.Join(dir, "root")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", err
		}
		if err := os.Chown(d, userID, userID); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// setupUser gives a script (as root) its own unprivileged user home, removed with
// whatever containers it left.
func setupUser(env *testscript.Env) error {
	if os.Geteuid() != 0 {
		env.Setenv("ROOTLESS_REASON", "not root: cannot switch to an unprivileged user")
		return nil
	}
	if userWhy != "" {
		env.Setenv("ROOTLESS_REASON", "rootless containers do not work here: "+userWhy)
		return nil
	}
	dir, err := newUserHome()
	if err != nil {
		return err
	}
	env.Setenv("USER_HOME", dir)
	env.Setenv("USER_ROOT", filepath.Join(dir, "root"))
	env.Defer(func() {
		removeAllContainers(filepath.Join(dir, "root"))
		os.RemoveAll(dir)
	})
	return nil
}

// runAsUser runs one of the test binary's commands as the user, in home.
func runAsUser(home, name string, args ...string) (string, error) {
	var out bytes.Buffer
	err := userCmd(home, name, args, &out, &out).Run()
	return out.String(), err
}

func userCmd(home, name string, args []string, stdout, stderr io.Writer) *exec.Cmd {
	cmd := exec.Command(filepath.Join(userBase, name), args...)
	cmd.Dir = filepath.Join(home, "home")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(home, "home"), "TMPDIR=" + filepath.Join(home, "tmp"),
		"DOCKLING_ROOT=" + filepath.Join(home, "root"), "NO_COLOR=1",
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: userID, Gid: userID, Groups: []uint32{}}}
	return cmd
}

// asUser is the script command `as-user dockling ARGS...`.
func asUser(ts *testscript.TestScript, neg bool, args []string) {
	var stdin string // as-user -stdin FILE dockling ...: what the command reads
	if len(args) > 2 && args[0] == "-stdin" {
		stdin, args = ts.ReadFile(args[1]), args[2:]
	}
	if len(args) == 0 || args[0] != "dockling" {
		ts.Fatalf("usage: as-user [-stdin FILE] dockling [args...]")
	}
	home := ts.Getenv("USER_HOME")
	if home == "" {
		ts.Fatalf("as-user needs root and the [rootless] condition: %s", ts.Getenv("ROOTLESS_REASON"))
	}
	cmd := userCmd(home, args[0], args[1:], ts.Stdout(), ts.Stderr())
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	for _, k := range []string{"DOCKLING_STORAGE_DRIVER", "DOCKLING_JOURNAL", "DOCKER_BUILDKIT"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	err := cmd.Run()
	switch {
	case err != nil && !neg:
		ts.Fatalf("as-user %s: %v", strings.Join(args, " "), err)
	case err == nil && neg:
		ts.Fatalf("as-user %s: unexpected success", strings.Join(args, " "))
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

package authortest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockling/dockling/checker"
	"github.com/dockling/dockling/lessons"
)

// asUserEnv marks the inner run of TestCommitAsUser, the one as the unprivileged user.
const asUserEnv = "DOCKLING_AUTHORTEST_AS_USER"

// unprivileged is the user the rootless run is: tests/internal/tierkit.Unprivileged's
// ids (no passwd entry, no /etc/subuid range, so dockling maps it alone to root).
const unprivileged = 41234

// TestCommitAsUser runs the commit lesson's reference solutions as an unprivileged
// user, as a learner without root has it: dockling rootless, its sandbox, the real
// ubuntu from DOCKLING_TEST_UBUNTU_TAR, and every step's checks must pass after its
// solution. (The wrong answers are TestCommit's, as root: replaying the solutions
// after each of them, apt-get included, would cost minutes for nothing rootless.)
//
// The test binary runs itself again as that user (the checks then read the sandbox
// as its owner, as the session does); this run only prepares and reports.
func TestCommitAsUser(t *testing.T) {
	if os.Getenv(asUserEnv) == "1" {
		commitSolutionsAsUser(t)
		return
	}
	if os.Geteuid() != 0 {
		skipUnlessTiers(t, "needs root, to become the unprivileged user")
	}
	if testing.Short() {
		t.Skip("runs apt-get in a container: skipped with -short")
	}
	tar := os.Getenv("DOCKLING_TEST_UBUNTU_TAR")
	if tar == "" {
		skipUnlessTiers(t, "the commit lesson needs the real ubuntu: $DOCKLING_TEST_UBUNTU_TAR names no archive of it")
	}

	// A folder the user can reach (t.TempDir's parent is private to root) with a copy
	// of this binary (go test's build folder is private too) and the user's home.
	dir, err := os.MkdirTemp("", "dockling-authortest-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "authortest.test")
	if err := copyFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	tmp := filepath.Join(home, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, unprivileged, unprivileged); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-test.run=^TestCommitAsUser$", "-test.count=1", "-test.v"}
	if dl, ok := t.Deadline(); ok {
		// The inner run ends (and cleans up) before this one's deadline.
		left := time.Until(dl) - 30*time.Second
		args = append(args, "-test.timeout="+left.String())
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-15*time.Second))
		defer cancel()
	}
	c := exec.CommandContext(ctx, bin, args...)
	c.Dir = home
	c.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home, "TMPDIR=" + tmp, "LANG=C.UTF-8",
		"DOCKLING_TEST_UBUNTU_TAR=" + tar,
		"DOCKLING_TIERS=" + os.Getenv("DOCKLING_TIERS"),
		asUserEnv + "=1",
	}
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: unprivileged, Gid: unprivileged, Groups: []uint32{}}}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err = c.Run()
	if testing.Verbose() {
		t.Logf("the run as uid %d:\n%s", unprivileged, out.String())
	}
	switch {
	case err != nil:
		t.Fatalf("the commit lesson's solutions as uid %d: %v\n%s", unprivileged, err, out.String())
	case !strings.Contains(out.String(), "--- PASS: TestCommitAsUser"):
		// A skip inside proves nothing either.
		t.Fatalf("the run as uid %d did not pass TestCommitAsUser:\n%s", unprivileged, out.String())
	}
}

// commitSolutionsAsUser is the inner run: each step's solution, then its checks.
func commitSolutionsAsUser(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Fatal("the inner run of TestCommitAsUser runs as root: it must be the unprivileged user")
	}
	l := lessonByID(t, "commit")
	r := newShellRunner(t, l, prepareImages(l))
	if err := r.Reset(); err != nil {
		t.Fatal(err)
	}
	b := checker.Bindings{}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		since, err := lessons.LastSeq(r.View())
		if err != nil {
			t.Fatalf("step %s: reading the journal: %v", s.ID, err)
		}
		script, err := checker.Render(s.Solution, b)
		if err != nil {
			t.Fatalf("step %s: %v", s.ID, err)
		}
		if err := r.Run(rootlessApt(script)); err != nil {
			t.Fatalf("step %s: running the solution: %v", s.ID, err)
		}
		res := lessons.EvaluateStep(s, r.View(), b, since)
		if !res.Passed {
			var why []string
			for _, c := range res.Results {
				if !c.Passed {
					why = append(why, c.Label+": "+c.Message)
				}
			}
			t.Errorf("step %s: the checks fail after the solution, as uid %d: %s\n(run with -v for each line's output)", s.ID, os.Geteuid(), strings.Join(why, "; "))
		}
		b = res.Bindings
	}
	t.Logf("%d shell lines run as uid %d", r.lines, os.Geteuid())
}

// rootlessApt tells every apt-get in a solution to stay root, the one difference of
// the unprivileged side, written up (for every tier) with tierkit.RootlessApt in
// tests/internal/tierkit/rootless.go, which this package cannot import: apt-get drops
// to its _apt user to download, and a user namespace that maps only one uid has none.
func rootlessApt(script string) string {
	return strings.ReplaceAll(script, "apt-get ", "apt-get -o APT::Sandbox::User=root ")
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return out.Close()
}

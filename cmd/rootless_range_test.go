package cmd_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dockling/dockling/internal/testuser"
)

// A learner on a laptop has a subordinate id range: dockling maps container uids
// 1..65536 to it, and a container may leave files owned by one of them, unreadable to
// the user (apt-get's _apt folders, mode 0700). Commit, diff and export read them
// as the containers' root all the same.

const rangeUser = "dlrangetest"

func TestRootlessRangeReadsOtherIDs(t *testing.T) {
	dir, uid, _, mustRun := rangeSession(t)

	mustRun("run", "--name", "cc", "busybox", "sh", "-c", "mkdir /x && echo hi > /x/f && chown -R 42:42 /x && chmod 700 /x")
	// The container did make a folder the user cannot read, or the test proves nothing.
	ups, _ := filepath.Glob(filepath.Join(dir, "root", "sandboxes", "*", "overlay2", "*", "diff", "x"))
	if len(ups) != 1 {
		t.Fatalf("want the container's x folder in one upper dir, found %v", ups)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(ups[0], &st); err != nil || int(st.Uid) == uid || st.Mode&0o777 != 0o700 {
		t.Fatalf("the container's x folder: %+v, %v: want another uid than %d, mode 0700", st, err, uid)
	}

	// A process of another user reopens its stdio (see run_user_stdio.txtar).
	if got := mustRun("run", "--rm", "-u", "1000", "busybox", "sh", "-c", "id -u > /dev/stdout"); got != "1000\n" {
		t.Errorf("user 1000 writing to /dev/stdout printed %q, want %q", got, "1000\n")
	}

	mustRun("commit", "cc", "img")
	if got := mustRun("run", "--rm", "img", "cat", "/x/f"); got != "hi\n" {
		t.Errorf("the committed image's /x/f = %q, want %q", got, "hi\n")
	}
	diff := mustRun("diff", "cc")
	for _, want := range []string{"A /x\n", "A /x/f\n"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	names, owners := tarNames(t, mustRun("export", "cc"))
	if !names["x/f"] || !names["x/"] {
		t.Errorf("export lacks x/ or x/f: %v", owners)
	} else if owners["x/f"] != "42:42" {
		t.Errorf("export's x/f belongs to %s, want the container's 42:42", owners["x/f"])
	}

	// A build's RUN step commits such files too, and a later stage copies them.
	ctx := filepath.Join(dir, "home", "ctx")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM busybox AS a\nRUN mkdir /x && echo hi > /x/f && chown -R 42:42 /x && chmod 700 /x\n" +
		"FROM busybox\nCOPY --from=a /x/f /copied\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("build", "-t", "built", "ctx")
	if got := mustRun("run", "--rm", "built", "cat", "/copied"); got != "hi\n" {
		t.Errorf("the built image's /copied = %q, want %q", got, "hi\n")
	}

	// submit packs such layers too, and a copied built-in image, as the containers see
	// them: the grader finds each the layer its records name.
	mustRun("--sandbox", "own", "run", "--name", "cc", "busybox", "sh", "-c", "mkdir /x && echo hi > /x/f && chown -R 42:42 /x && chmod 700 /x")
	mustRun("--sandbox", "own", "commit", "cc", "img")
	mustRun("--sandbox", "own", "run", "hello-world")
	lessons := filepath.Join(dir, "home", "lessons")
	own := "id: own\ntitle: Own\nsummary: s\nimages: [busybox]\nsteps:\n  - id: one\n    title: One\n    text: x\n" +
		"    hints: [h]\n    solution: x\n    checks:\n      - file: {container: cc, path: /x/f, contains: hi}\n"
	if err := os.Mkdir(lessons, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lessons, "own.yaml"), []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("submit", "own", "--lessons", lessons, "-o", "own.tar.gz")
	if got := mustRun("grade", "--lesson", "own", "--lessons", lessons, "own.tar.gz"); !strings.Contains(got, "1/1 points, all checks passed") {
		t.Errorf("grading the bundle as %s:\n%s", rangeUser, got)
	}

	// Network area: with a range too, pasta connects the container and -p publishes.
	if _, err := exec.LookPath("pasta"); err == nil {
		mustRun("run", "-d", "--name", "web", "-p", "18096:80", "busybox", "sh", "-c",
			"mkdir /www && echo ranged > /www/index.html && exec httpd -f -p 80 -h /www")
		if body := getRetry(t, "http://127.0.0.1:18096/"); body != "ranged\n" {
			t.Errorf("the published httpd answered %q, want %q", body, "ranged\n")
		}
		mustRun("rm", "-f", "web")
	}
}

// rangeSession sets up rangeUser (a subordinate id range) with a home and data root
// of its own, and returns them with a function running dockling as that user.
func rangeSession(t *testing.T) (dir string, uid, gid int, mustRun func(args ...string) string) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a user with a subordinate id range")
	}
	for _, tool := range []string{"useradd", "userdel", "newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	userSetup(t)
	if r := userReason(); r != "" {
		t.Skip("rootless containers do not work here:", r)
	}
	uid, gid = addRangeUser(t)

	dir = filepath.Join(userBase, "range")
	for _, d := range []string{dir, filepath.Join(dir, "home"), filepath.Join(dir, "tmp"), filepath.Join(dir, "root")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	// Files of subordinate ids are not the user's to remove: root removes them.
	t.Cleanup(func() {
		removeAllContainers(filepath.Join(dir, "root"))
		os.RemoveAll(dir)
	})
	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		cmd := exec.Command(filepath.Join(userBase, "dockling"), args...)
		cmd.Dir = filepath.Join(dir, "home")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(dir, "home"), "TMPDIR=" + filepath.Join(dir, "tmp"),
			"DOCKLING_ROOT=" + filepath.Join(dir, "root"), "NO_COLOR=1", "USER=" + rangeUser,
		}
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	mustRun = func(args ...string) string {
		t.Helper()
		out, errOut, err := run(args...)
		if err != nil {
			t.Fatalf("dockling %s as %s: %v\n%s%s", strings.Join(args, " "), rangeUser, err, out, errOut)
		}
		return out
	}
	return dir, uid, gid, mustRun
}

// addRangeUser creates rangeUser with a range of 65536 subordinate ids, both removed
// when the test ends (and any left by a run that was killed, first).
func addRangeUser(t *testing.T) (uid, gid int) { return testuser.AddRange(t, rangeUser, 3400000) }

// tarNames lists a tar's entries and their owners.
func tarNames(t *testing.T, s string) (map[string]bool, map[string]string) {
	names, owners := map[string]bool{}, map[string]string{}
	tr := tar.NewReader(strings.NewReader(s))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, owners
		}
		if err != nil {
			t.Fatalf("reading export's tar: %v", err)
		}
		names[h.Name] = true
		owners[h.Name] = fmt.Sprintf("%d:%d", h.Uid, h.Gid)
	}
}

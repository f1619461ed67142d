package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The mapped helper (a restore's copy of files of subordinate ids) is this test
// binary re-executed in a role.
func TestMain(m *testing.M) {
	if ok, code := RunHelperRole(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const (
	snapChildEnv  = "DOCKLING_SNAPSHOT_CHILD"
	snapRangeUser = "dlsnaptest"
)

// TestSnapshotRestoreRootless runs TestSnapshotRestore and TestSnapshotForged as an
// unprivileged user: one with no subordinate ids (nobody: only the user is mapped)
// and one with a range (files of other ids, copied as the containers' root).
func TestSnapshotRestoreRootless(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the tests as other users")
	}
	t.Run("single-id", func(t *testing.T) { runSnapshotChild(t, 65534, 65534) })
	t.Run("range", func(t *testing.T) {
		for _, tool := range []string{"useradd", "userdel", "newuidmap", "newgidmap"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("needs %s: %v", tool, err)
			}
		}
		uid, gid := addSnapRangeUser(t)
		runSnapshotChild(t, uid, gid)
	})
}

func runSnapshotChild(t *testing.T, uid, gid int) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "dockling-snapshot-")
	if err != nil {
		t.Fatal(err)
	}
	// Files of subordinate ids are not the user's to remove: root removes them.
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "sandbox.test")
	data, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-test.run=^(TestSnapshotRestore|TestSnapshotForged)$", "-test.v", "-test.count=1")
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + home, "PATH=" + os.Getenv("PATH"), snapChildEnv + "=1"}
	cmd.Dir, cmd.Stdout, cmd.Stderr = home, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	err = cmd.Run()
	t.Logf("as uid %d:\n%s", uid, out.String())
	if strings.Contains(out.String(), "--- SKIP: TestSnapshotRestore ") {
		t.Skip("containers do not run as this user here")
	}
	for _, name := range []string{"TestSnapshotRestore", "TestSnapshotForged"} {
		if !strings.Contains(out.String(), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass as uid %d", name, uid)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// addSnapRangeUser creates a user with 65536 subordinate ids, removed (with its
// ranges) when the test ends.
func addSnapRangeUser(t *testing.T) (uid, gid int) {
	remove := func() {
		_ = exec.Command("userdel", snapRangeUser).Run()
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			if b, err := os.ReadFile(f); err == nil {
				var keep []string
				for _, l := range strings.SplitAfter(string(b), "\n") {
					if l != "" && !strings.HasPrefix(l, snapRangeUser+":") {
						keep = append(keep, l)
					}
				}
				_ = os.WriteFile(f, []byte(strings.Join(keep, "")), 0o644)
			}
		}
	}
	remove()
	t.Cleanup(remove)
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/bin/sh", snapRangeUser).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(fh, "%s:3600000:65536\n", snapRangeUser)
		fh.Close()
	}
	u, err1 := exec.Command("id", "-u", snapRangeUser).Output()
	g, err2 := exec.Command("id", "-g", snapRangeUser).Output()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	uid, _ = strconv.Atoi(strings.TrimSpace(string(u)))
	gid, _ = strconv.Atoi(strings.TrimSpace(string(g)))
	return uid, gid
}

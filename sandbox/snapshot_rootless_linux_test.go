package sandbox

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dockling/dockling/internal/testuser"
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
		uid, gid := testuser.AddRange(t, snapRangeUser, 3600000)
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

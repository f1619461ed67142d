package sandbox

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dockling/dockling/sandbox/role"
	"github.com/dockling/dockling/sandbox/store"
)

// Any binary that links the sandbox plays the mapped helper when started as one, this
// test binary too: before, only the command line's Main did, and a rootless commit in
// a test binary (TestCommitWithoutPause as a user with a subordinate id range) ran the
// tests again as its helper and failed with "diff exited with status 1".
func TestMappedHelperRoleInAnyBinary(t *testing.T) {
	upper := t.TempDir()
	if err := os.WriteFile(filepath.Join(upper, "made"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(mappedRequest{Layer: store.RWLayer{Driver: store.DriverOverlay, Upper: upper}})
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Without the role played, the test binary would run no test ("-test.run=^$") and
	// print PASS; as the helper it ignores its arguments and lists the change.
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), role.Mapped.Environ(), role.MappedTask+"="+mappedDiff)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mapped helper: %v: %s", err, stderr.String())
	}
	var c mappedChange
	if err := json.Unmarshal(out, &c); err != nil || c.Kind != 'A' || c.Path != "/made" {
		t.Fatalf("mapped helper wrote %q (%v), want the change A /made as JSON", out, err)
	}
}

package sandbox

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/runtime"
)

func requireContainers(t *testing.T) {
	t.Helper()
	if s := runtime.Capabilities(); !s.Overlay {
		t.Skipf("containers cannot run here: %s %s", s.UserNSReason, s.OverlayReason)
	}
}

// run's path: the shim prepared before the container exists runs it under the ID it was
// prepared with (StartCreated, from what Create returned), and RemoveExited takes the
// exited container out of the store.
func TestPreparedRunAndRemoveExited(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	co := CreateOptions{Image: "busybox", Cmd: []string{"sh", "-c", "exit 3"}, AutoRemove: true}
	sh := sb.PrepareStart(&co)
	if sh == nil {
		t.Fatal("PrepareStart made no shim where containers run")
	}
	defer sh.Close()
	c, err := sb.Create(co)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) }) // if the test fails half-way
	if c.ID != co.ID {
		t.Fatalf("created %s, want the prepared ID %s", c.ID, co.ID)
	}
	if err := sb.StartCreated(sh, c, false); err != nil {
		t.Fatal(err)
	}
	if code, err := sb.Wait(c.ID); err != nil || code != 3 {
		t.Fatalf("Wait = %d, %v; want 3", code, err)
	}
	if err := sb.RemoveExited(c); err != nil {
		t.Fatal(err)
	}
	var nse *NoSuchContainerError
	if _, err := sb.Container(c.ID); !errors.As(err, &nse) {
		t.Fatalf("the removed container is still found: %v", err)
	}
	if _, err := sb.Store.RWLayer(c.ID); err == nil {
		t.Fatal("the removed container's layer is still in the store")
	}
}

// RemoveExited does not take the caller's word for it: a container that still runs is
// killed and removed, as rm -f does.
func TestRemoveExitedStillRunning(t *testing.T) {
	requireContainers(t)
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sb.Create(CreateOptions{Image: "busybox", Cmd: []string{"sleep", "100"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sb.Remove(c.ID, true) }) // if the test fails half-way
	if _, err := sb.Start(c.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := sb.RemoveExited(c); err != nil {
		t.Fatal(err)
	}
	if cs, _ := sb.Containers(); len(cs) != 0 {
		t.Fatalf("left %d containers", len(cs))
	}
}

// A preset ID must be a full ID.
func TestCreateRefusesABadPresetID(t *testing.T) {
	sb, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sb.Create(CreateOptions{ID: "../x", Image: "busybox", Cmd: []string{"true"}})
	if err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Fatalf("Create with ID ../x = %v, want a refusal", err)
	}
}

package runtime

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// A shim prepared before its container exists (run prepares it while it creates the
// container) waits, with its init, for Start, and then runs the container as usual.
func TestPreparedShimRunsTheContainerLater(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "echo", "prepared")
	sh, err := PrepareShim(PlanOf(spec))
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	time.Sleep(100 * time.Millisecond) // both are up and waiting by now
	if err := sh.Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var out, errb syncBuffer
	code, err := attachTimeout(t, spec.Dir, Streams{Out: &out, Err: &errb})
	if err != nil || code != 0 || out.String() != "prepared\n" {
		t.Fatalf("got code %d, %v, stdout %q, stderr %q; want 0 and \"prepared\\n\"", code, err, out.String(), errb.String())
	}
	if err := sh.Start(*spec, StartOptions{}); err == nil {
		t.Error("a used shim started a second container")
	}
}

// A prepared shim that is closed unused (the image was not found, the name was taken)
// ends, and its init with it; nothing of the container was written.
func TestPreparedShimClosedUnused(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "true")
	sh, err := PrepareShim(PlanOf(spec))
	if err != nil {
		t.Fatal(err)
	}
	children := "/proc/" + strconv.Itoa(sh.pid) + "/task/" + strconv.Itoa(sh.pid) + "/children"
	var initPid int
	if nsenter.Works() {
		if _, err := os.Stat(children); err == nil {
			waitFor(t, "the prepared shim's init", func() bool {
				b, _ := os.ReadFile(children)
				initPid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return initPid > 0
			})
		}
	}
	sh.Close()
	select {
	case <-sh.ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the closed shim did not end")
	}
	if initPid > 0 {
		waitFor(t, "the closed shim's init to end", func() bool { return !pidExists(initPid) })
	}
	if entries, _ := os.ReadDir(spec.Dir); len(entries) != 0 {
		t.Errorf("the unused shim wrote into the container's folder: %v", entries)
	}
}

// Start refuses a container the shim was not prepared for (its init has the wrong
// namespaces or stdio), and the shim ends.
func TestPreparedShimRefusesAnotherPlan(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "true")
	plan := PlanOf(spec)
	plan.NewNet = !plan.NewNet
	sh, err := PrepareShim(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(*spec, StartOptions{}); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("Start of another container = %v, want a refusal", err)
	}
	select {
	case <-sh.ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the refused shim did not end")
	}
}

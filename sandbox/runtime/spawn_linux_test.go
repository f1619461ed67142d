package runtime

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// spawn copies a reader to the child's stdin and its output to writers, one pipe for
// both when stdout and stderr are the same writer.
func TestSpawnStreams(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("needs sh:", err)
	}
	var out bytes.Buffer
	c, err := spawn(sh, []string{"sh", "-c", "cat; echo err >&2; exit 3"}, spawnAttr{
		Stdin: strings.NewReader("in\n"), Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := c.wait(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if statusCode(ws) != 3 || out.String() != "in\nerr\n" {
		t.Fatalf("exit %d, output %q; want 3, %q", statusCode(ws), out.String(), "in\nerr\n")
	}
}

// A killed child reads as 128 plus the signal, as Docker reports it; a missing program
// is an *os.PathError.
func TestSpawnKillAndMissing(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("needs sleep:", err)
	}
	c, err := spawn(sleep, []string{"sleep", "60"}, spawnAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.kill(); err != nil {
		t.Fatal(err)
	}
	if ws, err := c.wait(0); err != nil || statusCode(ws) != 137 {
		t.Fatalf("wait = %d, %v; want 137", statusCode(ws), err)
	}
	var pe *os.PathError
	if _, err := spawn("/nonexistent/prog", []string{"prog"}, spawnAttr{}); !errors.As(err, &pe) {
		t.Fatalf("spawn of a missing program = %v, want an *os.PathError", err)
	}
}

// openTrue opens the true program, to run as an Exe; it is closed with the test.
func openTrue(t *testing.T) *os.File {
	t.Helper()
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("needs true:", err)
	}
	exe, err := os.Open(truePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exe.Close() })
	return exe
}

// An Exe whose descriptor number is among those the child's files move to still runs:
// the child resolves /proc/self/fd/N after the move.
func TestSpawnExeAboveChildFiles(t *testing.T) {
	exe := openTrue(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	extra := make([]*os.File, int(exe.Fd())+8) // the child's files cover exe's number
	for i := range extra {
		extra[i] = null
	}
	c, err := spawn("", []string{"true"}, spawnAttr{Exe: exe, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := c.wait(0)
	if err != nil || statusCode(ws) != 0 {
		t.Fatalf("wait = %v, %v", ws, err)
	}
}

// The child parks files that sit below their new number (and its error pipe) on the
// descriptors just above its highest file before moving them: the Exe's descriptor must
// not be among those (TestParallel met it as "fork/exec /proc/self/fd/N: permission
// denied" when the descriptors were dense).
func TestSpawnExeAboveParkedFiles(t *testing.T) {
	exe := openTrue(t)
	low, err := os.Open(os.DevNull) // handed over at many higher positions: parked first
	if err != nil {
		t.Fatal(err)
	}
	defer low.Close()
	var extra []*os.File
	for range 20 {
		extra = append(extra, low)
	}
	// Descriptor len(files) taken, the next one free: the first free one at or above
	// len(files) is where the child starts parking.
	n := 3 + len(extra)
	for _, fd := range []int{n, n + 1} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			t.Skipf("descriptor %d is in use in this test process", fd)
		}
	}
	if err := unix.Dup3(int(low.Fd()), n, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(n)
	for i := range 3 {
		c, err := spawn("", []string{"true"}, spawnAttr{Exe: exe, Extra: extra})
		if err != nil {
			t.Fatalf("spawn %d: %v", i, err)
		}
		if ws, err := c.wait(0); err != nil || statusCode(ws) != 0 {
			t.Fatalf("wait %d = %v, %v", i, ws, err)
		}
	}
}

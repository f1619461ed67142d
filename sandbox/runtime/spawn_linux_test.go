package runtime

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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

// An Exe whose descriptor number is among those the child's files move to still runs:
// the child resolves /proc/self/fd/N after the move.
func TestSpawnExeAboveChildFiles(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("needs true:", err)
	}
	exe, err := os.Open(truePath)
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
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

package cmd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopInterrupted: Ctrl-C during docker stop of a container that ignores SIGTERM
// kills the container at once, saying so, instead of leaving it running.
func TestStopInterrupted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs a container")
	}
	root := filepath.Join(t.TempDir(), "root")
	env := append(os.Environ(), "DOCKLING_ROOT="+root)
	t.Cleanup(func() { removeAllContainers(root) })
	docker := func(args ...string) string {
		t.Helper()
		c := exec.Command("dockling", args...)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("dockling %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// The shell notes SIGTERM and goes on.
	docker("run", "-d", "--name", "stubborn", "busybox", "sh", "-c", `trap "echo term" TERM; echo up; while :; do sleep 1 & wait; done`)
	waitLogs := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if strings.Contains(docker("logs", "stubborn"), want) {
				return
			}
		}
		t.Fatalf("the container never logged %q", want)
	}
	waitLogs("up")
	stop := exec.Command("dockling", "stop", "-t", "120", "stubborn")
	stop.Env = env
	var errOut bytes.Buffer
	stop.Stderr = &errOut
	if err := stop.Start(); err != nil {
		t.Fatal(err)
	}
	waitLogs("term")
	stop.Process.Signal(syscall.SIGINT)
	ended := make(chan error, 1)
	go func() { ended <- stop.Wait() }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		stop.Process.Kill()
		t.Fatal("docker stop did not end on Ctrl-C")
	}
	if !strings.Contains(errOut.String(), "Interrupted: killing stubborn now") {
		t.Errorf("stop said %q", errOut.String())
	}
	if got := strings.TrimSpace(docker("inspect", "-f", "{{.State.Running}}", "stubborn")); got != "false" {
		t.Errorf("after Ctrl-C the container is running: %s", got)
	}
}

package cmd

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
)

// Container benchmarks (issue targets: `run --rm busybox true` median ≤ 15 ms end to end,
// `ps -a` with 200 containers ≤ 10 ms). As root, or a user with user namespaces:
//
//	go test -run '^$' -bench 'RunRm|PsAll' -count 5 ./cmd/
//	bench/run.sh                      # the same run with the real binary, plus shim memory

// requireContainers skips a benchmark on a machine that cannot run containers.
func requireContainers(b *testing.B) {
	b.Helper()
	if s := runtime.Capabilities(); !s.Overlay {
		b.Skipf("containers cannot run here: %s %s", s.UserNSReason, s.OverlayReason)
	}
}

// removeAll force-removes every container of the sandbox at dir.
func removeAll(dir string) {
	sb, err := sandbox.Open(dir)
	if err != nil {
		return
	}
	cs, _ := sb.Containers()
	for _, c := range cs {
		_, _ = sb.Remove(c.ID, true)
	}
}

// BenchmarkRunRmTrue is `dockling run --rm busybox true` as a user types it: a new process
// of the real binary (built from ./cmd/dockling into a temporary folder) each time, its
// shim, the container, and the removal.
func BenchmarkRunRmTrue(b *testing.B) {
	requireContainers(b)
	dir := b.TempDir()
	bin := filepath.Join(dir, "dockling")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go command to build dockling with: %v", err)
	}
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/dockling/dockling/cmd/dockling").CombinedOutput(); err != nil {
		b.Skipf("building dockling: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "root")
	b.Cleanup(func() { removeAll(filepath.Join(root, "sandboxes", sandbox.DefaultSandbox)) })
	env := append(os.Environ(), "DOCKLING_ROOT="+root)
	run := func() {
		cmd := exec.Command(bin, "run", "--rm", "busybox", "true")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("dockling run: %v\n%s", err, out)
		}
	}
	run() // builds the busybox image
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}

// BenchmarkRunRmTrueInProcess is the same run through the run command in this process
// (no CLI start-up): what runRun, the shim and the container cost. Profile it with
// -cpuprofile; the shim and init are other processes.
func BenchmarkRunRmTrueInProcess(b *testing.B) {
	requireContainers(b)
	dir := filepath.Join(b.TempDir(), "sandbox")
	b.Cleanup(func() { removeAll(dir) })
	ios, _, _, _ := iostreams.Test()
	ios.Out, ios.ErrOut = io.Discard, io.Discard
	f := &Factory{IOStreams: ios, Sandbox: func() (*sandbox.Sandbox, error) { return sandbox.Open(dir) }}
	run := func() {
		c := NewRunCmd(f, nil)
		c.SetArgs([]string{"--rm", "busybox", "true"})
		c.SetOut(io.Discard)
		c.SetErr(io.Discard)
		if err := c.Execute(); err != nil {
			b.Fatal(err)
		}
	}
	run()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}

// BenchmarkPsAll200 is `ps -a` with 200 containers: 180 created, 20 exited.
func BenchmarkPsAll200(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "sandbox")
	sb, err := sandbox.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { removeAll(dir) })
	canRun := runtime.Capabilities().Overlay
	for i := range 200 {
		c, err := sb.Create(sandbox.CreateOptions{Image: "busybox", Cmd: []string{"sh", "-c", fmt.Sprintf("exit %d", i%3)}})
		if err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 && canRun {
			if _, err := sb.Start(c.ID, false); err != nil {
				b.Fatal(err)
			}
			if _, err := sb.Wait(c.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	opts := &PsOptions{IO: ios, All: true, Sandbox: func() (*sandbox.Sandbox, error) { return sandbox.Open(dir) }}
	b.ResetTimer()
	for b.Loop() {
		if err := psRun(opts); err != nil {
			b.Fatal(err)
		}
	}
}

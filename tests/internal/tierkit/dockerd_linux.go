package tierkit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The parity tier's private Docker daemon: its own socket, data root, exec root and
// pid file, so it never touches (nor is touched by) a Docker installed on the machine.
const (
	ParityRun      = "/run/dockling-parity"
	ParitySock     = ParityRun + "/docker.sock"
	ParityExecRoot = ParityRun + "/exec"
	ParityPidfile  = ParityRun + "/docker.pid"
	ParityDataRoot = "/var/lib/dockling-parity"
	// DockerCLI is Debian's docker.io client; /usr/local/bin may hold another docker.
	DockerCLI = "/usr/bin/docker"
)

// DockerdArgs are the daemon's flags (all accepted by Debian 12's dockerd 20.10):
// no iptables rules, no bridge (containers use --network host), and an empty config
// file so the machine's /etc/docker/daemon.json does not apply.
func DockerdArgs() []string {
	return []string{
		"--host", "unix://" + ParitySock,
		"--data-root", ParityDataRoot,
		"--exec-root", ParityExecRoot,
		"--pidfile", ParityPidfile,
		"--config-file", filepath.Join(ParityRun, "daemon.json"),
		"--iptables=false", "--ip6tables=false", "--bridge=none",
	}
}

// Dockerd starts Debian's dockerd on the private socket and returns an engine for
// Docker's own client. When the daemon itself refuses to start (this machine lacks a
// kernel feature it needs), the test is skipped with the daemon's words; a missing
// docker.io package fails it. Cleanup removes every container, stops the daemon (and
// the containerd it started), unmounts what it left and deletes its data.
func Dockerd(t testing.TB) *Engine {
	t.Helper()
	dockerd, err := exec.LookPath("/usr/sbin/dockerd")
	if err != nil {
		dockerd, err = exec.LookPath("dockerd")
	}
	if err != nil {
		t.Fatalf("dockerd not found (apt-get install -y docker.io; .ci/tiers.sh does): %v", err)
	}
	if _, err := os.Stat(DockerCLI); err != nil {
		t.Fatalf("Debian's docker client not found (apt-get install -y docker.io): %v", err)
	}
	stopStale(t)
	if err := os.MkdirAll(ParityRun, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unmountUnder(t, ParityDataRoot)
		unmountUnder(t, ParityRun)
		for _, d := range []string{ParityDataRoot, ParityRun} {
			if err := os.RemoveAll(d); err != nil {
				t.Errorf("cleanup: removing %s: %v", d, err)
			}
		}
	})
	if err := os.WriteFile(filepath.Join(ParityRun, "daemon.json"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(ParityRun, "dockerd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d := exec.Command(dockerd, DockerdArgs()...)
	d.Stdout, d.Stderr = logf, logf
	d.Env = baseEnv("/root")
	d.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.Wait() }()
	t.Cleanup(func() { stopDaemon(t, d.Process.Pid, exited, logPath) })

	cfg := filepath.Join(ParityRun, "client-config")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &Engine{
		Name:     "docker",
		Bin:      DockerCLI,
		Env:      append(baseEnv(cfg), "DOCKER_HOST=unix://"+ParitySock, "DOCKER_CONFIG="+cfg),
		RunFlags: []string{"--network", "host"},
		Dir:      cfg,
	}
	// Ready when the API answers; skipped if the daemon gives up first.
	ctx, cancel := guardContext(t)
	defer cancel()
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Skipf("dockerd refused to start on this machine (%v); its log:\n%s", err, tail(logPath, 30))
		case <-ctx.Done():
			t.Fatalf("dockerd never answered on %s before the test's deadline; its log:\n%s", ParitySock, tail(logPath, 30))
		case <-time.After(200 * time.Millisecond):
		}
		if r, err := e.run(t, []string{"version", "--format", "{{.Server.Version}}"}); err == nil && r.Code == 0 {
			t.Logf("dockerd %s on %s (data root %s)", strings.TrimSpace(r.Stdout), ParitySock, ParityDataRoot)
			break
		}
	}
	t.Cleanup(func() { cleanupContainers(t, e) })
	return e
}

// stopDaemon stops dockerd (SIGTERM, which also stops the containerd it runs; SIGKILL
// to its process group only if it is still there at the test's deadline).
func stopDaemon(t testing.TB, pid int, exited chan error, logPath string) {
	select {
	case <-exited:
		return
	default:
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Logf("cleanup: stopping dockerd %d: %v", pid, err)
	}
	ctx, cancel := guardContext(t)
	defer cancel()
	select {
	case <-exited:
	case <-ctx.Done():
		t.Errorf("cleanup: dockerd %d did not stop on SIGTERM; killing its process group; its log:\n%s", pid, tail(logPath, 20))
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// stopStale stops a daemon an earlier, killed run left behind: the process named in
// our own pid file, only if it is a dockerd using our data root.
func stopStale(t testing.TB) {
	b, err := os.ReadFile(ParityPidfile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(ParityDataRoot)) || filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0])) != "dockerd" {
		return
	}
	t.Logf("stopping dockerd %d left by an earlier run", pid)
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 300; i++ {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	unmountUnder(t, ParityDataRoot)
	unmountUnder(t, ParityRun)
	os.RemoveAll(ParityDataRoot)
	os.RemoveAll(ParityRun)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

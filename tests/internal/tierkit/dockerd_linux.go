package tierkit

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The parity tier's private Docker daemon: its own run folder (socket, exec root, pid
// file, log) and data root, so it never touches (nor is touched by) a Docker installed
// on the machine. How it is started (every dockerd flag) is written once, in
// tests/testdata/scripts/parity-daemon.sh, which .ci/tiers.sh and bench/compare.sh
// call too.
const (
	ParityRun      = "/run/dockling-parity"
	ParityDataRoot = "/var/lib/dockling-parity"
	// DockerCLI is Debian's docker.io client; /usr/local/bin may hold another docker.
	DockerCLI = "/usr/bin/docker"
)

// daemonScript is tests/testdata/scripts/parity-daemon.sh, found from this file's
// place in the source tree (go test builds from source on the machine that runs it).
func daemonScript(t testing.TB) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find tierkit's source folder (to find parity-daemon.sh)")
	}
	p := filepath.Join(filepath.Dir(self), "..", "..", "testdata", "scripts", "parity-daemon.sh")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the parity daemon's script: %v", err)
	}
	return p
}

// daemon runs parity-daemon.sh CMD on the parity folders and returns its stdout.
func daemon(t testing.TB, script, cmd string) (string, error) {
	ctx, cancel := guardContext(t)
	defer cancel()
	c := exec.CommandContext(ctx, script, cmd, ParityRun, ParityDataRoot)
	// Its PATH finds Debian's dockerd (/usr/sbin), and nothing of the caller's
	// environment (a DOCKER_HOST, say) reaches the daemon.
	c.Env = baseEnv("/root")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if ctx.Err() != nil {
		err = errors.New("killed: it had not finished before the test's deadline")
	}
	if err != nil {
		return stdout.String(), &daemonError{cmd: cmd, err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type daemonError struct {
	cmd, stderr string
	err         error
}

func (e *daemonError) Error() string {
	return "parity-daemon.sh " + e.cmd + ": " + e.err.Error() + "\n" + e.stderr
}

func (e *daemonError) Unwrap() error { return e.err }

// Dockerd starts Debian's dockerd on the private socket (parity-daemon.sh start, after
// a stop that removes whatever a killed earlier run left) and returns an engine for
// Docker's own client. A daemon that does not start fails the test with its log: the
// tiers are on, and a parity tier without Docker proves nothing. Cleanup removes every
// container (a container that cannot be removed fails the test), then stops the daemon
// (and the containerd it started), unmounts what it left and deletes its data.
func Dockerd(t testing.TB) *Engine {
	t.Helper()
	if _, err := os.Stat(DockerCLI); err != nil {
		t.Fatalf("Debian's docker client not found (apt-get install -y docker.io; .ci/tiers.sh does): %v", err)
	}
	script := daemonScript(t)
	if _, err := daemon(t, script, "stop"); err != nil {
		t.Fatalf("removing what an earlier run left: %v", err)
	}
	t.Cleanup(func() {
		if _, err := daemon(t, script, "stop"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	out, err := daemon(t, script, "start")
	if err != nil {
		t.Fatalf("starting the parity daemon: %v", err)
	}
	host := strings.TrimSpace(out)
	if !strings.HasPrefix(host, "unix://") {
		t.Fatalf("parity-daemon.sh start printed %q, not a DOCKER_HOST", out)
	}

	cfg := filepath.Join(ParityRun, "client-config")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &Engine{
		Name:     "docker",
		Bin:      DockerCLI,
		Env:      append(baseEnv(cfg), "DOCKER_HOST="+host, "DOCKER_CONFIG="+cfg),
		RunFlags: []string{"--network", "host"},
		Dir:      cfg,
	}
	v := e.MustRun(t, "version", "--format", "{{.Server.Version}}")
	t.Logf("dockerd %s on %s (data root %s)", strings.TrimSpace(v.Stdout), host, ParityDataRoot)
	t.Cleanup(func() { cleanupContainers(t, e) })
	return e
}

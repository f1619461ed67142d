package tierkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const (
	// GateEnv switches the tiers on: DOCKLING_TIERS=1.
	GateEnv = "DOCKLING_TIERS"
	// RootfsEnv names the root filesystem tarball to import; .ci/tiers.sh sets it.
	RootfsEnv = "DOCKLING_TIERS_ROOTFS"
	// DefaultRootfs is where tests/testdata/scripts/bookworm-rootfs.sh caches the
	// debootstrap'ed Debian bookworm (minbase) between runs on one machine.
	DefaultRootfs = "/var/cache/dockling-ci/bookworm-rootfs.tar"
)

// Enabled reports whether the slow tiers are switched on.
func Enabled() bool { return os.Getenv(GateEnv) == "1" }

// Require skips t, with the reason, unless the tiers are switched on. It is the only
// skip in the tiers: once they are on, every missing piece (root, user namespaces,
// Docker's daemon, the root filesystem) fails the test with the reason, so that a CI
// run that was meant to prove something cannot pass without proving it.
func Require(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skipf("slow tier, off by default: set %s=1 to run it (.ci/tiers.sh does, after installing debootstrap and docker.io and building the Debian root filesystem)", GateEnv)
	}
}

// RequireRoot fails t unless it runs as root (CI runs .ci/tiers.sh as root); with the
// tiers off it skips, like Require.
func RequireRoot(t testing.TB) {
	t.Helper()
	Require(t)
	if os.Geteuid() != 0 {
		t.Fatal("the tiers are on but this is not root: debootstrap'ed root filesystems, dockerd and the unprivileged-user side all need root; run .ci/tiers.sh as root")
	}
}

// Rootfs returns the Debian root filesystem tarball; a missing one fails the test,
// because with the gate on it is a broken setup, not a reason to skip.
func Rootfs(t testing.TB) string {
	t.Helper()
	p := os.Getenv(RootfsEnv)
	if p == "" {
		p = DefaultRootfs
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no root filesystem tarball: %v\nbuild it with tests/testdata/scripts/bookworm-rootfs.sh (or run .ci/tiers.sh), or point %s at one", err, RootfsEnv)
	}
	return p
}

var docklingBin string

// DocklingBin is the dockling binary Main built for this test binary's run.
func DocklingBin() string { return docklingBin }

// Main is a tier package's TestMain: with the gate on it builds ./cmd/dockling once
// into a folder every user may read (the unprivileged side runs it too), runs the
// tests and removes the folder.
func Main(m *testing.M) {
	if !Enabled() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "dockling-tiers-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiers:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "tiers:", err)
			return 1
		}
		docklingBin = filepath.Join(dir, "dockling")
		build := exec.Command("go", "build", "-o", docklingBin, "github.com/dockling/dockling/cmd/dockling")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "tiers: go build ./cmd/dockling: %v\n", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

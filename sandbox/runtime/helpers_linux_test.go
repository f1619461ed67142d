package runtime

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/builtin"
	"github.com/dockling/dockling/sandbox/seccomp"
)

var (
	rootfsOnce sync.Once
	rootfsDir  string // the extracted ubuntu stand-in, shared by every test as the lower dir
	rootfsErr  error
	testTmp    string // package-level temp dir, removed by TestMain
)

func TestMain(m *testing.M) {
	Init()
	if os.Getenv(probeEnv) != "" { // this binary, run in a container by a test
		os.Exit(syscallProbe())
	}
	var err error
	testTmp, err = os.MkdirTemp("", "dockling-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Chmod(testTmp, 0o755)
	code := m.Run()
	os.RemoveAll(testTmp)
	os.Exit(code)
}

// testRootfs returns a lower dir holding the built-in ubuntu stand-in (the host's bash,
// coreutils and ps with their libraries).
func testRootfs(t testing.TB) string {
	rootfsOnce.Do(func() {
		img, err := builtin.Build("ubuntu-standin")
		if err != nil {
			rootfsErr = err
			return
		}
		dir := filepath.Join(testTmp, "rootfs")
		if err := os.Mkdir(dir, 0o755); err != nil {
			rootfsErr = err
			return
		}
		rootfsErr = untar(dir, bytes.NewReader(img.Layer))
		rootfsDir = dir
	})
	if rootfsErr != nil {
		t.Skipf("no test root file system: %v", rootfsErr)
	}
	return rootfsDir
}

// untar extracts a trusted test layer (no hostile paths to guard against).
func untar(dir string, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(p, os.FileMode(h.Mode)&os.ModePerm|modeSticky(h.Mode)); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&os.ModePerm)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			f.Close()
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := os.Link(filepath.Join(dir, filepath.Clean("/"+h.Linkname)), p); err != nil {
				return err
			}
		}
	}
}

func modeSticky(m int64) os.FileMode {
	if m&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (TestRootlessBasic covers running as a user)")
	}
}

// defaultFilter is Docker's default seccomp profile compiled, what containers get.
func defaultFilter(t testing.TB) []byte {
	t.Helper()
	f, err := seccomp.Compile("", DefaultCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newID(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newSpec makes a container: its dir and overlay dirs under a test temp dir, the shared
// rootfs as the lower dir. Cleanup kills whatever still runs and checks that no mount of
// it is left on the host.
func newSpec(t testing.TB, args ...string) *Spec {
	t.Helper()
	lower := testRootfs(t)
	base := t.TempDir()
	id := newID(t)
	spec := &Spec{
		ID:       id,
		Dir:      filepath.Join(base, "c"),
		Hostname: id[:12],
		Rootfs: Rootfs{Lower: []string{lower}, Upper: filepath.Join(base, "diff"),
			Work: filepath.Join(base, "work"), Merged: filepath.Join(base, "merged")},
		Process: Process{Args: args, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Security: Security{Seccomp: defaultFilter(t)}},
	}
	for _, d := range []string{spec.Dir, spec.Rootfs.Upper, spec.Rootfs.Work, spec.Rootfs.Merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { killContainer(t, spec) })
	return spec
}

// killContainer kills the shim and the container and waits until both are gone.
func killContainer(t testing.TB, spec *Spec) {
	st, err := readState(spec.Dir)
	if err == nil {
		for _, pid := range []int{st.Pid, st.ShimPid} {
			if pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for _, pid := range []int{st.Pid, st.ShimPid} {
			for pid > 0 && pidExists(pid) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
		removeFreezer(st.Cgroup) // the killed shim could not
	}
	if mounted(spec.Rootfs.Merged) {
		t.Errorf("%s is still mounted on the host", spec.Rootfs.Merged)
		_ = unix.Unmount(spec.Rootfs.Merged, unix.MNT_DETACH)
	}
}

func mounted(p string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && f[4] == p {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for a writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until cond holds; the bound only keeps a broken test from hanging.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run starts spec held, attaches and returns the exit code, stdout and stderr.
func run(t testing.TB, spec *Spec) (int, string, string) {
	t.Helper()
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var out, errb syncBuffer
	code, err := attachTimeout(t, spec.Dir, Streams{Out: &out, Err: &errb})
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return code, out.String(), errb.String()
}

// attachTimeout is Attach with a generous bound against hangs.
func attachTimeout(t testing.TB, dir string, s Streams) (int, error) {
	t.Helper()
	return bounded("attach", func() (int, error) { return Attach(dir, s) })
}

// bounded runs f, which returns an exit code, with a generous bound against hangs.
func bounded(what string, f func() (int, error)) (int, error) {
	type res struct {
		code int
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		code, err := f()
		ch <- res{code, err}
	}()
	select {
	case r := <-ch:
		return r.code, r.err
	case <-time.After(60 * time.Second):
		return -1, fmt.Errorf("%s did not return within 60s", what)
	}
}

// pidExists: pid is a live, non-zombie process (whoever it is).
func pidExists(pid int) bool {
	_, ok := procStart(pid)
	return ok
}

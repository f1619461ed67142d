package runtime

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

const rootlessUID = 65534

// TestRootless runs TestRootlessChild and TestRootlessSubIDChild as an unprivileged user.
func TestRootless(t *testing.T) {
	runUnprivileged(t, "TestRootlessChild", "TestRootlessSubIDChild")
}

// TestConfinementRootless runs the confinement tests (seccomp, keyring, environment,
// user ids) as an unprivileged user.
func TestConfinementRootless(t *testing.T) {
	tests := []string{"TestSeccomp", "TestSeccompProfile", "TestSessionKeyring", "TestLargeEnv", "TestUserRange"}
	if nsenter.Works() { // it skips without cgo
		tests = append(tests, "TestExecNewPrivs")
	}
	runUnprivileged(t, tests...)
}

// runUnprivileged runs the named tests of a copy of this test binary as uid/gid 65534
// (as root) and fails unless each passes; it skips with the first one's skip reason.
func runUnprivileged(t *testing.T, tests ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("already unprivileged: the child tests run directly")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(testTmp, "rootless")
	home, tmp := filepath.Join(base, "home"), filepath.Join(base, "tmp")
	for _, d := range []string{base, home, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, rootlessUID, rootlessUID); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(base, "runtime.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-test.run=^("+strings.Join(tests, "|")+")$", "-test.v", "-test.count=1")
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + tmp, "PATH=" + os.Getenv("PATH"), "DOCKLING_ROOTLESS_CHILD=1"}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: rootlessUID, Gid: rootlessUID, Groups: []uint32{}}}
	err = cmd.Run()
	t.Logf("child test output:\n%s", out.String())
	if m := regexp.MustCompile(`--- SKIP: ` + tests[0] + `.*\n\s+\S+: (.*)`).FindStringSubmatch(out.String()); m != nil {
		t.Skipf("rootless: %s", m[1])
	}
	for _, name := range tests {
		if !strings.Contains(out.String(), "--- PASS: "+name+" ") {
			t.Errorf("rootless child %s did not pass", name)
		}
	}
	if err != nil {
		t.Fatalf("rootless child failed: %v", err)
	}
}

// requireUnprivileged skips a child test that runUnprivileged starts.
func requireUnprivileged(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("runs as an unprivileged user (runUnprivileged starts it)")
	}
	sup := Capabilities()
	t.Logf("Capabilities: %+v", sup)
	if !sup.UserNS {
		t.Skipf("user namespaces are not allowed: %s", sup.UserNSReason)
	}
	if !sup.Overlay {
		t.Skipf("overlay in a user namespace is refused: %s", sup.OverlayReason)
	}
}

func TestRootlessChild(t *testing.T) {
	requireUnprivileged(t)
	spec := newSpec(t, "sh", "-c", "echo hello; id -u; echo data > /created; grep CapBnd /proc/1/status; hostname; exit 3")
	code, out, errOut := run(t, spec)
	if code != 3 || out != "hello\n0\nCapBnd:\t00000000a80425fb\n"+spec.Hostname+"\n" {
		t.Fatalf("rootless run: %d %q %q", code, out, errOut)
	}
	fi, err := os.Stat(filepath.Join(spec.Rootfs.Upper, "created"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
		t.Fatalf("file made by container root: %v, %v", fi, err)
	}

	// tty, exec and stop, rootless.
	spec.Process = Process{Args: []string{"bash", "--norc"}, Tty: true, OpenStdin: true, Env: spec.Process.Env, Security: spec.Process.Security}
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	if planIDMap() == nil && nsenter.Works() { // one mapped id: the shim maps its fork
		requireEarlyInit(t, spec.Dir)
	}
	inR, inW := io.Pipe()
	var tout syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := attachTimeout(t, spec.Dir, Streams{In: inR, Out: &tout})
		done <- err
	}()
	_, _ = io.WriteString(inW, "cat /created; echo $((6*7))\n")
	waitFor(t, "42", func() bool { return strings.Contains(tout.String(), "\n42\r\n") })
	_, _ = inW.Write([]byte{0x10, 0x11})
	if err := <-done; !errors.Is(err, ErrDetached) {
		t.Fatalf("detach: %v", err)
	}
	t.Run("Exec", func(t *testing.T) {
		requireExec(t)
		var eout syncBuffer
		if code, err := Exec(spec.Dir, Process{Args: []string{"sh", "-c", "id -u; cat /created"}}, Streams{Out: &eout, Err: &eout}); err != nil || code != 0 || eout.String() != "0\ndata\n" {
			t.Fatalf("rootless Exec = %d, %v, %q", code, err, eout.String())
		}
	})
	if procs, err := Top(spec.Dir); err != nil || len(procs) != 1 || procs[0].NsPID != 1 {
		t.Fatalf("rootless Top = %+v, %v", procs, err)
	}
	t.Run("ExecConfined", func(t *testing.T) {
		requireExec(t)
		testExecConfined(t, spec.Dir)
	})
	t.Run("ExecHelperHidden", func(t *testing.T) {
		requireExec(t)
		testExecHelperHidden(t)
	})
	if err := Stop(spec.Dir, 0); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(spec.Dir); st.Status != "exited" || st.ExitCode != 137 {
		t.Fatalf("Status = %+v", st)
	}
}

// TestRootlessSubIDChild exercises the newuidmap path (init starts unmapped, is mapped by
// the helpers, re-execs) with stand-in helpers: an unprivileged process may only map its
// own id, so they write the first mapping line of what they are asked.
func TestRootlessSubIDChild(t *testing.T) {
	requireUnprivileged(t)
	mark := fakeSubIDMap(t)
	// The shim starts this init itself: its seccomp filter comes with the shim's config.
	spec := newSpec(t, "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status")
	code, out, errOut := run(t, spec)
	if code != 0 || out != "0\nCapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n" {
		t.Fatalf("run with newuidmap: %d %q %q", code, out, errOut)
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != "uid\ngid\n" {
		t.Fatalf("helpers did not run: %q %v", b, err)
	}
	t.Run("ExecHelperHidden", func(t *testing.T) {
		requireExec(t)
		testExecHelperHidden(t)
	})
}

// fakeSubIDMap gives this user a subordinate id range and stand-in newuidmap and
// newgidmap for the rest of t, and returns the file they note each run in.
func fakeSubIDMap(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mark := filepath.Join(dir, "helpers-ran")
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	scripts := map[string]string{
		"newuidmap": "#!/bin/sh\necho \"$2 $3 $4\" > /proc/$1/uid_map && echo uid >> " + mark + "\n",
		"newgidmap": "#!/bin/sh\necho deny > /proc/$1/setgroups && echo \"$2 $3 $4\" > /proc/$1/gid_map && echo gid >> " + mark + "\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []*string{&subUIDFile, &subGIDFile} {
		p := filepath.Join(dir, filepath.Base(*f))
		if err := os.WriteFile(p, []byte(uid+":100000:65536\n"+gid+":100000:65536\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		old := *f
		*f = p
		t.Cleanup(func() { *f = old })
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	if p := planIDMap(); p == nil || p.UID != (IDRange{100000, 65536}) {
		t.Fatalf("planIDMap = %+v", p)
	}
	return mark
}

package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
	"github.com/dockling/dockling/sandbox/seccomp"
)

// probeEnv makes this test binary, run inside a container, try one syscall and print
// what came of it (see syscallProbe).
const probeEnv = "DOCKLING_TEST_PROBE"

// keyEnv is the key the "keyring" probe tries to read.
const keyEnv = "DOCKLING_TEST_KEY"

// syscallProbe is the probe's work: "denied" tries what Docker's default profile
// refuses: unshare(CLONE_NEWUSER), what `unshare -U` does first, and a vsock socket
// (refused by an argument condition).
func syscallProbe() int {
	switch os.Getenv(probeEnv) {
	case "denied":
		fmt.Println("unshare:", errText(unix.Unshare(unix.CLONE_NEWUSER)))
		fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
		if err == nil {
			unix.Close(fd)
		}
		fmt.Println("vsock:", errText(err))
		return 0
	case "keyring":
		_, err := unix.KeyctlSearch(unix.KEY_SPEC_SESSION_KEYRING, "user", "dockling-test-key", 0)
		fmt.Println("search:", errText(err))
		id, _ := strconv.Atoi(os.Getenv(keyEnv))
		buf := make([]byte, 64)
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err == nil {
			fmt.Printf("read: %s\n", buf[:n])
		} else {
			fmt.Println("read:", err)
		}
		return 0
	}
	return 2
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

var (
	probeOnce sync.Once
	probeDir  string
)

// withProbe adds a layer holding this test binary as /probe under spec's root.
func withProbe(t *testing.T, spec *Spec) {
	t.Helper()
	probeOnce.Do(func() {
		self, err := os.Executable()
		if err != nil {
			return
		}
		b, err := os.ReadFile(self)
		if err != nil {
			return
		}
		dir := filepath.Join(testTmp, "probe")
		if os.Mkdir(dir, 0o755) == nil && os.WriteFile(filepath.Join(dir, "probe"), b, 0o755) == nil {
			probeDir = dir
		}
	})
	if probeDir == "" {
		t.Fatal("could not copy the test binary as the probe")
	}
	spec.Rootfs.Lower = append([]string{probeDir}, spec.Rootfs.Lower...)
}

// requireContainers skips unless this user can run containers (root, or user
// namespaces and overlay in them).
func requireContainers(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if sup := Capabilities(); !sup.UserNS || !sup.Overlay {
		t.Skipf("no user namespaces or overlay in them: %s %s", sup.UserNSReason, sup.OverlayReason)
	}
}

// execOut runs p in the running container and returns its code and combined output.
func execOut(t *testing.T, dir string, p Process) (int, string, error) {
	t.Helper()
	var out syncBuffer
	code, err := Exec(dir, p, Streams{Out: &out, Err: &out})
	return code, out.String(), err
}

const statusGrep = "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"

// TestSeccomp: every container process (the init's command and exec'd ones) runs
// under Docker's default seccomp profile with no_new_privs, so unshare(CLONE_NEWUSER)
// (the way to mount in a container) is refused; --security-opt's choices apply.
func TestSeccomp(t *testing.T) {
	requireContainers(t)
	spec := newSpec(t, "sh", "-c", statusGrep)
	withProbe(t, spec)
	want := "NoNewPrivs:\t1\nSeccomp:\t2\n"
	if code, out, errOut := run(t, spec); code != 0 || out != want {
		t.Fatalf("run: %d %q %q", code, out, errOut)
	}
	spec.Process.Args = []string{"/probe"}
	spec.Process.Env = append(spec.Process.Env, probeEnv+"=denied")
	denied := "unshare: operation not permitted\nvsock: operation not permitted\n"
	if code, out, errOut := run(t, spec); code != 0 || out != denied {
		t.Fatalf("unshare in a container: %d %q %q", code, out, errOut)
	}
	if !execWorks(t) {
		return
	}

	spec.Process.Args = []string{"sleep", "1000"}
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, out, err := execOut(t, spec.Dir, Process{Args: []string{"sh", "-c", statusGrep}}); err != nil || code != 0 || out != want {
		t.Fatalf("exec: %d %v %q", code, err, out)
	}
	p := Process{Args: []string{"/probe"}, Env: []string{probeEnv + "=denied"}}
	if code, out, err := execOut(t, spec.Dir, p); err != nil || code != 0 || out != denied {
		t.Fatalf("unshare in exec: %d %v %q", code, err, out)
	}
	// What --security-opt chooses, for exec as for run.
	for _, c := range []struct {
		sec  Security
		want string
	}{
		{Security{SeccompUnconfined: true}, "NoNewPrivs:\t1\nSeccomp:\t0\n"},
		{Security{Seccomp: defaultFilter(t), NewPrivs: true}, "NoNewPrivs:\t0\nSeccomp:\t2\n"},
	} {
		if code, out, err := execOut(t, spec.Dir, Process{Args: []string{"sh", "-c", statusGrep}, Security: c.sec}); err != nil || code != 0 || out != c.want {
			t.Errorf("exec with unconfined %v, new privileges %v: %d %v %q", c.sec.SeccompUnconfined, c.sec.NewPrivs, code, err, out)
		}
	}
	if os.Geteuid() == 0 { // another user (rootless, only root is mapped): the filter goes on before the switch
		p := Process{Args: []string{"sh", "-c", "id -u; " + statusGrep}, User: "1000", Security: Security{Seccomp: defaultFilter(t), NewPrivs: true}}
		if code, out, err := execOut(t, spec.Dir, p); err != nil || code != 0 || out != "1000\nNoNewPrivs:\t0\nSeccomp:\t2\n" {
			t.Errorf("exec as 1000 without no_new_privs: %d %v %q", code, err, out)
		}
	}
}

// TestSeccompProfile: a profile in Docker's JSON format replaces the default; a process
// without a filter is refused before anything runs.
func TestSeccompProfile(t *testing.T) {
	requireContainers(t)
	spec := newSpec(t, "sh", "-c", "mkdir /made && echo made; "+statusGrep)
	f, err := seccomp.Compile(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`, DefaultCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Security.Seccomp = f
	code, out, errOut := run(t, spec)
	if code != 0 || out != "NoNewPrivs:\t1\nSeccomp:\t2\n" || !strings.Contains(errOut, "Operation not permitted") {
		t.Fatalf("mkdir under a profile denying it: %d %q %q", code, out, errOut)
	}
	// A process without a filter is refused, not run unconfined.
	spec.Process.Security = Security{}
	if err := Start(*spec, StartOptions{}); !errors.Is(err, errNoSeccomp) {
		t.Fatalf("Start without a filter: %v", err)
	}
}

// TestSessionKeyring: a container's processes do not possess the caller's session
// keyring: a key there, readable by its possessor only, can be neither found nor read.
// (Without seccomp: Docker's profile refuses keyctl altogether; /proc/keys is masked.)
func TestSessionKeyring(t *testing.T) {
	requireContainers(t)
	spec, running := newSpec(t, "/probe"), newSpec(t, "sleep", "1000")
	for _, s := range []*Spec{spec, running} {
		withProbe(t, s)
		s.Process.Security.SeccompUnconfined = true
	}
	type result struct {
		exec string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, with its own session keyring, ends with this
		// goroutine. The container's processes are forked from it.
		goruntime.LockOSThread()
		var r result
		defer func() { done <- r }()
		if _, _, errno := unix.RawSyscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0); errno != 0 {
			r.err = fmt.Errorf("joining a session keyring: %w", errno)
			return
		}
		id, err := unix.AddKey("user", "dockling-test-key", []byte("secret"), unix.KEY_SPEC_SESSION_KEYRING)
		if err != nil {
			r.err = fmt.Errorf("add_key: %w", err)
			return
		}
		defer func() { _, _ = unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0) }()
		// Possessor: everything; user, group, others: nothing.
		if err := unix.KeyctlSetperm(id, 0x3f000000); err != nil {
			r.err = fmt.Errorf("setperm: %w", err)
			return
		}
		env := append(spec.Process.Env, probeEnv+"=keyring", fmt.Sprintf("%s=%d", keyEnv, id))
		spec.Process.Env = env
		if r.err = Start(*spec, StartOptions{HoldUntilAttach: true}); r.err != nil {
			return
		}
		if r.err = Start(*running, StartOptions{}); r.err != nil {
			return
		}
		if !execWorks(t) {
			return
		}
		var out syncBuffer
		p := Process{Args: []string{"/probe"}, Env: env, Security: spec.Process.Security}
		_, r.err = Exec(running.Dir, p, Streams{Out: &out, Err: &out})
		r.exec = out.String()
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if nsenter.Works() && (strings.Contains(r.exec, "secret") || !strings.Contains(r.exec, "search: required key not available")) {
		t.Errorf("exec reaches the caller's session keyring: %q", r.exec)
	}
	var out syncBuffer
	if code, err := attachTimeout(t, spec.Dir, Streams{Out: &out, Err: &out}); code != 0 || err != nil ||
		strings.Contains(out.String(), "secret") || !strings.Contains(out.String(), "search: required key not available") {
		t.Errorf("run reaches the caller's session keyring: %d %v %q", code, err, out.String())
	}
}

// TestLargeEnv: environments up to the kernel's limits reach run's and exec's
// processes (the config once travelled as one datagram); past them the exec fails
// with the kernel's E2BIG, not a hang.
func TestLargeEnv(t *testing.T) {
	requireContainers(t)
	big := strings.Repeat("x", 130000)
	spec := newSpec(t, "sh", "-c", `echo ${#A} ${#B}`)
	spec.Process.Env = append(spec.Process.Env, "A="+big, "B="+big)
	if code, out, errOut := run(t, spec); code != 0 || out != "130000 130000\n" {
		t.Fatalf("run: %d %q %.200q", code, out, errOut)
	}
	huge := append([]string(nil), spec.Process.Env...)
	for i := 0; i < 40; i++ { // 5 MB: past ARG_MAX (a quarter of an 8 MB stack limit)
		huge = append(huge, fmt.Sprintf("V%d=%s", i, big))
	}
	tooBig := *spec
	tooBig.Process.Env = huge
	var ee *ExecError
	if err := Start(tooBig, StartOptions{}); !errors.As(err, &ee) || !strings.Contains(err.Error(), "argument list too long") {
		t.Fatalf("run with 5 MB of environment: %v", err)
	}

	if !execWorks(t) {
		return
	}
	spec.Process.Args = []string{"sleep", "1000"}
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	p := Process{Args: []string{"sh", "-c", `echo ${#A} ${#B}`}, Env: spec.Process.Env}
	if code, out, err := execOut(t, spec.Dir, p); err != nil || code != 0 || out != "130000 130000\n" {
		t.Fatalf("exec: %d %v %.200q", code, err, out)
	}
	p.Env = huge
	if _, _, err := execOut(t, spec.Dir, p); !errors.As(err, &ee) || !strings.Contains(err.Error(), "argument list too long") {
		t.Fatalf("exec with 5 MB of environment: %v", err)
	}
}

// TestUserRange: ids past 4294967294 are refused, from -u and from the image's passwd
// file alike; the kernel would take them cut to 32 bits, or as "unchanged" (root).
func TestUserRange(t *testing.T) {
	for _, u := range []string{"4294967295", "4294967296", "4294967295:0", "0:4294967295", "18446744073709551616"} {
		if err := CheckUser(u); !errors.Is(err, ErrUserRange) {
			t.Errorf("CheckUser(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"", "0", "4294967294", "1000:1000", "nobody", "nobody:nogroup"} {
		if err := CheckUser(u); err != nil {
			t.Errorf("CheckUser(%q) = %v", u, err)
		}
	}
	requireContainers(t)
	spec := newSpec(t, "id", "-u")
	spec.Process.User = "4294967296"
	if err := Start(*spec, StartOptions{}); !errors.Is(err, ErrUserRange) {
		t.Fatalf("run -u 4294967296: %v", err)
	}
	// An image whose passwd file names such an id.
	passwd, err := os.ReadFile(filepath.Join(spec.Rootfs.Lower[0], "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(spec.Rootfs.Upper, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	passwd = append(passwd, "evil:x:4294967296:4294967296::/:/bin/sh\n"...)
	if err := os.WriteFile(filepath.Join(etc, "passwd"), passwd, 0o644); err != nil {
		t.Fatal(err)
	}
	spec.Process.User = "evil"
	if err := Start(*spec, StartOptions{}); err == nil || !strings.Contains(err.Error(), ErrUserRange.Error()) {
		t.Fatalf("run -u evil (uid 4294967296 in passwd): %v", err)
	}

	spec.Process = Process{Args: []string{"sleep", "1000"}, Env: spec.Process.Env, Security: spec.Process.Security}
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var ee *ExecError
	for _, u := range []string{"4294967295", "4294967296:0"} {
		if code, out, err := execOut(t, spec.Dir, Process{Args: []string{"id", "-u"}, User: u}); !errors.As(err, &ee) || ee.Code != 126 {
			t.Errorf("exec -u %s: %d %v %q", u, code, err, out)
		}
	}
	if !execWorks(t) {
		return
	}
	if code, out, err := execOut(t, spec.Dir, Process{Args: []string{"id", "-u"}, User: "evil"}); err == nil || !strings.Contains(err.Error(), ErrUserRange.Error()) {
		t.Errorf("exec -u evil: %d %v %q", code, err, out)
	}
}

// TestExecNewPrivs: an exec'd process without no_new_privs, whose filter its helper
// loads before giving up the privilege that takes (see package nsenter): a tty works
// under the filter, and a filter the kernel refuses stops the exec, rather than running
// the process unconfined.
func TestExecNewPrivs(t *testing.T) {
	requireContainers(t)
	requireExec(t)
	spec := newSpec(t, "sleep", "1000")
	spec.Process.Security.NewPrivs = true
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	code, err := execTimeout(t, spec.Dir, Process{Args: []string{"sh", "-c", "[ -t 0 ] && " + statusGrep}, Tty: true}, Streams{Out: &out})
	if err != nil || code != 0 || out.String() != "NoNewPrivs:\t0\r\nSeccomp:\t2\r\n" {
		t.Errorf("exec -t: %d %v %q", code, err, out.String())
	}
	bad := Process{Args: []string{"touch", "/ran"}, Security: Security{Seccomp: make([]byte, 8), NewPrivs: true}}
	if code, out, err := execOut(t, spec.Dir, bad); err == nil || !strings.Contains(err.Error(), "loading the seccomp filter") {
		t.Errorf("exec with a filter the kernel refuses: %d %v %q", code, err, out)
	}
	if code, out, err := execOut(t, spec.Dir, Process{Args: []string{"ls", "/ran"}}); err != nil || code == 0 {
		t.Errorf("the refused exec ran: %d %v %q", code, err, out)
	}
}

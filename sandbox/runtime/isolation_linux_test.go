package runtime

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runIn runs args in a fresh container and returns code and combined output.
func runIn(t *testing.T, args ...string) (int, string) {
	t.Helper()
	spec := newSpec(t, args...)
	code, out, errOut := run(t, spec)
	return code, out + errOut
}

func TestRestartKeepsUpper(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sh", "-c", "echo kept > /marker")
	if code, out, errOut := run(t, spec); code != 0 {
		t.Fatalf("first run: %d %q %q", code, out, errOut)
	}
	spec.Process.Args = []string{"cat", "/marker"}
	code, out, errOut := run(t, spec)
	if code != 0 || out != "kept\n" {
		t.Fatalf("second start: %d %q %q", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(spec.Rootfs.Upper, "marker")); err != nil || string(b) != "kept\n" {
		t.Fatalf("upper dir marker: %q, %v", b, err)
	}
}

func TestIsolation(t *testing.T) {
	requireRoot(t)
	t.Run("pids", func(t *testing.T) {
		code, out := runIn(t, "ps", "-eo", "pid,comm")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || strings.Fields(lines[1])[0] != "1" || strings.Fields(lines[1])[1] != "ps" {
			t.Fatalf("ps in container: %d %q", code, out)
		}
	})
	t.Run("host files", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "host-marker")
		if err := os.WriteFile(marker, []byte("secret-content"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := runIn(t, "cat", marker)
		if code == 0 || strings.Contains(out, "secret-content") {
			t.Fatalf("host file visible in container: %d %q", code, out)
		}
	})
	t.Run("masked", func(t *testing.T) {
		// This kernel may lack some of them (kcore, sysrq-trigger): check those it has.
		script := "ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname && echo WROTE-SYS; "
		for _, p := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list"} {
			if _, err := os.Stat(p); err == nil {
				script += "wc -c < " + p + "; "
			}
		}
		if _, err := os.Stat("/proc/sysrq-trigger"); err == nil {
			script += "echo x > /proc/sysrq-trigger && echo WROTE-SYSRQ; "
		}
		code, out := runIn(t, "sh", "-c", script+"exit 0")
		if code != 0 || strings.Contains(out, "WROTE") || strings.Trim(out, "0\n") != "" && !strings.Contains(out, "Read-only") {
			t.Fatalf("masked paths: %d %q", code, out)
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l != "0" && !strings.Contains(l, "Read-only file system") {
				t.Fatalf("masked paths: %q", out)
			}
		}
	})
	t.Run("hostname", func(t *testing.T) {
		spec := newSpec(t, "sh", "-c", "hostname; cat /etc/hostname; grep -c localhost /etc/hosts")
		code, out, _ := run(t, spec)
		if want := spec.Hostname + "\n" + spec.Hostname + "\n"; code != 0 || !strings.HasPrefix(out, want) {
			t.Fatalf("hostname: %d %q, want prefix %q", code, out, want)
		}
	})
	t.Run("fds", func(t *testing.T) {
		code, out := runIn(t, "ls", "/proc/self/fd")
		if code != 0 || out != "0\n1\n2\n3\n" {
			t.Fatalf("fds: %d %q", code, out)
		}
	})
	t.Run("capabilities", func(t *testing.T) {
		code, out := runIn(t, "grep", "^Cap", "/proc/1/status")
		if code != 0 || !strings.Contains(out, "CapBnd:\t00000000a80425fb") ||
			!strings.Contains(out, "CapEff:\t00000000a80425fb") || !strings.Contains(out, "CapInh:\t0000000000000000") {
			t.Fatalf("caps: %d %q", code, out)
		}
	})
	t.Run("user", func(t *testing.T) {
		spec := newSpec(t, "sh", "-c", "id -u; id -g; grep ^Cap[EP] /proc/self/status")
		spec.Process.User = "nobody"
		code, out, errOut := run(t, spec)
		if code != 0 || !strings.HasPrefix(out, "65534\n65534\n") || !strings.Contains(out, "CapEff:\t0000000000000000") {
			t.Fatalf("user nobody: %d %q %q", code, out, errOut)
		}
	})
	t.Run("devices", func(t *testing.T) {
		code, out := runIn(t, "sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && ls /dev && readlink /dev/ptmx")
		if code != 0 || !strings.Contains(out, "4\n") || !strings.Contains(out, "urandom") || !strings.HasSuffix(out, "pts/ptmx\n") {
			t.Fatalf("devices: %d %q", code, out)
		}
	})
}

func TestNetworkNone(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "cat", "/proc/net/dev")
	spec.NetworkNone = true
	code, out, _ := run(t, spec)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(strings.TrimSpace(lines[2]), "lo:") {
		t.Fatalf("/proc/net/dev with NetworkNone: %d %q", code, out)
	}
	spec2 := newSpec(t, "cat", "/etc/resolv.conf")
	spec2.NetworkNone = true
	if _, out, _ := run(t, spec2); strings.Contains(out, "nameserver") {
		t.Fatalf("resolv.conf with NetworkNone: %q", out)
	}
}

func TestShimCrash(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(spec.Dir, shimPidFile))
	if err != nil {
		t.Fatal(err)
	}
	shim, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if st, _ := Status(spec.Dir); st.Status != "running" {
		t.Fatalf("Status = %+v", st)
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var st State
	waitFor(t, "status exited", func() bool { st, _ = Status(spec.Dir); return st.Status == "exited" })
	if (st.ExitCode != 137 && st.ExitCode != -1) || st.Error == "" {
		t.Fatalf("Status after shim crash = %+v", st)
	}
	if code, err := Wait(spec.Dir); err != nil || code != st.ExitCode {
		t.Fatalf("Wait = %d, %v", code, err)
	}
}

func TestParallel(t *testing.T) {
	requireRoot(t)
	const n = 10
	specs := make([]*Spec, n)
	for i := range specs {
		specs[i] = newSpec(t, "sh", "-c", fmt.Sprintf(`i=0; while [ $i -lt 200 ]; do echo "c%d line $i"; i=$((i+1)); done; exit %d`, i, i+10))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
				errs[i] = err
				return
			}
			var out syncBuffer
			code, err := Attach(spec.Dir, Streams{Out: &out})
			switch {
			case err != nil:
				errs[i] = err
			case code != i+10:
				errs[i] = fmt.Errorf("container %d: exit code %d", i, code)
			case strings.Count(out.String(), fmt.Sprintf("c%d line", i)) != 200 || strings.Count(out.String(), "\n") != 200:
				errs[i] = fmt.Errorf("container %d: output %q", i, out.String())
			}
		}()
	}
	wg.Wait()
	for i, spec := range specs {
		if errs[i] != nil {
			t.Error(errs[i])
			continue
		}
		b, err := os.ReadFile(filepath.Join(spec.Dir, spec.ID+"-json.log"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), fmt.Sprintf(`"log":"c%d line`, i)); got != 200 || strings.Count(string(b), "\n") != 200 {
			t.Errorf("container %d log has %d of its lines, %d lines in all", i, got, strings.Count(string(b), "\n"))
		}
	}
}

func TestStopAndWait(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sh", "-c", `trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done`)
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready in the log", func() bool {
		b, _ := os.ReadFile(filepath.Join(spec.Dir, spec.ID+"-json.log"))
		return strings.Contains(string(b), "ready")
	})
	if err := Start(*spec, StartOptions{}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Start = %v", err)
	}
	waited := make(chan int, 1)
	go func() { code, _ := Wait(spec.Dir); waited <- code }()
	if err := Stop(spec.Dir, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(spec.Dir); st.Status != "exited" || st.ExitCode != 7 {
		t.Fatalf("Status after Stop = %+v", st)
	}
	if code := <-waited; code != 7 {
		t.Fatalf("Wait = %d", code)
	}
	// pid 1 without a TERM handler ignores it: Stop falls back to SIGKILL.
	spec.Process.Args = []string{"sleep", "1000"}
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Stop(spec.Dir, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(spec.Dir); st.Status != "exited" || st.ExitCode != 137 {
		t.Fatalf("Status after Stop = %+v", st)
	}
	if err := Signal(spec.Dir, syscall.SIGTERM); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal on exited = %v", err)
	}
}

func TestExecAndTop(t *testing.T) {
	requireRoot(t)
	requireExec(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	code, err := Exec(spec.Dir, Process{Args: []string{"sh", "-c", "hostname; ps -eo pid,comm; ls /proc/self/fd; grep CapBnd /proc/self/status"}}, Streams{Out: &out, Err: &errb})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v, %q %q", code, err, out.String(), errb.String())
	}
	o := out.String()
	if !strings.HasPrefix(o, spec.Hostname+"\n") || !strings.Contains(o, "    1 sleep\n") ||
		!strings.Contains(o, "0\n1\n2\n3\n") || !strings.Contains(o, "00000000a80425fb") {
		t.Fatalf("Exec output %q", o)
	}
	code, err = Exec(spec.Dir, Process{Args: []string{"sh", "-c", "exit 4"}}, Streams{})
	if err != nil || code != 4 {
		t.Fatalf("Exec exit 4 = %d, %v", code, err)
	}
	_, err = Exec(spec.Dir, Process{Args: []string{"nope"}}, Streams{})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Code != 127 {
		t.Fatalf("Exec nope = %v", err)
	}
	// A tty exec with input.
	var tout syncBuffer
	code, err = Exec(spec.Dir, Process{Args: []string{"bash", "--norc"}, Tty: true, OpenStdin: true},
		Streams{In: strings.NewReader("echo $((6*7))\nexit 2\n"), Out: &tout})
	if err != nil || code != 2 || !strings.Contains(tout.String(), "42") {
		t.Fatalf("tty Exec = %d, %v, %q", code, err, tout.String())
	}

	procs, err := Top(spec.Dir)
	if err != nil || len(procs) != 1 || procs[0].NsPID != 1 || procs[0].Cmd != "sleep 1000" {
		t.Fatalf("Top = %+v, %v", procs, err)
	}
}

// TestSealedBinary: a container reaching the runtime's /proc/<pid>/exe (pid 1 held before
// exec) cannot write the host binary (CVE-2019-5736): as root it is the binary on a
// detached read-only bind mount; with _DOCKLING_EXE_COPY (the fallback) a sealed memfd.
func TestSealedBinary(t *testing.T) {
	requireRoot(t)
	requireExec(t) // the attack comes from an exec'd process
	t.Run("readonly", func(t *testing.T) { testSealedBinary(t, false) })
	t.Run("memfd", func(t *testing.T) {
		t.Setenv(copyExeEnv, "1")
		testSealedBinary(t, true)
	})
}

func testSealedBinary(t *testing.T, memfd bool) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sum := func() [32]byte {
		b, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	spec := newSpec(t, "true")
	// Held before its exec (which with a terminal waits for the first attach), pid 1
	// is still dockling's own binary: the moment the attack aims at.
	spec.Process.Tty = true
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	// From inside: another process's exe is out of reach and unwritable.
	var out syncBuffer
	code, err := Exec(spec.Dir, Process{Args: []string{"sh", "-c",
		"echo pwned >> /proc/1/exe && echo WROTE; echo pwned > /proc/1/exe && echo WROTE; exit 0"}},
		Streams{Out: &out, Err: &out})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	if strings.Contains(out.String(), "WROTE") {
		t.Fatalf("writing /proc/1/exe: %q", out.String())
	}
	// From the host, with every privilege: the exe cannot be written.
	st, _ := Status(spec.Dir)
	exe := fmt.Sprintf("/proc/%d/exe", st.Pid)
	l, err := os.Readlink(exe)
	if err != nil || strings.HasPrefix(l, "/memfd:") != memfd {
		t.Fatalf("container init runs %q, %v; want memfd %v", l, err, memfd)
	}
	for _, flag := range []int{os.O_WRONLY | os.O_APPEND, os.O_RDWR} {
		f, err := os.OpenFile(exe, flag, 0)
		if err == nil {
			_, werr := f.Write([]byte("pwned"))
			f.Close()
			if werr == nil {
				t.Fatal("wrote to the container init's exe")
			}
		}
	}
	// Writing is refused while the binary runs (ETXTBSY), so the attack holds an O_PATH
	// descriptor and writes once it stops: the read-only mount must refuse that too.
	var fs unix.Statfs_t
	if err := unix.Statfs(exe, &fs); err != nil {
		t.Fatal(err)
	}
	if !memfd && fs.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("the init's exe is on a writable mount (statfs flags %#x)", fs.Flags)
	}
	if sum() != before {
		t.Fatal("host binary changed")
	}
	if err := Stop(spec.Dir, 0); err != nil {
		t.Fatal(err)
	}
}

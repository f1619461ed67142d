package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// requireExec skips where Exec refuses: a build without cgo (see TestExecRefusedWithoutCgo).
func requireExec(t testing.TB) {
	t.Helper()
	if !nsenter.Works() {
		t.Skip("built without cgo: Exec refuses (TestExecRefusedWithoutCgo)")
	}
}

// execWorks reports whether Exec works in this build, saying why not where it does not:
// tests that also run containers run their exec part only then.
func execWorks(t testing.TB) bool {
	t.Helper()
	if !nsenter.Works() {
		t.Log("built without cgo: Exec refuses (TestExecRefusedWithoutCgo); the exec part is left out")
	}
	return nsenter.Works()
}

// TestExecConfined: what an exec'd process gets from its caller, as root (TestRootlessChild
// runs the same checks rootless).
func TestExecConfined(t *testing.T) {
	requireRoot(t)
	requireExec(t)
	spec := newSpec(t, "sleep", "1000")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	testExecConfined(t, spec.Dir)
}

// TestExecHelperHidden: the exec helper, held inside the container, is out of reach of
// the container's processes, as root (TestRootlessChild runs it rootless).
func TestExecHelperHidden(t *testing.T) {
	requireRoot(t)
	requireExec(t)
	testExecHelperHidden(t)
}

// execTimeout is Exec with a bound against hangs.
func execTimeout(t *testing.T, dir string, p Process, s Streams) (int, error) {
	t.Helper()
	return bounded(fmt.Sprintf("exec %q", p.Args), func() (int, error) { return Exec(dir, p, s) })
}

// testExecConfined checks, in the running container of dir, that an exec'd process holds
// none of its caller's descriptors and runs in a session of its own, that -t gives it a
// pty of the container's devpts, and that a failed exec leaves no process behind.
func testExecConfined(t *testing.T, dir string) {
	// The caller's streams are files here (a terminal, a log, a grader's output file):
	// the process must get pipes, never the files, which it could reopen through /proc.
	tmp := t.TempDir()
	in, out := filepath.Join(tmp, "in"), filepath.Join(tmp, "out")
	if err := os.WriteFile(in, []byte("typed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inF, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer inF.Close()
	outF, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer outF.Close()
	script := `cat; for f in 0 1 2; do readlink /proc/self/fd/$f; done
read -r pid _ _ _ _ sid _ < /proc/self/stat; [ "$pid" = "$sid" ] && echo own-session
if ( : </dev/tty ) 2>/dev/null; then echo tty-opened; fi`
	code, err := execTimeout(t, dir, Process{Args: []string{"sh", "-c", script}, OpenStdin: true}, Streams{In: inF, Out: outF, Err: outF})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	b, _ := os.ReadFile(out)
	if !regexp.MustCompile(`^typed\n(pipe:\[\d+\]\n){3}own-session\n$`).Match(b) {
		t.Errorf("exec'd process: want stdin read, three pipes, its own session, no tty; got %q", b)
	}

	// All of the output is copied before Exec returns.
	var big syncBuffer
	code, err = execTimeout(t, dir, Process{Args: []string{"seq", "200000"}}, Streams{Out: &big})
	if err != nil || code != 0 || !strings.HasSuffix(big.String(), "\n199999\n200000\n") {
		t.Errorf("Exec seq 200000 = %d, %v, %d bytes; want all of it", code, err, len(big.String()))
	}

	// -t: a pty of the container's devpts (Docker's `exec -it NAME tty`), its
	// controlling terminal.
	var tout syncBuffer
	code, err = execTimeout(t, dir, Process{Args: []string{"sh", "-c",
		`p=$(readlink /proc/self/fd/0); [ -t 0 ] && [ -c "$p" ] && ( : </dev/tty ) && echo "$p"`}, Tty: true}, Streams{Out: &tout})
	if err != nil || code != 0 || !regexp.MustCompile(`^/dev/pts/\d+\r?\n$`).MatchString(tout.String()) {
		t.Errorf("exec -t = %d, %v, %q; want /dev/pts/N, its controlling terminal", code, err, tout.String())
	}

	// A script whose interpreter is missing: the helper reports it and is gone.
	code, err = execTimeout(t, dir, Process{Args: []string{"sh", "-c", `printf '#!/no/such/interpreter\n' > /noint.sh && chmod +x /noint.sh`}}, Streams{})
	if err != nil || code != 0 {
		t.Fatalf("writing the script: %d, %v", code, err)
	}
	_, err = execTimeout(t, dir, Process{Args: []string{"/noint.sh"}}, Streams{})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Code != 127 {
		t.Errorf("Exec of a script without its interpreter = %v, want an ExecError 127", err)
	}
	procs, err := Top(dir)
	if err != nil || len(procs) != 1 {
		t.Errorf("after the failed exec, the container has %+v (%v), want its init only", procs, err)
	}
	if kids := childrenNamed("dockling-exec"); len(kids) > 0 {
		t.Errorf("exec helpers left: %v", kids)
	}
}

// childrenNamed lists this process's children whose name is comm.
func childrenNamed(comm string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		f := strings.Fields(s[close+1:])
		if open < 0 || len(f) < 2 || s[open+1:close] != comm || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		if f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// testExecHelperHidden holds an exec helper inside a container, as a container could:
// its /etc/passwd is a FIFO, which the helper opens to resolve the user. The container's
// init then looks at every dockling process it can see: none may have a capability the
// container lacks, on any thread, nor let its memory be opened (ptrace's check). So too
// in a container without no_new_privs (--security-opt no-new-privileges=false), whose
// filter takes CAP_SYS_ADMIN to load: the exec'd process still gets it, without
// no_new_privs.
func testExecHelperHidden(t *testing.T) {
	for _, newPrivs := range []bool{false, true} {
		t.Run(fmt.Sprintf("NewPrivs=%v", newPrivs), func(t *testing.T) { testExecHelperHeld(t, newPrivs) })
	}
}

func testExecHelperHeld(t *testing.T, newPrivs bool) {
	script := `exec 4</go
exec 3>/etc/passwd
for p in /proc/[0-9]*; do
	name=$(cat $p/comm 2>/dev/null) || continue
	case $name in dockling*) ;; *) continue ;; esac
	for task in $p/task/*; do echo "task $name $(grep CapEff $task/status)"; done
	if (: <$p/mem) 2>/dev/null; then echo "mem-opened $name"; fi
done >/result 2>&1
cat /passwd.real >&3
exec 3>&-
exec sleep 1000`
	spec := newSpec(t, "sh", "-c", script)
	spec.Process.Security.NewPrivs = newPrivs
	// The init waits on /go until the trap is set (a FIFO made before the overlay is).
	if err := unix.Mkfifo(filepath.Join(spec.Rootfs.Upper, "go"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := Status(spec.Dir)
	if err != nil {
		t.Fatal(err)
	}
	root := "/proc/" + strconv.Itoa(st.Pid) + "/root"
	if err := os.Rename(root+"/etc/passwd", root+"/passwd.real"); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(root+"/etc/passwd", 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := os.OpenFile(root+"/go", os.O_WRONLY, 0) // the init goes on to wait for a reader of /etc/passwd
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	var out syncBuffer
	if code, err := execTimeout(t, spec.Dir, Process{Args: []string{"sh", "-c", statusGrep}}, Streams{Out: &out, Err: &out}); err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v, %q", code, err, out.String())
	}
	if want := fmt.Sprintf("NoNewPrivs:\t%d\nSeccomp:\t2\n", map[bool]int{false: 1, true: 0}[newPrivs]); out.String() != want {
		t.Errorf("exec'd process: %q, want %q", out.String(), want)
	}
	b, err := os.ReadFile(root + "/result")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "task" && f[2] == "CapEff:" {
			eff, err := strconv.ParseUint(f[3], 16, 64)
			if err != nil || eff&^defaultCapMask() != 0 {
				t.Errorf("a thread of %s has capabilities the container lacks: %s", f[1], f[3])
			}
			if f[1] == "dockling-exec" {
				seen++
			}
			continue
		}
		t.Errorf("from inside the container: %s", line)
	}
	if seen == 0 {
		t.Errorf("the held exec helper was not seen from inside the container: %q", b)
	}
}

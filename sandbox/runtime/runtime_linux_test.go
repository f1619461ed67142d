package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEchoHello(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "echo", "hello")
	code, out, errOut := run(t, spec)
	if code != 0 || out != "hello\n" {
		t.Fatalf("got code %d, stdout %q, stderr %q; want 0, \"hello\\n\"", code, out, errOut)
	}
	st, err := Status(spec.Dir)
	if err != nil || st.Status != "exited" || st.ExitCode != 0 || st.FinishedAt.Before(st.StartedAt) {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	// The json log: one Docker json-file line per output line.
	f, err := os.Open(filepath.Join(spec.Dir, spec.ID+"-json.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []logEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil {
			t.Errorf("log time %q: %v", e.Time, err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 1 || lines[0].Log != "hello\n" || lines[0].Stream != "stdout" {
		t.Fatalf("log = %+v", lines)
	}
	if mounted(spec.Rootfs.Merged) {
		t.Fatal("merged dir still mounted on the host after exit")
	}
}

func TestExitCode(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sh", "-c", "echo oops >&2; exit 3")
	code, out, errOut := run(t, spec)
	if code != 3 || out != "" || errOut != "oops\n" {
		t.Fatalf("got code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if st, _ := Status(spec.Dir); st.ExitCode != 3 {
		t.Fatalf("Status exit code %d, want 3", st.ExitCode)
	}
}

func TestCommandNotFound(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "nonexistent-cmd")
	err := Start(*spec, StartOptions{HoldUntilAttach: true})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Code != 127 || !errors.Is(err, ErrExec) {
		t.Fatalf("Start error = %v, want *ExecError 127", err)
	}
	if want := `exec: "nonexistent-cmd": executable file not found in $PATH`; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
	st, _ := Status(spec.Dir)
	if st.Status != "exited" || st.ExitCode != 127 || !strings.Contains(st.Error, "not found") {
		t.Fatalf("Status = %+v", st)
	}
	// A directory is not executable: 126.
	spec2 := newSpec(t, "/etc")
	err = Start(*spec2, StartOptions{})
	if !errors.As(err, &ee) || ee.Code != 126 {
		t.Fatalf("Start /etc error = %v, want *ExecError 126", err)
	}
}

// A container dir deeper than a unix socket path allows still attaches.
func TestLongDirPath(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "echo", "deep")
	long := filepath.Join(spec.Dir, strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	spec.Dir = long
	if code, out, _ := run(t, spec); code != 0 || out != "deep\n" {
		t.Fatalf("got %d %q", code, out)
	}
}

func TestCapabilities(t *testing.T) {
	s := Capabilities()
	t.Logf("%+v", s)
	if s.Root != (os.Geteuid() == 0) {
		t.Fatalf("Root = %v", s.Root)
	}
	if s.Root && !s.Overlay {
		t.Fatalf("root cannot mount overlay: %s", s.OverlayReason)
	}
}

// Wait does not release a held container; Attach does. (A hold holds the process with
// a terminal; without one it runs, its output kept: TestFirstAttachGetsOutput….)
func TestWaitHeld(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sh", "-c", "exit 9")
	spec.Process.Tty = true
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	waited := make(chan int, 1)
	go func() { code, _ := Wait(spec.Dir); waited <- code }()
	if st, _ := Status(spec.Dir); st.Status != "running" {
		t.Fatalf("held Status = %+v", st)
	}
	code, err := attachTimeout(t, spec.Dir, Streams{})
	if err != nil || code != 9 {
		t.Fatalf("Attach = %d, %v", code, err)
	}
	select {
	case c := <-waited:
		if c != 9 {
			t.Fatalf("Wait = %d", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not return")
	}
}

// The CLI returns while the container runs: a process that called Start exits, and the
// container, its shim and attach stay alive for the next one.
func TestStartOutlivesCaller(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "sh", "-c", "read line; echo got $line; exit 4")
	spec.Process.OpenStdin = true
	b, _ := json.Marshal(spec)
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^TestStartChild$")
	cmd.Env = append(os.Environ(), "DOCKLING_START_CHILD="+string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if st, _ := Status(spec.Dir); st.Status != "running" {
		t.Fatalf("after the caller exited, Status = %+v", st)
	}
	var out syncBuffer
	code, err := attachTimeout(t, spec.Dir, Streams{In: strings.NewReader("hi\n"), Out: &out})
	if err != nil || code != 4 || out.String() != "got hi\n" {
		t.Fatalf("Attach = %d, %v, %q", code, err, out.String())
	}
}

func TestStartChild(t *testing.T) {
	env := os.Getenv("DOCKLING_START_CHILD")
	if env == "" {
		t.Skip("helper for TestStartOutlivesCaller")
	}
	var spec Spec
	if err := json.Unmarshal([]byte(env), &spec); err != nil {
		t.Fatal(err)
	}
	if err := Start(spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
}

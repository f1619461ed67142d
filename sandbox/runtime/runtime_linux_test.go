package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
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

package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ttySpec(t *testing.T) *Spec {
	spec := newSpec(t, "bash", "--norc", "--noprofile")
	spec.Process.Tty = true
	spec.Process.OpenStdin = true
	return spec
}

func TestTtyShell(t *testing.T) {
	requireRoot(t)
	spec := ttySpec(t)
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	defer inW.Close()
	var out syncBuffer
	resize := make(chan WinSize, 1)
	resize <- WinSize{Rows: 40, Cols: 100}
	done := make(chan struct{})
	var code int
	var err error
	go func() {
		code, err = attachTimeout(t, spec.Dir, Streams{In: inR, Out: &out, Resize: resize})
		close(done)
	}()
	_, _ = io.WriteString(inW, "echo $((6*7)); shopt -s checkwinsize; sleep 0; echo size=$LINES,$COLUMNS; readlink /proc/self/fd/0\n")
	waitFor(t, "42 in the output", func() bool { return strings.Contains(out.String(), "\n42\r\n") })
	waitFor(t, "the window size", func() bool { return strings.Contains(out.String(), "size=40,100") })
	waitFor(t, "tty name", func() bool { return strings.Contains(out.String(), "/dev/pts/0") })
	_, _ = io.WriteString(inW, "exit\n")
	<-done
	if err != nil || code != 0 {
		t.Fatalf("Attach = %d, %v; output %q", code, err, out.String())
	}
}

func TestDetachAndReattach(t *testing.T) {
	requireRoot(t)
	spec := ttySpec(t)
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := attachTimeout(t, spec.Dir, Streams{In: inR, Out: &out})
		done <- err
	}()
	_, _ = io.WriteString(inW, "echo first\n")
	waitFor(t, "first", func() bool { return strings.Contains(out.String(), "first\r\n") })
	_, _ = inW.Write([]byte{0x10, 0x11})
	if err := <-done; !errors.Is(err, ErrDetached) || err.Error() != "read escape sequence" {
		t.Fatalf("Attach after ctrl-p ctrl-q = %v, want ErrDetached", err)
	}
	inW.Close()
	if st, err := Status(spec.Dir); err != nil || st.Status != "running" {
		t.Fatalf("after detach Status = %+v, %v", st, err)
	}
	// Re-attach; a ctrl-p not followed by ctrl-q is passed through.
	var out2 syncBuffer
	code, err := attachTimeout(t, spec.Dir, Streams{In: strings.NewReader("echo again\nexit 5\n"), Out: &out2})
	if err != nil || code != 5 {
		t.Fatalf("re-attach = %d, %v; output %q", code, err, out2.String())
	}
	if !strings.Contains(out2.String(), "again") {
		t.Fatalf("re-attach output %q", out2.String())
	}
	if st, _ := Status(spec.Dir); st.Status != "exited" || st.ExitCode != 5 {
		t.Fatalf("Status = %+v", st)
	}
	if _, err := Attach(spec.Dir, Streams{}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Attach to exited = %v, want ErrNotRunning", err)
	}
}

func TestStdinPipe(t *testing.T) {
	requireRoot(t)
	spec := newSpec(t, "cat")
	spec.Process.OpenStdin = true
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	code, err := attachTimeout(t, spec.Dir, Streams{In: strings.NewReader("line one\nline two\n"), Out: &out})
	if err != nil || code != 0 || out.String() != "line one\nline two\n" {
		t.Fatalf("Attach = %d, %v, %q", code, err, out.String())
	}
}

func TestCopyInputEscape(t *testing.T) {
	keys := []byte{0x10, 0x11}
	cases := []struct {
		in, want string
		detached bool
	}{
		{"abc", "abc", false},
		{"a\x10b", "a\x10b", false},
		{"a\x10\x10\x11zz", "a\x10", true},
		{"ab\x10\x11c", "ab", true},
		{"x\x10", "x\x10", false},
	}
	for _, c := range cases {
		var got bytes.Buffer
		err := copyInput(strings.NewReader(c.in), keys, func(p []byte) error { got.Write(p); return nil })
		if (err != nil) != c.detached || got.String() != c.want {
			t.Errorf("copyInput(%q) = %q, %v; want %q, detached %v", c.in, got.String(), err, c.want, c.detached)
		}
	}
}

// Without a terminal, a start that waits for its first attacher runs the command at
// once: a command that ended before the attach still gives it all its output, in
// order, then its exit code; and one that writes more than is kept waits for the
// attacher rather than losing bytes.
func TestFirstAttachGetsOutputOfAnEndedCommand(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name  string
		lines int
	}{{"small", 3}, {"larger than kept", 200000}} { // 200000 lines of 10 bytes: 2 MB
		t.Run(tc.name, func(t *testing.T) {
			spec := newSpec(t, "sh", "-c", fmt.Sprintf(`i=0; while [ $i -lt %d ]; do printf 'line %%04d\n' $((i %% 10000)); i=$((i+1)); done; echo err >&2; exit 7`, tc.lines))
			if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
				t.Fatal(err)
			}
			if tc.lines < 10 {
				waitFor(t, "the command to end", func() bool { st, _ := Status(spec.Dir); return st.Status == "exited" })
			}
			var out, errOut syncBuffer
			code, err := attachTimeout(t, spec.Dir, Streams{Out: &out, Err: &errOut})
			if err != nil || code != 7 {
				t.Fatalf("Attach = %d, %v", code, err)
			}
			if got := strings.Count(out.String(), "\n"); got != tc.lines || !strings.HasPrefix(out.String(), "line 0000\nline 0001\n") {
				t.Errorf("%d lines of output, want %d; it begins %.40q", got, tc.lines, out.String())
			}
			if errOut.String() != "err\n" {
				t.Errorf("stderr %q", errOut.String())
			}
			// The first attacher had it all: the container is stopped for everyone else.
			waitFor(t, "the shim to go", func() bool { _, err := os.Stat(filepath.Join(spec.Dir, sockFile)); return err != nil })
			if _, err := Attach(spec.Dir, Streams{}); !errors.Is(err, ErrNotRunning) {
				t.Fatalf("a second attach: %v, want ErrNotRunning", err)
			}
		})
	}
}

// firstReadWatch is an input that notes whether Attached ran before its first Read.
type firstReadWatch struct {
	io.Reader
	attached *atomic.Bool
	early    atomic.Bool // read before Attached
	readOnce sync.Once
}

func (f *firstReadWatch) Read(p []byte) (int, error) {
	f.readOnce.Do(func() { f.early.Store(!f.attached.Load()) })
	return f.Reader.Read(p)
}

// Attached runs once the shim has set the attacher's window size and before any input is
// read: a caller's terminal goes raw there, so what is typed meets the resized shell.
func TestAttachedBeforeInput(t *testing.T) {
	requireRoot(t)
	spec := ttySpec(t)
	if err := Start(*spec, StartOptions{}); err != nil { // running, not held: like start, then attach
		t.Fatal(err)
	}
	var attached atomic.Bool
	inR, inW := io.Pipe()
	defer inW.Close()
	in := &firstReadWatch{Reader: inR, attached: &attached}
	resize := make(chan WinSize, 1)
	resize <- WinSize{Rows: 33, Cols: 77}
	var out syncBuffer
	done := make(chan struct{})
	var code int
	var err error
	go func() {
		code, err = attachTimeout(t, spec.Dir, Streams{In: in, Out: &out, Resize: resize, Attached: func() { attached.Store(true) }})
		close(done)
	}()
	waitFor(t, "Attached", attached.Load)
	_, _ = io.WriteString(inW, "shopt -s checkwinsize; sleep 0; echo size=$LINES,$COLUMNS; exit 4\n")
	<-done
	if err != nil || code != 4 {
		t.Fatalf("attach = %d, %v; want 4\n%s", code, err, out.String())
	}
	if in.early.Load() {
		t.Error("input was read before Attached ran")
	}
	if !strings.Contains(out.String(), "size=33,77") {
		t.Errorf("the shell did not see the attacher's size:\n%s", out.String())
	}
}

// Attaching to a shell that already shows its prompt, at a new window size, makes it draw
// the prompt again, and the attacher sees that (it is registered before the resize):
// what a learner sees after `docker start` and `docker attach`.
func TestAttachSeesTheRedrawnPrompt(t *testing.T) {
	requireRoot(t)
	spec := ttySpec(t)
	// A whole line just before each prompt: the log shows whole lines only.
	spec.Process.Env = append(spec.Process.Env, "PROMPT_COMMAND=echo at-the-prompt")
	if err := Start(*spec, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(spec.Dir, spec.ID+"-json.log")
	waitFor(t, "the shell at its first prompt", func() bool {
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte("at-the-prompt"))
	})
	time.Sleep(50 * time.Millisecond) // the prompt itself, after the line
	inR, inW := io.Pipe()
	defer inW.Close()
	resize := make(chan WinSize, 1)
	resize <- WinSize{Rows: 31, Cols: 91}
	var out syncBuffer
	done := make(chan struct{})
	go func() {
		_, _ = attachTimeout(t, spec.Dir, Streams{In: inR, Out: &out, Resize: resize})
		close(done)
	}()
	waitFor(t, "the prompt drawn again for the attacher", func() bool { return strings.Contains(out.String(), "# ") })
	_, _ = io.WriteString(inW, "exit\n")
	<-done
}

package session

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/sandbox/journal"
)

// In a shell started by the recorder (dockling record), each line is journaled with
// its own exit code and its output, in bash, zsh and fish, and the marks the hook
// prints never reach the terminal.
func TestRecordJournalsOutput(t *testing.T) { eachShell(t, testRecord) }

func testRecord(t *testing.T, tc hookCase, path string) {
	dir := t.TempDir()
	hookFile := filepath.Join(dir, "hook")
	if err := os.WriteFile(hookFile, []byte(ShellHook(tc.shell, "/nonexistent/dockling")), 0o644); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	var out lockedBuffer
	ios := &iostreams.IOStreams{In: inR, Out: &out, ErrOut: &out}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=dumb", "HISTFILE=" + filepath.Join(dir, "history")}
	done := make(chan error, 1)
	go func() {
		_, err := Record(RecordOptions{IO: ios, Shell: append([]string{path}, tc.args...), Env: env, SandboxDir: dir})
		done <- err
	}()
	t.Cleanup(func() { inW.Close() })
	entries := func() []journal.Entry { es, _ := journal.Read(dir); return es }
	typed := func(line string) journal.Entry {
		t.Helper()
		inW.Write([]byte(line + "\r"))
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if es := entries(); len(es) > 0 && es[len(es)-1].Line == line {
				return es[len(es)-1]
			}
			if time.Now().After(end) {
				t.Fatalf("%s: %q was not journaled: %+v; the terminal showed:\n%s", tc.shell, line, entries(), out.String())
			}
		}
	}
	inW.Write([]byte(tc.before + "\r"))
	inW.Write([]byte(sourceLine(tc, hookFile) + "\r"))
	if a := typed("echo recorded-out; echo to-err >&2"); a.ExitCode != 0 || a.Output != "recorded-out\nto-err\n" {
		t.Errorf("%s: %+v", tc.shell, a)
	}
	if b := typed("sh -c 'printf partial; exit 4'"); b.ExitCode != 4 || b.Output != "partial" {
		t.Errorf("%s: %q %+v", tc.shell, b.Output, b)
	}
	inW.Write([]byte("exit\r"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not end on exit", tc.shell)
	}
	if strings.Contains(out.String(), "7717") {
		t.Errorf("%s: a mark reached the terminal:\n%q", tc.shell, out.String())
	}
}

type lockedBuffer struct {
	c capture
}

func (b *lockedBuffer) Write(p []byte) (int, error) { return b.c.Write(p) }
func (b *lockedBuffer) String() string              { return b.c.String() }

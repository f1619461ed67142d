package session

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/dockling/dockling/internal/iostreams"
)

// Recording a learner's own terminal, for learn --watch: `dockling record` starts
// their shell on a pty of its own between it and the terminal, as script(1) does.
// The shell hook (hook.go), seeing RecordEnv, prints a mark when a line starts and
// one when it ends, with its exit code and the line; the recorder takes the marks
// out of what the terminal shows and journals each line with its exit code and the
// output between its marks, so output: checks pass as in the guided shell.

// RecordEnv tells the hook that a recorder reads its marks.
const RecordEnv = "DOCKLING_RECORD"

// The marks: OSC sequences of a number no terminal uses.
var (
	markStart = []byte("\x1b]7717;dockling;S\x07")
	markEnd   = []byte("\x1b]7717;dockling;E;")
)

// RecordOptions configure Record.
type RecordOptions struct {
	IO         *iostreams.IOStreams
	Shell      []string // the shell and its arguments
	Env        []string
	SandboxDir string // whose journal gets the lines
}

// Record runs the shell on a pty until it ends and returns its exit status.
func Record(opts RecordOptions) (int, error) {
	cmd := exec.Command(opts.Shell[0], opts.Shell[1:]...)
	cmd.Env = append(opts.Env[:len(opts.Env):len(opts.Env)], RecordEnv+"=1")
	in, inOK := opts.IO.In.(*os.File)
	out, outOK := opts.IO.Out.(*os.File)
	var ptm *os.File
	var err error
	if inOK && outOK && term.IsTerminal(int(in.Fd())) {
		ptm, err = pty.StartWithAttrs(cmd, nil, &syscall.SysProcAttr{Setsid: true, Setctty: true})
		if err == nil {
			_ = pty.InheritSize(out, ptm)
			if saved, err := term.MakeRaw(int(in.Fd())); err == nil {
				defer term.Restore(int(in.Fd()), saved)
			}
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			go func() {
				for range winch {
					_ = pty.InheritSize(out, ptm)
				}
			}()
		}
	} else {
		ptm, err = pty.Start(cmd)
	}
	if err != nil {
		return 0, err
	}
	defer ptm.Close()
	go func() { _, _ = io.Copy(ptm, opts.IO.In) }()
	r := &recorder{out: opts.IO.Out, dir: opts.SandboxDir}
	_, _ = io.Copy(r, ptm) // ends with EIO when the shell has gone
	return exitCode(cmd.Wait())
}

// recorder passes the shell's output on without the marks, and journals each line.
type recorder struct {
	out     io.Writer
	dir     string
	pending []byte // the start of what may be a mark
	on      bool   // between a line's marks
	output  bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	buf := append(r.pending, p...)
	r.pending = nil
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, 0x1b)
		if i < 0 {
			r.pass(buf)
			break
		}
		r.pass(buf[:i])
		buf = buf[i:]
		n, done := r.mark(buf)
		if !done { // a mark cut in two: wait for the rest
			r.pending = append([]byte(nil), buf...)
			break
		}
		if n == 0 {
			r.pass(buf[:1])
			n = 1
		}
		buf = buf[n:]
	}
	return len(p), nil
}

func (r *recorder) pass(b []byte) {
	if len(b) == 0 {
		return
	}
	_, _ = r.out.Write(b)
	if r.on && r.output.Len() <= 2*maxCapture {
		r.output.Write(b)
	}
}

const maxCapture = 64 << 10

// mark reads a mark at the start of b: its length (0 when b does not start with
// one) and whether b was long enough to tell.
func (r *recorder) mark(b []byte) (int, bool) {
	for _, m := range [][]byte{markStart, markEnd} {
		if len(b) < len(m) {
			if bytes.HasPrefix(m, b) {
				return 0, false
			}
			continue
		}
		if !bytes.HasPrefix(b, m) {
			continue
		}
		if bytes.Equal(m, markStart) {
			r.on = true
			r.output.Reset()
			return len(m), true
		}
		end := bytes.IndexByte(b, 0x07)
		if end < 0 {
			return 0, len(b) > 4096 // a mark longer than that is no mark
		}
		r.endLine(string(b[len(m):end]))
		return end + 1, true
	}
	return 0, true
}

// zshPromptSP is what zsh prints before its precmd hooks run, so before the end mark:
// its PROMPT_EOL_MARK (% or #, maybe coloured) after output that did not end a line,
// spaces to the edge and carriage returns. It is the prompt's, not the line's.
var zshPromptSP = regexp.MustCompile(`(\x1b\[[0-9;]*m)*[%#](\x1b\[[0-9;]*m)* *\r \r$`)

// endLine journals the line a mark's fields "CODE;BASE64-LINE" name.
func (r *recorder) endLine(fields string) {
	codeText, lineB64, _ := bytes.Cut([]byte(fields), []byte(";"))
	code, _ := strconv.Atoi(string(codeText))
	line, err := base64.StdEncoding.DecodeString(string(lineB64))
	output := ""
	if r.on {
		output = zshPromptSP.ReplaceAllString(r.output.String(), "")
		output = strings.ReplaceAll(output, "\r\n", "\n")
	}
	r.on = false
	r.output.Reset()
	if err == nil {
		_ = AppendTyped(r.dir, string(line), code, output)
	}
}

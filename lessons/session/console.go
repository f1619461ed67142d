package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/core"
	"github.com/AlecAivazis/survey/v2/terminal"
	"github.com/dockling/dockling/internal/iostreams"
	"golang.org/x/term"
)

// ErrInterrupted is Ctrl-C at the prompt or in a question: the line or the question
// is dropped and the session goes on.
var ErrInterrupted = errors.New("interrupted")

// LineReader reads the learner's lines. It returns ErrInterrupted for Ctrl-C and
// io.EOF when the learner is done (Ctrl-D, end of input).
type LineReader interface {
	ReadLine(ctx context.Context, prompt string) (string, error)
}

// Prompter asks questions: confirmations and multiple choice. Both return
// ErrInterrupted when the learner backs out, io.EOF at the end of input.
type Prompter interface {
	Confirm(ctx context.Context, question string, def bool) (bool, error)
	Select(ctx context.Context, question string, choices []string) (int, error)
}

// NewConsole picks how to talk to the learner: on a terminal a line editor with
// history for the prompt and survey's menus for questions; otherwise plain lines
// read from IO.In (echoed, so a transcript reads like a terminal session).
func NewConsole(ios *iostreams.IOStreams, colour bool) (LineReader, Prompter) {
	in, inOK := ios.In.(*os.File)
	out, outOK := ios.Out.(*os.File)
	if inOK && outOK && ios.IsStdinTTY() && ios.IsStdoutTTY() {
		if !colour {
			core.DisableColor = true
		}
		c := &termConsole{in: in, out: out, errOut: ios.ErrOut}
		return c, c
	}
	c := &plainConsole{r: bufio.NewReader(ios.In), out: ios.Out}
	return c, c
}

// plainConsole reads lines from a stream that is not a terminal.
type plainConsole struct {
	r   *bufio.Reader
	out io.Writer
}

func (c *plainConsole) ReadLine(ctx context.Context, prompt string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	fmt.Fprint(c.out, prompt)
	line, err := c.r.ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(c.out)
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	fmt.Fprintln(c.out, line)
	return line, nil
}

func (c *plainConsole) Confirm(ctx context.Context, question string, def bool) (bool, error) {
	choices := "[y/N]"
	if def {
		choices = "[Y/n]"
	}
	line, err := c.ReadLine(ctx, question+" "+choices+" ")
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "":
		return def, nil
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

func (c *plainConsole) Select(ctx context.Context, question string, choices []string) (int, error) {
	fmt.Fprintln(c.out, question)
	for i, ch := range choices {
		fmt.Fprintf(c.out, "  %d) %s\n", i+1, ch)
	}
	for {
		line, err := c.ReadLine(ctx, fmt.Sprintf("Answer (1-%d): ", len(choices)))
		if err != nil {
			return -1, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			return -1, ErrInterrupted
		}
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(choices) {
			return n - 1, nil
		}
		for i, ch := range choices {
			if strings.EqualFold(line, ch) {
				return i, nil
			}
		}
		fmt.Fprintf(c.out, "Please answer with a number from 1 to %d.\n", len(choices))
	}
}

// termConsole is the learner's terminal: x/term's line editor (arrows, history)
// in raw mode for the prompt, survey for questions. Nothing reads the terminal
// between prompts, so the commands the learner runs get every keystroke.
type termConsole struct {
	in, out *os.File
	errOut  io.Writer
	t       *term.Terminal
	keys    *keyReader
	// complete is Tab's completion, when the session has set one.
	complete Completer
}

// SetCompleter gives the line editor Tab completion.
func (c *termConsole) SetCompleter(f Completer) { c.complete = f }

func (c *termConsole) ReadLine(ctx context.Context, prompt string) (string, error) {
	fd := int(c.in.Fd())
	if c.t == nil {
		c.keys = &keyReader{f: c.in}
		c.t = term.NewTerminal(struct {
			io.Reader
			io.Writer
		}{c.keys, c.out}, "")
		c.t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
			if key != '\t' || c.complete == nil {
				return "", 0, false
			}
			return c.complete(line, pos)
		}
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("reading a line: %w", err)
	}
	defer term.Restore(fd, old)
	// A terminal that reports no size (some ptys) keeps x/term's 80 columns.
	if w, h, err := term.GetSize(int(c.out.Fd())); err == nil && w > 0 && h > 0 {
		c.t.SetSize(w, h)
	}
	c.keys.ctx, c.keys.interrupted = ctx, false
	c.t.SetPrompt(prompt)
	line, err := c.t.ReadLine()
	switch {
	case c.keys.interrupted:
		return "", ErrInterrupted
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, syscall.EIO):
		// The terminal went away (hung up): the learner is gone.
		return "", io.EOF
	case err != nil:
		return "", err
	}
	return line, nil
}

func (c *termConsole) Confirm(ctx context.Context, question string, def bool) (bool, error) {
	ok := def
	err := survey.AskOne(&survey.Confirm{Message: question, Default: def}, &ok, survey.WithStdio(eotAsInterrupt{c.in}, c.out, c.errOut))
	return ok, surveyErr(err)
}

func (c *termConsole) Select(ctx context.Context, question string, choices []string) (int, error) {
	idx := -1
	err := survey.AskOne(&survey.Select{Message: question, Options: choices}, &idx, survey.WithStdio(eotAsInterrupt{c.in}, c.out, c.errOut))
	if err != nil {
		return -1, surveyErr(err)
	}
	return idx, nil
}

func surveyErr(err error) error {
	if errors.Is(err, terminal.InterruptErr) {
		return ErrInterrupted
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("asking: %w", err)
	}
	return err
}

// eotAsInterrupt is the terminal as survey reads it, with Ctrl-D made Ctrl-C: survey
// takes Ctrl-D in a menu as Enter, submitting the highlighted choice (and indexing
// an empty list when the filter matches none), where the learner meant to leave.
type eotAsInterrupt struct{ *os.File }

func (r eotAsInterrupt) Read(p []byte) (int, error) {
	n, err := r.File.Read(p)
	for i, b := range p[:n] {
		if b == 4 {
			p[i] = 3
		}
	}
	return n, err
}

// keyReader feeds the line editor. x/term reports Ctrl-C like Ctrl-D (io.EOF), but
// at the prompt Ctrl-C must only drop the line: keyReader turns it into Enter and
// notes that the line was interrupted. It also waits for input in a way that a
// cancelled ctx ends (see waitReadable).
type keyReader struct {
	f           *os.File
	ctx         context.Context
	interrupted bool
	rest        []byte
}

func (k *keyReader) Read(p []byte) (int, error) {
	if k.interrupted {
		// The line was handed back already; deliver nothing more this round.
		return 0, io.EOF
	}
	if len(k.rest) == 0 {
		if err := waitReadable(k.ctx, k.f); err != nil {
			return 0, err
		}
		n, err := k.f.Read(p)
		if n == 0 {
			return 0, err
		}
		k.rest = append(k.rest[:0], p[:n]...)
	}
	b := k.rest
	if i := indexByte(b, 3); i >= 0 {
		n := copy(p, b[:i])
		if n == i {
			p[n] = '\r'
			n++
			k.interrupted = true
			k.rest = nil // typed-ahead keys after Ctrl-C are dropped with the line
			return n, nil
		}
		k.rest = b[n:]
		return n, nil
	}
	n := copy(p, b)
	k.rest = b[n:]
	return n, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

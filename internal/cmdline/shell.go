// Package cmdline reads the learner's command lines: as a shell parses them
// (mvdan.cc/sh/v3/syntax), and the docker commands among them by dockling's own
// Docker command-line grammar. The journal, the checker and tab completion all read
// lines through it, so they agree on what a line ran.
package cmdline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// MaxLine is the longest line read, and MaxDepth how deeply its brackets may nest;
// beyond either it is not a learner's typing, and the parser slows down past
// linear time on deep nesting.
const (
	MaxLine  = 16 << 10
	MaxDepth = 64
)

// ErrTooLong is returned for a line longer than MaxLine or nested deeper than
// MaxDepth.
var ErrTooLong = errors.New("command line too long or too deeply nested to read")

// Word is one word of a simple command.
type Word struct {
	// Text is the word as the shell passes it on (quotes removed) when it is
	// literal; else as typed.
	Text string
	// Raw is the word as typed.
	Raw string
	// Literal says the word has no expansion ($VAR, $(…), globs that expand, {a,b}).
	Literal bool
	// Offset and End place Raw in the line.
	Offset, End int
}

// Command is one simple command a line runs, with what only wraps it taken off:
// assignments (FOO=1), time, sudo, env, command, exec, nohup, nice.
type Command struct {
	Words []Word
}

// Args are the words' texts.
func (c Command) Args() []string {
	out := make([]string, len(c.Words))
	for i, w := range c.Words {
		out[i] = w.Text
	}
	return out
}

// String is the command as typed, wrappers left out, blanks squeezed.
func (c Command) String() string {
	raw := make([]string, len(c.Words))
	for i, w := range c.Words {
		raw[i] = w.Raw
	}
	return strings.Join(raw, " ")
}

// Parse finds every simple command a line runs, in the order written: those in
// lists (;, &&, ||), pipelines, subshells, command substitutions and compound
// commands. A line the shell could not parse either (an unterminated quote) is an
// error.
func Parse(line string) ([]Command, error) {
	f, err := parse(line)
	if err != nil {
		return nil, err
	}
	var cmds []Command
	syntax.Walk(f, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			if c := unwrap(command(line, call)); len(c.Words) > 0 {
				cmds = append(cmds, c)
			}
		}
		return true
	})
	return cmds, nil
}

func parse(line string) (*syntax.File, error) {
	if len(line) > MaxLine || nesting(line) > MaxDepth {
		return nil, ErrTooLong
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, fmt.Errorf("read the command line: %w", err)
	}
	return f, nil
}

func command(line string, call *syntax.CallExpr) Command {
	var c Command
	for _, w := range call.Args {
		c.Words = append(c.Words, word(line, w))
	}
	return c
}

func word(line string, w *syntax.Word) Word {
	off, end := int(w.Pos().Offset()), int(w.End().Offset())
	out := Word{Raw: line[off:end], Offset: off, End: end}
	out.Text = out.Raw
	if !literal(w) {
		return out
	}
	// Fields removes quotes and escapes as the shell does; a word that becomes
	// several ({a,b}) stays as typed.
	if fs, err := expand.Fields(nil, w); err == nil && len(fs) == 1 {
		out.Text, out.Literal = fs[0], true
	}
	return out
}

// literal says w has nothing a shell would expand from its environment.
func literal(w *syntax.Word) bool {
	ok := true
	syntax.Walk(w, func(n syntax.Node) bool {
		switch n.(type) {
		case *syntax.ParamExp, *syntax.CmdSubst, *syntax.ArithmExp, *syntax.ProcSubst, *syntax.ExtGlob:
			ok = false
		}
		return ok
	})
	return ok && !strings.HasPrefix(w.Lit(), "~")
}

// wrappers run the command that follows them; the value says which of their
// options take a value.
var wrappers = map[string]string{
	"sudo": "ugUCDhprtT", "doas": "uC", "env": "uSC", "time": "fo", "command": "", "exec": "a",
	"nohup": "", "nice": "n", "builtin": "", "stdbuf": "ioe",
}

// unwrap takes wrappers and their options off a command.
func unwrap(c Command) Command {
	for len(c.Words) > 0 {
		name := c.Words[0].Text
		valued, ok := wrappers[name[strings.LastIndex(name, "/")+1:]]
		if !ok || !c.Words[0].Literal {
			return c
		}
		i := 1
		for i < len(c.Words) {
			w := c.Words[i].Text
			if w == "--" {
				i++
				break
			}
			isEnvAssign := name == "env" && strings.Contains(w, "=") && !strings.HasPrefix(w, "-")
			if !isEnvAssign && (!strings.HasPrefix(w, "-") || w == "-") {
				break
			}
			if !strings.HasPrefix(w, "--") && len(w) == 2 && strings.ContainsRune(valued, rune(w[1])) {
				i++
			}
			i++
		}
		c.Words = slices.Clone(c.Words[min(i, len(c.Words)):])
	}
	return c
}

// nesting is how deeply brackets nest in line, counted without regard to quotes: an
// upper bound that is cheap to find.
func nesting(line string) int {
	depth, most := 0, 0
	for _, c := range line {
		switch c {
		case '(', '{':
			depth++
			most = max(most, depth)
		case ')', '}':
			depth--
		}
	}
	return most
}

// ErrNotSimple is returned by Words for a line that is more than one plain command.
var ErrNotSimple = errors.New("not one plain command (no shell runs it: for ;, |, > or $VAR name one, as [sh, -c, \"…\"])")

// Words splits a line that no shell will run into the words a shell would pass on:
// quotes group, backslashes escape. Anything a shell would have to do (lists, pipes,
// redirections, expansions) is an error rather than passed on unexpanded.
func Words(line string) ([]string, error) {
	f, err := parse(line)
	if err != nil {
		return nil, err
	}
	if len(f.Stmts) == 0 {
		return nil, nil
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	if len(f.Stmts) > 1 || !ok || len(st.Redirs) > 0 || st.Background || st.Negated || len(call.Assigns) > 0 {
		return nil, ErrNotSimple
	}
	c := command(line, call)
	for _, w := range c.Words {
		if !w.Literal {
			return nil, fmt.Errorf("%s: %w", w.Raw, ErrNotSimple)
		}
	}
	return c.Args(), nil
}

// Spellings are the ways a line may be read when matched against an author's
// pattern: the whole line, then each command it runs as typed without what wraps it,
// then each docker command in its canonical spelling (docker ps for docker
// container ls); blanks squeezed, without repeats.
func Spellings(line string) []string {
	out := []string{strings.Join(strings.Fields(line), " ")}
	cmds, err := Parse(line)
	if err != nil {
		return out
	}
	for _, c := range cmds {
		out = append(out, strings.Join(strings.Fields(c.String()), " "))
		if d, ok := c.Docker(); ok {
			out = append(out, strings.Join(strings.Fields(d.String()), " "))
		}
	}
	slices.Sort(out[1:])
	return slices.Compact(out)
}

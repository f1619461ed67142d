package cmdline

import (
	"maps"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Cursor is where a word is being typed at the end of a partial line.
type Cursor struct {
	// Start is where the word being typed begins (the end of the line for a new one).
	Start int
	// Before are the words of its simple command before it, wrappers left in.
	Before []Word
	// Quote is the quote the word is typed inside, "" when none is open.
	Quote string
}

// At reads a partial line, typed up to the cursor, as a shell would. False when
// the shell could not read it yet (an open quote, a pipe with nothing after it).
func At(prefix string) (Cursor, bool) {
	cur, ok := at(prefix, prefix)
	for _, q := range []string{`"`, "'"} {
		if ok {
			break
		}
		// A word being typed inside a quote: read as if the quote were closed, the
		// word starting after the quote.
		if cur, ok = at(prefix+q, prefix); ok && strings.HasPrefix(prefix[cur.Start:], q) {
			cur.Start++
			cur.Quote = q
		}
	}
	return cur, ok
}

// at reads src, which is prefix or prefix with a closing quote added.
func at(src, prefix string) (Cursor, bool) {
	f, err := parse(src)
	if err != nil {
		return Cursor{}, false
	}
	var last *syntax.CallExpr
	syntax.Walk(f, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 {
			if last == nil || c.End().Offset() >= last.End().Offset() {
				last = c
			}
		}
		return true
	})
	cur := Cursor{Start: len(prefix)}
	if last == nil {
		return cur, true
	}
	words := command(src, last).Words
	end := words[len(words)-1].End
	switch {
	case end >= len(prefix):
		cur.Start, cur.Before = words[len(words)-1].Offset, words[:len(words)-1]
	case strings.TrimRight(prefix[end:], " \t") == "":
		cur.Before = words
	}
	return cur, true
}

// Expect is what the next word of a docker command may be.
type Expect struct {
	Verbs []string // verb names, where a verb comes next
	Flags []string // the verb's flags
	Value bool     // the value of a flag
	// Operand is the kind of the operand that comes next (see Verb.Operands); 0
	// where none does.
	Operand byte
}

// Next says what may follow words (a command so far) when it is a docker command;
// false when it is not one.
func (g *Grammar) Next(words []Word) (Expect, bool) {
	words = unwrap(Command{Words: words}).Words
	n := programWords(Command{Words: words}.Args())
	if n == 0 {
		return Expect{}, false
	}
	words = words[n:]
	i := skipFlags(words, g.Flags, nil)
	verbs, v := g.Verbs, (*Verb)(nil)
	for ; i < len(words) && (v == nil || len(v.Verbs) > 0); i++ {
		next, ok := verbs[words[i].Text]
		if !ok {
			return Expect{}, v != nil // a verb dockling lacks: nothing to offer
		}
		v, verbs = next, next.Verbs
	}
	if v == nil || len(v.Verbs) > 0 {
		return Expect{Verbs: slices.Sorted(maps.Keys(verbs))}, true
	}
	e := Expect{Flags: slices.Sorted(maps.Keys(v.Flags))}
	d := &DockerCommand{Words: words[i:], flags: map[string][]string{}}
	d.readOperands(v)
	if k := len(d.Words); k > 0 && v.Flags[d.Words[k-1].Text] && !strings.Contains(d.Words[k-1].Text, "=") {
		e.Value = true
		return e, true
	}
	kinds, k := v.Operands, len(d.Operands)
	switch {
	case k < len(kinds) && kinds[k] != '*':
		e.Operand = kinds[k]
	case strings.HasSuffix(kinds, "*") && len(kinds) > 1:
		e.Operand = kinds[len(kinds)-2]
	}
	return e, true
}

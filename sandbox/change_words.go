package sandbox

import (
	"fmt"
	"strings"
	"unicode"
)

// Shell-word processing of --change arguments, as Docker's builder does it for ENV,
// LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL and EXPOSE: quotes are removed, the
// escape character escapes, and $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word},
// ${VAR?msg} and ${VAR:?msg} expand from the config's environment. Nothing runs.

const wordEOF rune = -1

type wordLexer struct {
	src []rune
	pos int
	env map[string]string
	esc rune
}

// expandWord is one word with its spaces kept (ProcessWord in Docker's builder).
func expandWord(word string, env []string, esc rune) (string, error) {
	s, _, err := processShellWord(word, env, esc)
	return s, err
}

// expandWords splits the result on blanks outside quotes (only EXPOSE does this).
func expandWords(word string, env []string, esc rune) ([]string, error) {
	_, w, err := processShellWord(word, env, esc)
	return w, err
}

func processShellWord(word string, env []string, esc rune) (string, []string, error) {
	l := &wordLexer{src: []rune(word), env: envMap(env), esc: esc}
	s, words, err := l.until(wordEOF)
	if err != nil {
		return "", nil, fmt.Errorf("failed to process %q: %w", word, err)
	}
	return s, words, nil
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

func (l *wordLexer) peek() rune {
	if l.pos >= len(l.src) {
		return wordEOF
	}
	return l.src[l.pos]
}

func (l *wordLexer) next() rune {
	r := l.peek()
	if r != wordEOF {
		l.pos++
	}
	return r
}

// wordSplitter collects the blank-separated words of an expansion.
type wordSplitter struct {
	word   strings.Builder
	words  []string
	inWord bool
}

func (w *wordSplitter) char(r rune) {
	switch {
	case unicode.IsSpace(r) && w.inWord:
		if w.word.Len() != 0 {
			w.words = append(w.words, w.word.String())
			w.word.Reset()
			w.inWord = false
		}
	case !unicode.IsSpace(r):
		w.raw(string(r))
	}
}

func (w *wordSplitter) raw(s string) {
	w.word.WriteString(s)
	w.inWord = true
}

func (w *wordSplitter) done() []string {
	if w.word.Len() > 0 {
		w.words = append(w.words, w.word.String())
		w.word.Reset()
		w.inWord = false
	}
	return w.words
}

// until reads up to stop (consumed) or the end when stop is wordEOF.
func (l *wordLexer) until(stop rune) (string, []string, error) {
	var out strings.Builder
	var words wordSplitter
loop:
	for l.peek() != wordEOF {
		ch := l.peek()
		if stop != wordEOF && ch == stop {
			l.next()
			return out.String(), words.done(), nil
		}
		var part string
		var err error
		switch ch {
		case '\'':
			part, err = l.singleQuoted()
		case '"':
			part, err = l.doubleQuoted()
		case '$':
			part, err = l.dollar()
		default:
			ch = l.next()
			if ch == l.esc {
				if ch = l.next(); ch == wordEOF {
					break loop // an escape at the very end is dropped
				}
				words.raw(string(ch))
			} else {
				words.char(ch)
			}
			out.WriteRune(ch)
			continue
		}
		if err != nil {
			return "", nil, err
		}
		out.WriteString(part)
		if ch == '$' {
			for _, r := range part {
				words.char(r) // an expanded value splits on its blanks
			}
		} else {
			words.raw(part)
		}
	}
	if stop != wordEOF {
		return "", nil, fmt.Errorf("unexpected end of statement while looking for matching %s", string(stop))
	}
	return out.String(), words.done(), nil
}

func (l *wordLexer) singleQuoted() (string, error) {
	var out strings.Builder
	l.next()
	for {
		switch ch := l.next(); ch {
		case wordEOF:
			return "", fmt.Errorf("unexpected end of statement while looking for matching single-quote")
		case '\'':
			return out.String(), nil
		default:
			out.WriteRune(ch)
		}
	}
}

func (l *wordLexer) doubleQuoted() (string, error) {
	var out strings.Builder
	l.next()
	for {
		switch l.peek() {
		case wordEOF:
			return "", fmt.Errorf("unexpected end of statement while looking for matching double-quote")
		case '"':
			l.next()
			return out.String(), nil
		case '$':
			v, err := l.dollar()
			if err != nil {
				return "", err
			}
			out.WriteString(v)
		default:
			ch := l.next()
			if ch == l.esc {
				switch l.peek() {
				case wordEOF:
					continue
				case '"', '$', l.esc:
					ch = l.next()
				}
			}
			out.WriteRune(ch)
		}
	}
}

func (l *wordLexer) dollar() (string, error) {
	l.next()
	if l.peek() != '{' {
		name := l.name()
		if name == "" {
			return "$", nil
		}
		return l.env[name], nil
	}
	l.next()
	switch l.peek() {
	case wordEOF:
		return "", fmt.Errorf("syntax error: missing '}'")
	case '{', '}', ':':
		return "", fmt.Errorf("syntax error: bad substitution")
	}
	name := l.name()
	switch l.next() {
	case '}':
		return l.env[name], nil
	case '?':
		word, err := l.substitutionWord()
		if err != nil {
			return "", err
		}
		v, ok := l.env[name]
		if !ok {
			return "", unsetError(name, word, "is not allowed to be unset")
		}
		return v, nil
	case ':':
		modifier := l.next()
		word, err := l.substitutionWord()
		if err != nil {
			return "", err
		}
		v, ok := l.env[name]
		switch modifier {
		case '+':
			if v != "" {
				v = word
			}
			return v, nil
		case '-':
			if v == "" {
				v = word
			}
			return v, nil
		case '?':
			if !ok {
				return "", unsetError(name, word, "is not allowed to be unset")
			}
			if v == "" {
				return "", unsetError(name, word, "is not allowed to be empty")
			}
			return v, nil
		default:
			return "", fmt.Errorf("unsupported modifier (%c) in substitution", modifier)
		}
	}
	return "", fmt.Errorf("missing ':' in substitution")
}

func (l *wordLexer) substitutionWord() (string, error) {
	word, _, err := l.until('}')
	if err != nil && l.peek() == wordEOF {
		return "", fmt.Errorf("syntax error: missing '}'")
	}
	return word, err
}

func unsetError(name, word, otherwise string) error {
	if word == "" {
		word = otherwise
	}
	return fmt.Errorf("%s: %s", name, word)
}

// name reads a variable name: letters, digits and _, or a run of digits, or one of
// the shell's special parameters.
func (l *wordLexer) name() string {
	var b strings.Builder
	for l.peek() != wordEOF {
		ch := l.peek()
		if b.Len() == 0 && unicode.IsDigit(ch) {
			for unicode.IsDigit(l.peek()) {
				b.WriteRune(l.next())
			}
			return b.String()
		}
		if b.Len() == 0 && strings.ContainsRune("@*#?-$!0", ch) {
			return string(l.next())
		}
		if !unicode.IsLetter(ch) && !unicode.IsDigit(ch) && ch != '_' {
			break
		}
		b.WriteRune(l.next())
	}
	return b.String()
}

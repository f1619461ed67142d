package sandbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Docker joins the --change values with newlines and reads them as a Dockerfile:
// comments, blank lines, line continuations and the escape directive all apply, and
// each instruction's arguments are read by that instruction's own rule (JSON or
// shell form, key=value pairs, one string, blank-separated words).

// changeNode is one parsed instruction.
type changeNode struct {
	name     string   // lower case, as Docker 20.10 reports it
	original string   // the whole line, for ONBUILD
	flags    []string // leading --flag words
	args     []string
	json     bool // the arguments were a JSON array
}

var (
	blanks              = regexp.MustCompile(`[\t\v\f\r ]+`)
	directiveLine       = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)
	backslashContinues  = regexp.MustCompile(`([^\\])\\[ \t]*$|^\\[ \t]*$`)
	backtickContinues   = regexp.MustCompile("([^`])`[ \\t]*$|^`[ \\t]*$")
	errNotStringArray   = errors.New("when using JSON array syntax, arrays must be comprised of strings only")
	errNoInstructions   = errors.New("file with no instructions")
	errChangeLineTooBig = fmt.Errorf("dockerfile line greater than max allowed size of %d", bufio.MaxScanTokenSize-1)
)

type changeParser struct {
	esc            rune
	directivesDone bool
	seen           map[string]bool
}

func (p *changeParser) continues(line string) (string, bool) {
	re := backslashContinues
	if p.esc == '`' {
		re = backtickContinues
	}
	if re.MatchString(line) {
		return re.ReplaceAllString(line, "$1"), true
	}
	return line, false
}

// directive reads "# escape=`" before the first instruction or comment.
func (p *changeParser) directive(line string) error {
	if p.directivesDone {
		return nil
	}
	m := directiveLine.FindStringSubmatch(line)
	if m == nil {
		p.directivesDone = true
		return nil
	}
	k := strings.ToLower(m[1])
	if k != "escape" && k != "syntax" {
		p.directivesDone = true
		return nil
	}
	if p.seen[k] {
		return fmt.Errorf("only one %s parser directive can be used", k)
	}
	p.seen[k] = true
	if k == "escape" {
		if m[2] != "`" && m[2] != `\` {
			return fmt.Errorf("invalid escape token '%s' does not match ` or \\", m[2])
		}
		p.esc = rune(m[2][0])
	}
	return nil
}

func isCommentLine(b []byte) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(string(b), unicode.IsSpace), "#")
}

// line strips a comment (a line starting with #) after reading any directive in it.
func (p *changeParser) line(b []byte, trimLeft bool) (string, error) {
	s := string(b)
	if trimLeft {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	err := p.directive(s)
	if strings.HasPrefix(s, "#") {
		s = ""
	}
	return s, err
}

// parseChanges reads the changes as Docker's Dockerfile parser does.
func parseChanges(changes []string) ([]changeNode, rune, error) {
	p := &changeParser{esc: '\\', seen: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(strings.Join(changes, "\n")))
	var nodes []changeNode
	first := true
	for sc.Scan() {
		raw := sc.Bytes()
		if first {
			raw = []byte(strings.TrimPrefix(string(raw), "\uFEFF"))
			first = false
		}
		s, err := p.line(raw, true)
		if err != nil {
			return nil, 0, err
		}
		line, more := p.continues(s)
		if !more && line == "" {
			continue
		}
		for more && sc.Scan() {
			s, err := p.line(sc.Bytes(), false)
			if err != nil {
				return nil, 0, err
			}
			if isCommentLine(sc.Bytes()) || strings.TrimSpace(s) == "" {
				continue
			}
			var cont string
			cont, more = p.continues(s)
			line += cont
		}
		n, err := p.node(line)
		if err != nil {
			return nil, 0, err
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return nil, 0, errNoInstructions
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, 0, errChangeLineTooBig
	} else if sc.Err() != nil {
		return nil, 0, sc.Err()
	}
	return nodes, p.esc, nil
}

// node splits a line into its instruction, flags and arguments.
func (p *changeParser) node(line string) (changeNode, error) {
	parts := blanks.Split(strings.TrimSpace(line), 2)
	n := changeNode{name: strings.ToLower(parts[0]), original: line}
	rest := ""
	if len(parts) == 2 {
		rest, n.flags = builderFlags(parts[1])
	}
	rest = strings.TrimSpace(rest)
	var err error
	switch n.name {
	case "cmd", "entrypoint", "run", "shell":
		n.args, n.json, err = maybeJSON(rest)
	case "add", "copy", "volume":
		n.args, n.json, err = maybeJSONList(rest)
	case "env", "label":
		n.args, err = p.nameValues(rest, strings.ToUpper(n.name))
	case "arg":
		n.args = p.words(rest)
	case "expose", "from":
		n.args = blankWords(rest)
	case "maintainer", "stopsignal", "user", "workdir":
		if rest != "" {
			n.args = []string{rest}
		}
	case "healthcheck":
		n.args, n.json, err = healthArgs(rest)
	case "onbuild":
		if rest != "" {
			var sub changeNode
			if sub, err = p.node(rest); err == nil {
				n.args = append([]string{sub.name}, sub.args...)
			}
		}
	}
	return n, err
}

// builderFlags takes the leading --name[=value] words off an instruction's arguments.
func builderFlags(line string) (string, []string) {
	var flags []string
	var word strings.Builder
	const (
		inSpaces = iota
		inWord
		inQuote
	)
	phase, quote, blankOK := inSpaces, byte(0), false
	for pos := 0; pos <= len(line); pos++ {
		var ch byte
		if pos < len(line) {
			ch = line[pos]
		}
		if phase == inSpaces {
			if pos == len(line) {
				break
			}
			if unicode.IsSpace(rune(ch)) {
				continue
			}
			if ch != '-' || pos+1 == len(line) || line[pos+1] != '-' {
				return line[pos:], flags
			}
			phase = inWord
		}
		if pos == len(line) {
			if word.String() != "--" && (blankOK || word.Len() > 0) {
				flags = append(flags, word.String())
			}
			break
		}
		switch {
		case phase == inWord && unicode.IsSpace(rune(ch)):
			phase = inSpaces
			if word.String() == "--" {
				return line[pos:], flags
			}
			if blankOK || word.Len() > 0 {
				flags = append(flags, word.String())
			}
			word.Reset()
			blankOK = false
			continue
		case phase == inWord && (ch == '\'' || ch == '"'):
			quote, blankOK, phase = ch, true, inQuote
			continue
		case phase == inQuote && ch == quote:
			phase = inWord
			continue
		}
		if ch == '\\' {
			if pos+1 == len(line) {
				if phase == inQuote {
					phase = inWord
				}
				continue
			}
			pos++
			ch = line[pos]
		}
		word.WriteByte(ch)
	}
	return "", flags
}

func blankWords(s string) []string {
	if s == "" {
		return nil
	}
	return blanks.Split(s, -1)
}

// jsonArray reads a JSON array of strings; anything after the array is ignored.
func jsonArray(s string) ([]string, error) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if !strings.HasPrefix(s, "[") {
		return nil, fmt.Errorf(`Error parsing "%s" as a JSON array`, s)
	}
	var vals []any
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&vals); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			return nil, errNotStringArray
		}
		out = append(out, str)
	}
	return out, nil
}

// maybeJSON is the exec form (a JSON array) or else the whole text as one argument.
func maybeJSON(s string) ([]string, bool, error) {
	if s == "" {
		return nil, false, nil
	}
	args, err := jsonArray(s)
	switch {
	case err == nil:
		return args, true, nil
	case errors.Is(err, errNotStringArray):
		return nil, false, err
	}
	return []string{s}, false, nil
}

func maybeJSONList(s string) ([]string, bool, error) {
	args, err := jsonArray(s)
	switch {
	case err == nil:
		return args, true, nil
	case errors.Is(err, errNotStringArray):
		return nil, false, err
	}
	return blankWords(s), false, nil
}

// healthArgs is HEALTHCHECK's type word followed by a command in either form.
func healthArgs(s string) ([]string, bool, error) {
	sep := strings.IndexFunc(s, unicode.IsSpace)
	if sep < 0 {
		sep = len(s)
	}
	if sep == 0 {
		return nil, false, nil
	}
	cmd, isJSON, err := maybeJSON(strings.TrimLeftFunc(s[sep:], unicode.IsSpace))
	if err != nil {
		return nil, false, err
	}
	return append([]string{s[:sep]}, cmd...), isJSON, nil
}

// nameValues reads `k=v k2="v 2"` into k, v, k2, "v 2" (quotes kept for the
// expansion to remove), or the legacy `k the value`.
func (p *changeParser) nameValues(s, instruction string) ([]string, error) {
	words := p.words(s)
	if len(words) == 0 {
		return nil, nil
	}
	if !strings.Contains(words[0], "=") {
		parts := blanks.Split(s, 2)
		if len(parts) < 2 {
			return nil, fmt.Errorf("%s must have two arguments", instruction)
		}
		return parts, nil
	}
	var out []string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, changef("Syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		out = append(out, k, v)
	}
	return out, nil
}

// words splits on blanks outside quotes, keeping the quotes and escapes in the words.
func (p *changeParser) words(s string) []string {
	var words []string
	var word strings.Builder
	const (
		inSpaces = iota
		inWord
		inQuote
	)
	phase, quote, blankOK := inSpaces, rune(0), false
	for pos := 0; pos <= len(s); {
		ch, width := rune(0), 0
		if pos < len(s) {
			ch, width = utf8.DecodeRuneInString(s[pos:])
		}
		if phase == inSpaces {
			if pos == len(s) {
				break
			}
			if unicode.IsSpace(ch) {
				pos += width
				continue
			}
			phase = inWord
		}
		if pos == len(s) {
			if blankOK || word.Len() > 0 {
				words = append(words, word.String())
			}
			break
		}
		if phase == inWord {
			if unicode.IsSpace(ch) {
				phase = inSpaces
				if blankOK || word.Len() > 0 {
					words = append(words, word.String())
				}
				word.Reset()
				blankOK = false
				pos += width
				continue
			}
			if ch == '\'' || ch == '"' {
				quote, blankOK, phase = ch, true, inQuote
			}
			if ch == p.esc {
				if pos+width == len(s) {
					pos += width
					continue
				}
				word.WriteRune(ch)
				pos += width
				ch, width = utf8.DecodeRuneInString(s[pos:])
			}
			word.WriteRune(ch)
			pos += width
			continue
		}
		// in a quote
		if ch == quote {
			phase = inWord
		}
		if ch == p.esc && quote != '\'' {
			if pos+width == len(s) {
				phase = inWord
				pos += width
				continue
			}
			word.WriteRune(ch)
			pos += width
			ch, width = utf8.DecodeRuneInString(s[pos:])
		}
		word.WriteRune(ch)
		pos += width
	}
	return words
}

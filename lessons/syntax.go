package lessons

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
)

// syntaxError reports a YAML syntax error at its broken token. yaml.v3 names the line
// where the enclosing construct began (a step's "- id:" for a bad indent thirty
// lines further down), without a column; the broken line is the first at which the
// document stops parsing, found by parsing ever longer prefixes (a binary search),
// and its token is the line's first non-blank character, or a tab in its indent.
func (d *decoder) syntaxError(src []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	from := 1
	if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
		from, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	from = min(max(from, 1), len(lines))
	at := from + sort.Search(len(lines)-from+1, func(i int) bool {
		return !parses(bytes.Join(lines[:from+i], nil))
	})
	if at > len(lines) {
		at = from // the whole file parses line by line: keep yaml's line
	}
	line := lines[at-1]
	col := len(line) - len(bytes.TrimLeft(line, " ")) + 1
	if tab := bytes.IndexByte(line, '\t'); tab >= 0 && tab < len(bytes.TrimRight(line, "\n")) {
		col = tab + 1
		msg += "; line " + strconv.Itoa(at) + " has a tab at column " + strconv.Itoa(col) + ": YAML indents with spaces only"
	}
	d.problem(checker.Pos{Line: at, Col: col}, "malformed YAML: %s", msg)
}

// parses says src, a prefix of a lesson file, reads as YAML.
func parses(src []byte) bool {
	var n yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&n)
	return err == nil || errors.Is(err, io.EOF)
}

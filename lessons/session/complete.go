package session

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dockling/dockling/internal/cmdline"
)

// Completer offers what a word being typed at the prompt may become.
type Completer func(line string, pos int) (newLine string, newPos int, ok bool)

// complete is Tab at the prompt, reading the line as the shell will and the docker
// command in it by Docker's grammar: a verb where a verb comes, a flag of the verb
// after "-", a container name or an image reference where the verb takes one, else a
// path (relative to the shell's directory); completed as far as the candidates agree.
func (s *Session) complete(line string, pos int) (string, int, bool) {
	if pos > len(line) {
		return "", 0, false
	}
	cur, ok := cmdline.At(line[:pos])
	if !ok {
		return "", 0, false
	}
	word := line[cur.Start:pos]
	cands := s.candidates(cur, word)
	slices.Sort(cands)
	cands = slices.Compact(cands)
	if len(cands) == 0 {
		return "", 0, false
	}
	common := cands[0]
	for _, c := range cands[1:] {
		common = commonPrefix(common, c)
	}
	if len(cands) > 1 {
		// The separator belongs to a single candidate only.
		common = strings.TrimSuffix(common, " ")
	}
	if len(common) <= len(word) {
		return "", 0, false
	}
	if cur.Quote != "" {
		// A finished word inside an open quote closes it.
		if c, done := strings.CutSuffix(common, " "); done {
			common = c + cur.Quote + " "
		}
	}
	out := line[:cur.Start] + common + line[pos:]
	return out, cur.Start + len(common), true
}

// candidates are what word may become where the cursor is.
func (s *Session) candidates(cur cmdline.Cursor, word string) []string {
	e, docker := cmdline.Docker().Next(cur.Before)
	switch {
	case !docker:
	case len(e.Verbs) > 0:
		return prefixed(e.Verbs, word, " ")
	case strings.HasPrefix(word, "-") && !e.Value:
		return prefixed(e.Flags, word, " ")
	case e.Operand == cmdline.KindContainer || e.Operand == cmdline.KindImage || e.Operand == cmdline.KindEither:
		return append(prefixed(s.names(e.Operand), word, " "), paths(s.cfg.Runner.Dir(), word)...)
	}
	return paths(s.cfg.Runner.Dir(), word)
}

// names are the sandbox's container names and image references of a kind.
func (s *Session) names(kind byte) []string {
	st := s.cfg.Sandbox.Capture()
	var names []string
	if kind != cmdline.KindImage {
		for _, fp := range st.Containers {
			name, _, _ := strings.Cut(fp, "|")
			names = append(names, strings.TrimPrefix(name, "/"))
		}
	}
	if kind != cmdline.KindContainer {
		for _, tags := range st.Images {
			for _, t := range strings.Split(tags, ",") {
				if t != "" {
					names = append(names, strings.TrimSuffix(t, ":latest"))
				}
			}
		}
	}
	return names
}

// prefixed are the words starting with p, each followed by end.
func prefixed(words []string, p, end string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, p) {
			out = append(out, w+end)
		}
	}
	return out
}

// paths are the files and folders word may name, folders with a slash, files with
// a space after them.
func paths(dir, word string) []string {
	d, base := filepath.Split(word)
	look := d
	if !filepath.IsAbs(d) {
		look = filepath.Join(dir, d)
	}
	ents, err := os.ReadDir(look)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		end := " "
		if fi, err := os.Stat(filepath.Join(look, name)); err == nil && fi.IsDir() {
			end = "/"
		}
		out = append(out, d+name+end)
	}
	return out
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

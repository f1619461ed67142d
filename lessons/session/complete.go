package session

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dockerWords are the docker verbs completed after "docker" at the prompt.
var dockerWords = []string{"attach", "commit", "container", "create", "diff", "exec", "export", "history",
	"image", "images", "import", "info", "inspect", "kill", "load", "logs", "ps", "pull", "restart", "rm",
	"rmi", "run", "save", "start", "stop", "system", "tag", "top", "wait"}

// Completer offers what a word being typed at the prompt may become.
type Completer func(line string, pos int) (newLine string, newPos int, ok bool)

// complete is Tab at the prompt: a docker verb after "docker", else a container
// name, an image reference or a path (relative to the shell's directory), completed
// as far as the candidates agree.
func (s *Session) complete(line string, pos int) (string, int, bool) {
	if pos > len(line) {
		return "", 0, false
	}
	start := strings.LastIndexAny(line[:pos], " \t|;&<>(=\"'") + 1
	word := line[start:pos]
	before := strings.Fields(line[:start])
	var cands []string
	if n := len(before); n > 0 && filepath.Base(before[n-1]) == "docker" {
		cands = prefixed(dockerWords, word, " ")
	} else {
		if n := len(before); n > 0 && filepath.Base(before[0]) == "docker" {
			st := s.cfg.Sandbox.Capture()
			var names []string
			for _, fp := range st.Containers {
				name, _, _ := strings.Cut(fp, "|")
				names = append(names, strings.TrimPrefix(name, "/"))
			}
			for _, tags := range st.Images {
				for _, t := range strings.Split(tags, ",") {
					if t != "" {
						names = append(names, strings.TrimSuffix(t, ":latest"))
					}
				}
			}
			cands = prefixed(names, word, " ")
		}
		cands = append(cands, paths(s.cfg.Runner.Dir(), word)...)
	}
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
	out := line[:start] + common + line[pos:]
	return out, start + len(common), true
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

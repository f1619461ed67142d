package lessons

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
)

// ValidateOptions say how Validate finds out whether a lesson's images can be had.
// Either may be nil, which skips that question.
type ValidateOptions struct {
	// Builtin reports whether dockling makes the image itself (hello-world, busybox).
	Builtin func(ref string) bool
	// Available says why an image that is neither built in nor stood in for cannot
	// be had here ("" when it can: present locally, or pullable).
	Available func(ref string) string
}

// Validate reads a lesson file as `dockling author validate` does: every problem
// Parse finds, and in the same pass what a lesson needs before learners meet it —
// each step with checks has a solution and a hint, every image its solutions, wrong
// answers and checks use is listed under images: (built-in ones need not be), and
// every listed image can be had.
// The problems come back sorted by position.
func Validate(name string, src []byte, opts ValidateOptions) (*Lesson, []Problem) {
	l, problems := Parse(name, src)
	if l == nil {
		return nil, problems
	}
	lines := strings.Split(string(src), "\n")
	add := func(p checker.Pos, format string, args ...any) {
		problems = append(problems, Problem{File: name, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range l.Steps {
		if s.IsQuiz() {
			continue
		}
		if len(s.scripts) > 0 && strings.TrimSpace(s.Solution) == "" {
			add(s.Pos, "step %s has an empty solution: (the author test runs it)", s.ID)
		}
		if len(s.Hints) == 0 {
			add(s.Pos, "step %s has no hint (hints: from a nudge to close to the answer)", s.ID)
		}
	}
	declared := map[string]bool{}
	for _, im := range l.Images {
		declared[normRef(im.Ref)] = true
	}
	made, bound := map[string]bool{}, map[string]bool{}
	var uses []imageUse
	for _, s := range l.Steps {
		for _, sc := range s.scripts {
			u, m := sc.images(lines)
			uses = append(uses, u...)
			for _, name := range m {
				made[normRef(name)] = true
			}
		}
		uses = append(uses, s.checkImages...)
		for _, top := range s.Checks {
			for _, ent := range top.AllEntries() {
				bound[ent.As] = true
			}
		}
		for _, name := range s.brokenAs {
			bound[name] = true
		}
	}
	reported := map[string]bool{}
	for _, u := range uses {
		ref := normRef(u.ref)
		if declared[ref] || made[ref] || bound[u.ref] || (opts.Builtin != nil && opts.Builtin(u.ref)) || slices.Contains([]string{"any", "latest"}, u.ref) ||
			imageIDRE().MatchString(u.ref) || reported[fmt.Sprint(ref, u.pos)] {
			continue
		}
		reported[fmt.Sprint(ref, u.pos)] = true
		add(u.pos, "image %s is used here but not listed under images: (list it, so it is made ready before the lesson starts)", u.ref)
	}
	for _, im := range l.Images {
		if im.Standin != "" || (opts.Builtin != nil && opts.Builtin(im.Ref)) || opts.Available == nil {
			continue
		}
		if why := opts.Available(im.Ref); why != "" {
			add(im.Pos, "image %s: %s", im.Ref, why)
		}
	}
	sortProblems(problems)
	return l, problems
}

// imageIDRE matches what names an image by its ID rather than a reference.
var imageIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[0-9a-f]{12,64}$`) })

// imageUse is an image reference written in a lesson.
type imageUse struct {
	ref string
	pos checker.Pos
}

// script is where a solution or wrong answer was written.
type script struct {
	pos   checker.Pos
	block bool // a | or > block: its text starts on the next line
	text  string
}

func scriptAt(n *yaml.Node) script {
	return script{pos: pos(n), block: n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0, text: n.Value}
}

// checkImageFields lists the image references in a check as written: scalar ref:,
// image:, parent: and base: fields at any depth (image: holding a mapping is the
// image check itself).
func checkImageFields(n *yaml.Node, depth int) []imageUse {
	n = resolve(n)
	if n == nil || depth > maxDepth {
		return nil
	}
	var out []imageUse
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolve(n.Content[i+1])
			if v == nil {
				continue
			}
			if v.Kind == yaml.ScalarNode && slices.Contains([]string{"ref", "image", "parent", "base"}, k.Value) {
				if v.Value != "" && !strings.Contains(v.Value, "{{") {
					out = append(out, imageUse{ref: v.Value, pos: pos(v)})
				}
				continue
			}
			out = append(out, checkImageFields(v, depth+1)...)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, checkImageFields(c, depth+1)...)
		}
	}
	return out
}

// images finds the images a script's docker commands use (run, create, pull) and
// the names it makes (commit, tag, import, build -t), placed in the file.
func (sc script) images(lines []string) (uses []imageUse, made []string) {
	for i, line := range strings.Split(sc.text, "\n") {
		fileLine := sc.pos.Line + i
		if sc.block {
			fileLine++
		}
		for _, cmd := range shellCommands(line) {
			u, m := dockerImages(cmd)
			made = append(made, m...)
			for _, w := range u {
				if strings.Contains(w.text, "{{") || strings.Contains(w.text, "$") {
					continue
				}
				uses = append(uses, imageUse{ref: w.text, pos: placeWord(lines, fileLine, sc, w.text)})
			}
		}
	}
	return uses, made
}

// placeWord finds word on the given line of the file; the script's own position when
// it is not there (a folded plain scalar, an escape).
func placeWord(lines []string, line int, sc script, word string) checker.Pos {
	if line < 1 || line > len(lines) {
		return sc.pos
	}
	from := 0
	if line == sc.pos.Line {
		from = min(max(sc.pos.Col-1, 0), len(lines[line-1]))
	}
	if i := strings.Index(lines[line-1][from:], word); i >= 0 {
		return checker.Pos{Line: line, Col: from + i + 1}
	}
	if line == sc.pos.Line {
		return sc.pos
	}
	return checker.Pos{Line: line, Col: 1}
}

type word struct{ text string }

// shellCommands splits a shell line into simple commands (at ; & | ( ) and
// newlines) of words, with quotes removed. It is a reading aid, not a shell: it
// needs only to find docker's arguments.
func shellCommands(line string) [][]word {
	var cmds [][]word
	var cur []word
	var b strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			cur = append(cur, word{text: b.String()})
			b.Reset()
			inWord = false
		}
	}
	end := func() {
		flush()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
			cur = nil
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			b.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '\\' && i+1 < len(line):
			b.WriteByte(line[i+1])
			inWord = true
			i++
		case c == '#' && !inWord:
			end()
			return cmds
		case strings.IndexByte(";&|()", c) >= 0:
			end()
		case c == ' ' || c == '\t':
			flush()
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	end()
	return cmds
}

// Flags of docker run and create that take a value in the next word.
var runValueFlags = []string{
	"-e", "--env", "--env-file", "--name", "-w", "--workdir", "-u", "--user", "-h", "--hostname",
	"--entrypoint", "--network", "--net", "-v", "--volume", "-p", "--publish", "--mount", "-l",
	"--label", "--label-file", "--cpus", "-m", "--memory", "--restart", "--platform", "--add-host",
	"--cidfile", "--log-driver", "--log-opt", "--pull", "--stop-signal", "--stop-timeout", "--ulimit",
	"--device", "--dns", "--expose", "--link", "--ipc", "--pid", "--uts", "--cap-add", "--cap-drop",
	"--security-opt", "--tmpfs", "--shm-size", "--memory-swap", "--cpu-shares", "--gpus", "--runtime",
	"--volumes-from", "--group-add", "-a", "--attach", "--detach-keys", "--health-cmd", "--isolation",
}

var otherValueFlags = map[string][]string{
	"pull":   {"--platform"},
	"commit": {"-m", "--message", "-a", "--author", "-c", "--change"},
	"import": {"-m", "--message", "-c", "--change", "--platform"},
	"build":  {"-f", "--file", "--build-arg", "--target", "--platform", "--label", "--network"},
}

// dockerImages reads one simple command: the images a docker run, create or pull
// needs, and the names a commit, tag, import or build makes.
func dockerImages(cmd []word) (uses []word, made []string) {
	i := 0
	for i < len(cmd) && strings.Contains(cmd[i].text, "=") && !strings.HasPrefix(cmd[i].text, "-") {
		i++ // VAR=value before the command
	}
	if i < len(cmd) && (cmd[i].text == "dockling" || strings.HasSuffix(cmd[i].text, "/dockling")) {
		i++
		if i < len(cmd) && cmd[i].text == "docker" {
			i++
		}
	} else if i < len(cmd) && (cmd[i].text == "docker" || strings.HasSuffix(cmd[i].text, "/docker")) {
		i++
	} else {
		return nil, nil
	}
	if i < len(cmd) && (cmd[i].text == "container" || cmd[i].text == "image") {
		i++
	}
	if i >= len(cmd) {
		return nil, nil
	}
	verb := cmd[i].text
	valueFlags := otherValueFlags[verb]
	if verb == "run" || verb == "create" {
		valueFlags = runValueFlags
	}
	var args []word
	for j := i + 1; j < len(cmd); j++ {
		w := cmd[j].text
		switch {
		case w == "--":
			args = append(args, cmd[j+1:]...)
			j = len(cmd)
		case verb == "build" && (w == "-t" || w == "--tag") && j+1 < len(cmd):
			made = append(made, cmd[j+1].text)
			j++
		case strings.HasPrefix(w, "--") && strings.Contains(w, "="):
		case strings.HasPrefix(w, "--"):
			if slices.Contains(valueFlags, w) {
				j++
			}
		case strings.HasPrefix(w, "-") && len(w) > 1:
			// -it, -dp 80:80: the last letter of a group may take the next word.
			if slices.Contains(valueFlags, "-"+w[len(w)-1:]) {
				j++
			}
		default:
			args = append(args, cmd[j])
		}
		if (verb == "run" || verb == "create" || verb == "pull") && len(args) > 0 {
			return args[:1], made
		}
	}
	switch {
	case (verb == "commit" || verb == "import") && len(args) >= 2:
		made = append(made, args[1].text)
	case verb == "tag" && len(args) >= 2:
		made = append(made, args[1].text)
	}
	return nil, made
}

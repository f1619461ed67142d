package cmdline

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
)

// Grammar is Docker's command line as dockling defines it: which flags take a
// value, which verbs are other names for which, and what each verb's operands are.
// It is built from dockling's cobra commands (see FromCobra), so a flag is defined
// once, where the verb is.
type Grammar struct {
	// Flags are the flags before the verb: name ("--root", "-H") → takes a value.
	Flags map[string]bool  `json:"flags"`
	Verbs map[string]*Verb `json:"verbs"`
}

// Verb is one docker verb or group.
type Verb struct {
	// Name is the verb's canonical name: "ps" for container ls, "build" for image
	// build, "image inspect" for a verb with no top-level twin.
	Name string `json:"name"`
	// Flags: name ("--name", "-e") → takes a value.
	Flags map[string]bool `json:"flags,omitempty"`
	// Operands are the kinds of the verb's operands in order: c a container,
	// i an image, e either, - something else, . the start of a command that runs
	// inside (nothing after it is docker's). A trailing * repeats the last kind.
	Operands string           `json:"operands,omitempty"`
	Verbs    map[string]*Verb `json:"verbs,omitempty"`
}

// Operand kinds.
const (
	KindContainer = 'c'
	KindImage     = 'i'
	KindEither    = 'e'
	kindOther     = '-'
	kindCommand   = '.'
)

//go:embed grammar.json
var snapshot []byte

var (
	mu       sync.Mutex
	register func() *Grammar
	docker   *Grammar
)

// Register sets how the Docker grammar is built (cmd builds it from its cobra
// commands); it is built once, when first needed.
func Register(build func() *Grammar) {
	mu.Lock()
	defer mu.Unlock()
	register, docker = build, nil
}

// Docker is the registered Docker grammar. Until one is registered (in the tests of
// packages below cmd) it is the snapshot in grammar.json, which a test in cmd keeps
// equal to the commands'.
func Docker() *Grammar {
	mu.Lock()
	defer mu.Unlock()
	if docker == nil {
		if register != nil {
			docker = register()
		}
		if docker == nil {
			docker = &Grammar{}
			_ = json.Unmarshal(snapshot, docker)
		}
	}
	return docker
}

// JSON is the grammar as grammar.json holds it.
func (g *Grammar) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	return append(b, '\n'), err
}

// DockerCommand is one docker command read by the grammar.
type DockerCommand struct {
	// Verb is the canonical verb ("ps" for docker container ls).
	Verb string
	// Words are the words after the verb (flags, their values and operands).
	Words []Word
	// Operands are the words that are neither flags nor flag values, with their
	// kinds (see Verb.Operands); those of a command run inside are left out.
	Operands []Operand
	// Known says the verb is one dockling has.
	Known bool
	flags map[string][]string
}

// Operand is an operand and what it names.
type Operand struct {
	Word
	Kind byte
}

// String is the command in its canonical spelling, as typed otherwise: "docker ps
// -a" for sudo docker container ls -a.
func (d *DockerCommand) String() string {
	s := "docker " + d.Verb
	for _, w := range d.Words {
		s += " " + w.Raw
	}
	return s
}

// Flag is the last value given to a flag, by any of its spellings given.
func (d *DockerCommand) Flag(names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := d.flags[n]; ok && len(v) > 0 {
			return v[len(v)-1], true
		}
	}
	return "", false
}

// Set says a boolean flag is given, by any of its spellings, and not as =false.
func (d *DockerCommand) Set(names ...string) bool {
	for _, n := range names {
		if v, ok := d.flags[n]; ok && v[len(v)-1] != "false" {
			return true
		}
	}
	return false
}

// Values are all the values given to a flag, by any of its spellings given.
func (d *DockerCommand) Values(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, d.flags[n]...)
	}
	return out
}

// programWords is how many words at the start of args name a docker program:
// docker, or dockling (then optionally its docker group), by any path.
func programWords(args []string) int {
	if len(args) == 0 {
		return 0
	}
	switch args[0][strings.LastIndex(args[0], "/")+1:] {
	case "docker":
		return 1
	case "dockling":
		if len(args) > 1 && args[1] == "docker" {
			return 2
		}
		return 1
	}
	return 0
}

// Docker reads c as a docker command; false when it runs something else.
func (c Command) Docker() (*DockerCommand, bool) {
	return Docker().Read(c)
}

// Read reads c as a docker command by g; false when it runs something else.
func (g *Grammar) Read(c Command) (*DockerCommand, bool) {
	n := programWords(c.Args())
	if n == 0 {
		return nil, false
	}
	words := c.Words[n:]
	i := skipFlags(words, g.Flags, nil)
	if i >= len(words) {
		return nil, false
	}
	verbs := g.Verbs
	var v *Verb
	name := words[i].Text
	for i < len(words) {
		next, ok := verbs[words[i].Text]
		if !ok {
			break
		}
		v, verbs, name = next, next.Verbs, next.Name
		i++
	}
	known := v != nil
	if !known {
		// A verb dockling lacks: its flags are unknown, so each is taken to stand alone.
		v = &Verb{Name: name}
		i++
	}
	d := &DockerCommand{Verb: v.Name, Words: words[i:], Known: known, flags: map[string][]string{}}
	d.readOperands(v)
	return d, true
}

func (d *DockerCommand) readOperands(v *Verb) {
	kinds := v.Operands
	k := 0
	for i := 0; i < len(d.Words); i++ {
		i += skipFlags(d.Words[i:], v.Flags, d.flags)
		if i >= len(d.Words) {
			return
		}
		kind := byte(kindOther)
		switch {
		case k < len(kinds) && kinds[k] != '*':
			kind = kinds[k]
		case strings.HasSuffix(kinds, "*") && len(kinds) > 1:
			kind = kinds[len(kinds)-2]
		}
		if kind == kindCommand {
			return
		}
		d.Operands = append(d.Operands, Operand{Word: d.Words[i], Kind: kind})
		k++
		if k < len(kinds) && kinds[k] == kindCommand {
			return // what follows runs inside: not docker's flags
		}
	}
}

// skipFlags is the number of words at the start of words that are flags or flag
// values, read as pflag reads them (--f=v, --f v, -abc, -fv, -f v, -- ends them),
// recording values into got when it is not nil.
func skipFlags(words []Word, flags map[string]bool, got map[string][]string) int {
	set := func(name, val string) {
		if got != nil {
			got[name] = append(got[name], val)
		}
	}
	for i := 0; i < len(words); i++ {
		w := words[i].Text
		switch {
		case w == "--":
			return i + 1
		case !strings.HasPrefix(w, "-") || w == "-":
			return i
		case strings.HasPrefix(w, "--"):
			if name, val, ok := strings.Cut(w, "="); ok {
				set(name, val)
			} else if flags[w] && i+1 < len(words) {
				set(w, words[i+1].Text)
				i++
			} else {
				set(w, "")
			}
		default:
			i += shorthands(w, words[i+1:], flags, set)
		}
	}
	return len(words)
}

// shorthands reads a group of one-letter flags (-it, -dp 80:80, -eA=1); it returns
// 1 when it took the next word as a value.
func shorthands(w string, rest []Word, flags map[string]bool, set func(name, val string)) int {
	for j := 1; j < len(w); j++ {
		name := "-" + w[j:j+1]
		if !flags[name] {
			set(name, "")
			continue
		}
		if j+1 < len(w) {
			set(name, strings.TrimPrefix(w[j+1:], "="))
			return 0
		}
		if len(rest) > 0 {
			set(name, rest[0].Text)
			return 1
		}
		return 0
	}
	return 0
}

package journal

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Operands are the containers and images a shell line names as the operands of its
// docker commands, as typed (names, ID prefixes, references). A command that only
// reads (inspect, history, attach, start of a running container) changes nothing
// the State diff could see, so the journal records what it names as well.
type Operands struct {
	Containers []string
	Images     []string
	// Either are operands of inspect, which may be a container or an image.
	Either []string
}

// valueFlags are the docker flags that take a value as the next word, per verb
// ("" for the global ones). A flag written --flag=value needs no entry.
var valueFlags = map[string][]string{
	"":        {"--sandbox", "--root", "-H", "--host", "--context", "-c", "--config", "-l", "--log-level"},
	"run":     {"-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user", "-h", "--hostname", "--name", "--entrypoint", "--network", "--net", "-v", "--volume", "-p", "--publish", "--mount", "-l", "--label", "--label-file", "--add-host", "--cpus", "-m", "--memory", "--restart", "--platform", "--pull", "--cidfile", "--log-driver", "--stop-signal", "--stop-timeout", "--ulimit", "--device", "--dns", "--expose", "-a", "--attach", "--detach-keys", "--cgroupns", "--ipc", "--pid", "--uts", "--shm-size", "--tmpfs", "--volumes-from", "--link", "--gpus"},
	"commit":  {"-m", "--message", "-a", "--author", "-c", "--change"},
	"exec":    {"-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user", "--detach-keys"},
	"logs":    {"--since", "--until", "-n", "--tail"},
	"stop":    {"-t", "--time", "-s", "--signal"},
	"restart": {"-t", "--time", "-s", "--signal"},
	"kill":    {"-s", "--signal"},
	"inspect": {"-f", "--format", "--type"},
	"history": {"--format"},
	"start":   {"--detach-keys"},
	"attach":  {"--detach-keys"},
	"save":    {"-o", "--output"},
	"export":  {"-o", "--output"},
	"diff":    {},
	"rm":      {},
	"rmi":     {},
	"tag":     {},
	"top":     {},
	"wait":    {},
	"pull":    {"--platform"},
	"push":    {},
}

// verbKinds says what a verb's operands are: c container, i image; the run and
// create verbs are handled apart (an image, then the command and its arguments).
var verbKinds = map[string]string{
	"start": "c*", "stop": "c*", "kill": "c*", "restart": "c*", "rm": "c*", "attach": "c",
	"logs": "c", "wait": "c*", "top": "c", "exec": "c", "diff": "c", "export": "c",
	"port": "c", "pause": "c*", "unpause": "c*", "rename": "c", "commit": "ci",
	"rmi": "i*", "history": "i", "tag": "ii", "push": "i", "save": "i*", "pull": "i",
}

// imageGroup maps `docker image VERB` onto the top-level verbs.
var imageGroup = map[string]string{"rm": "rmi", "remove": "rmi", "history": "history", "tag": "tag",
	"push": "push", "save": "save", "pull": "pull", "inspect": "image-inspect"}

var separatorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\|\||&&|[|;&\n()` + "`" + `]|\$\(`) })

// ParseOperands finds the docker commands in a shell line and what they name. It
// reads the line as words, not as a shell would (no expansion): what a learner
// types at a lesson's prompt is plain enough for that.
func ParseOperands(line string) Operands {
	var ops Operands
	for _, part := range separatorRE().Split(line, -1) {
		words := splitWords(part)
		for i, w := range words {
			if filepath.Base(w) == "docker" {
				ops.add(words[i+1:])
				break
			}
		}
	}
	return ops
}

// splitWords splits on blanks, keeping quoted text together and dropping the quotes.
func splitWords(s string) []string {
	var out []string
	var b strings.Builder
	in := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				b.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

// add reads one docker command's words after "docker".
func (ops *Operands) add(args []string) {
	i := skipFlags(args, "")
	if i >= len(args) {
		return
	}
	verb := args[i]
	i++
	switch verb {
	case "container":
		if i >= len(args) {
			return
		}
		verb = args[i]
		i++
		if verb == "remove" {
			verb = "rm"
		}
	case "image":
		if i >= len(args) {
			return
		}
		v, ok := imageGroup[args[i]]
		if !ok {
			return
		}
		verb = v
		i++
	}
	switch verb {
	case "run", "create":
		j := skipFlags(args[i:], "run") + i
		if j < len(args) {
			ops.Images = append(ops.Images, args[j])
		}
		if name := FlagValue(args[i:j], "--name"); name != "" {
			ops.Containers = append(ops.Containers, name)
		}
		return
	case "inspect", "image-inspect":
		rest := operands(args[i:], "inspect")
		if verb == "image-inspect" || FlagValue(args[i:], "--type") == "image" {
			ops.Images = append(ops.Images, rest...)
		} else if FlagValue(args[i:], "--type") == "container" {
			ops.Containers = append(ops.Containers, rest...)
		} else {
			ops.Either = append(ops.Either, rest...)
		}
		return
	}
	kinds, ok := verbKinds[verb]
	if !ok {
		return
	}
	for k, op := range operands(args[i:], verb) {
		var kind byte
		switch {
		case k < len(kinds) && kinds[k] != '*':
			kind = kinds[k]
		case strings.HasSuffix(kinds, "*"):
			kind = kinds[0]
		default:
			return
		}
		if kind == 'c' {
			ops.Containers = append(ops.Containers, op)
		} else {
			ops.Images = append(ops.Images, op)
		}
	}
}

// skipFlags is the index of the first word that is not a flag (or a flag's value).
func skipFlags(args []string, verb string) int {
	takes := valueFlags[verb]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return i + 1
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return i
		}
		if !strings.Contains(a, "=") && slices.Contains(takes, a) {
			i++
		}
	}
	return len(args)
}

// operands are the words of a command that are neither flags nor flag values.
func operands(args []string, verb string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		j := skipFlags(args[i:], verb) + i
		if j >= len(args) {
			break
		}
		out = append(out, args[j])
		i = j
	}
	return out
}

// FlagValue is the value given to flag among a command's words ("--name x" or
// "--name=x"), "" when absent.
func FlagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

var hexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[0-9a-f]{1,64}$`) })

// Resolve turns the operands into the IDs of the containers and images they name
// in either state (before the command, for what it removed; after, for what it
// made). Operands that name nothing are left out.
func (ops Operands) Resolve(before, after State) (containers, images []string) {
	for _, op := range append(slices.Clone(ops.Containers), ops.Either...) {
		if id := findContainer(op, after, before); id != "" {
			containers = append(containers, id)
		}
	}
	for _, op := range ops.Images {
		if id := findImage(op, after, before); id != "" {
			images = append(images, id)
		}
	}
	for _, op := range ops.Either {
		if findContainer(op, after, before) != "" {
			continue
		}
		if id := findImage(op, after, before); id != "" {
			images = append(images, id)
		}
	}
	return containers, images
}

func findContainer(op string, states ...State) string {
	op = strings.TrimPrefix(op, "/")
	if op == "" {
		return ""
	}
	for _, st := range states {
		for id, fp := range st.Containers {
			name, _, _ := strings.Cut(fp, "|")
			if id == op || strings.TrimPrefix(name, "/") == op {
				return id
			}
		}
	}
	if !hexRE().MatchString(op) {
		return ""
	}
	for _, st := range states {
		if id := uniquePrefix(st.Containers, op); id != "" {
			return id
		}
	}
	return ""
}

func findImage(op string, states ...State) string {
	if op == "" {
		return ""
	}
	want := normRef(op)
	for _, st := range states {
		for id, tags := range st.Images {
			if id == op || id == "sha256:"+op {
				return id
			}
			for _, t := range strings.Split(tags, ",") {
				if t != "" && normRef(t) == want {
					return id
				}
			}
		}
	}
	if !hexRE().MatchString(op) {
		return ""
	}
	for _, st := range states {
		if id := uniquePrefix(st.Images, op); id != "" {
			return id
		}
	}
	return ""
}

// uniquePrefix is the one ID in m starting with the hex prefix p, else "".
func uniquePrefix(m map[string]string, p string) string {
	p = strings.TrimPrefix(p, "sha256:")
	found := ""
	for id := range m {
		if strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), p) {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}

// normRef writes a reference as tags are stored: no docker.io/library/, ":latest"
// when no tag is given.
func normRef(s string) string {
	s = strings.TrimPrefix(s, "docker.io/")
	s = strings.TrimPrefix(s, "library/")
	if !strings.Contains(s, "@") && !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
		s += ":latest"
	}
	return s
}

// Used is what a shell line touched: the State diff merged with the operands its
// docker commands named, sorted and without repeats.
func Used(line string, before, after State) (containers, images []string) {
	cs, is := Touched(before, after)
	oc, oi := ParseOperands(line).Resolve(before, after)
	return merge(cs, oc), merge(is, oi)
}

func merge(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

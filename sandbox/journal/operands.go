package journal

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/dockling/dockling/internal/cmdline"
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

// ParseOperands finds the docker commands a shell line runs, as a shell parses it,
// and what they name by Docker's grammar. A line that does not parse ran nothing.
func ParseOperands(line string) Operands {
	var ops Operands
	cmds, err := cmdline.Parse(line)
	if err != nil {
		return ops
	}
	for _, c := range cmds {
		if d, ok := c.Docker(); ok {
			ops.add(d)
		}
	}
	return ops
}

// add records one docker command's operands by their kinds.
func (ops *Operands) add(d *cmdline.DockerCommand) {
	if d.Verb == "run" || d.Verb == "create" {
		if name, ok := d.Flag("--name"); ok {
			ops.Containers = append(ops.Containers, name)
		}
	}
	typ, _ := d.Flag("--type")
	for _, o := range d.Operands {
		kind := o.Kind
		if kind == cmdline.KindEither && typ == "image" {
			kind = cmdline.KindImage
		} else if kind == cmdline.KindEither && typ == "container" {
			kind = cmdline.KindContainer
		}
		switch kind {
		case cmdline.KindContainer:
			ops.Containers = append(ops.Containers, o.Text)
		case cmdline.KindImage:
			ops.Images = append(ops.Images, o.Text)
		case cmdline.KindEither:
			ops.Either = append(ops.Either, o.Text)
		}
	}
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
	want := cmdline.NormRef(op)
	for _, st := range states {
		for id, tags := range st.Images {
			if id == op || id == "sha256:"+op {
				return id
			}
			for _, t := range strings.Split(tags, ",") {
				if t != "" && cmdline.NormRef(t) == want {
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

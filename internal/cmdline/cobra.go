package cmdline

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// SameAs is the annotation naming the top-level verb a grouped verb is another name
// for, where neither its name nor an alias says so (image ls is images).
const SameAs = "dockling/same-as"

// FromCobra builds the grammar from the docker command group: every verb, alias and
// flag as cobra defines them. A verb in a group (container ls, image build) is the
// top-level verb of its name, of an alias, or of its SameAs annotation.
func FromCobra(docker *cobra.Command) *Grammar {
	g := &Grammar{Flags: flagTable(docker.PersistentFlags(), docker.InheritedFlags()), Verbs: map[string]*Verb{}}
	for _, c := range docker.Commands() {
		addVerb(g.Verbs, c, c.Name())
	}
	for _, c := range docker.Commands() {
		group := g.Verbs[c.Name()]
		for _, sub := range c.Commands() {
			addVerb(group.Verbs, sub, sameAs(g.Verbs, sub, c.Name()+" "+sub.Name()))
		}
	}
	return g
}

func addVerb(into map[string]*Verb, c *cobra.Command, name string) {
	if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
		return
	}
	v := &Verb{Name: name, Flags: flagTable(c.NonInheritedFlags(), c.InheritedFlags()), Operands: operandKinds(c.Use)}
	if c.HasSubCommands() {
		v.Verbs = map[string]*Verb{}
	}
	for _, n := range append([]string{c.Name()}, c.Aliases...) {
		into[n] = v
	}
}

// sameAs is the top-level verb sub is another name for, else its own name.
func sameAs(top map[string]*Verb, sub *cobra.Command, own string) string {
	for _, n := range append([]string{sub.Annotations[SameAs], sub.Name()}, sub.Aliases...) {
		if v, ok := top[n]; ok && v.Verbs == nil && n != "" {
			return n
		}
	}
	return own
}

// flagTable lists flags by every spelling: whether each takes a value (a flag
// with a default for its bare form, such as a bool, takes none).
func flagTable(sets ...*pflag.FlagSet) map[string]bool {
	out := map[string]bool{}
	for _, fs := range sets {
		fs.VisitAll(func(f *pflag.Flag) {
			takes := f.NoOptDefVal == ""
			out["--"+f.Name] = takes
			if f.Shorthand != "" {
				out["-"+f.Shorthand] = takes
			}
		})
	}
	return out
}

// operandKinds reads a cobra Use line ("commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]")
// into operand kinds (see Verb.Operands), by Docker's names for them.
func operandKinds(use string) string {
	var b strings.Builder
	for _, w := range strings.Fields(use)[1:] {
		if w == "[OPTIONS]" || w == "|" {
			continue
		}
		name := strings.Trim(w, "[]")
		repeat := strings.HasSuffix(name, "...")
		name = strings.TrimSuffix(strings.Trim(strings.TrimSuffix(name, "..."), "[]"), "]")
		if i := strings.IndexAny(name, "[:"); i > 0 {
			name = name[:i]
		}
		switch name {
		case "CONTAINER":
			b.WriteByte(KindContainer)
		case "IMAGE", "SOURCE_IMAGE", "TARGET_IMAGE", "REPOSITORY", "NAME":
			b.WriteByte(KindImage)
		case "NAME|ID":
			b.WriteByte(KindEither)
		case "COMMAND":
			b.WriteByte(kindCommand)
			return b.String()
		default:
			b.WriteByte(kindOther)
		}
		if repeat {
			b.WriteByte('*')
			return b.String()
		}
	}
	return b.String()
}

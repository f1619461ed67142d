package checker

import (
	"fmt"
	"regexp/syntax"
	"strings"
)

// Describer is implemented by checks that can say in plain words what they look for:
// "you ran `docker images`", "a container from hello-world that has exited". The
// guided session shows it after ✔ and ✘, where the check as written (Label) would
// show regular expressions and binding names.
type Describer interface {
	Describe(b Bindings) string
}

// Describe is the entry's check in plain words, bindings filled in; a binding not
// made yet stays a template ({{.marked.Name}}) for the caller to put in words.
func (ent *Entry) Describe(b Bindings) string {
	for _, name := range ent.needs {
		if _, ok := b[name]; !ok {
			b = b.Clone()
			keep := "{{." + name + ".Name}}"
			b[name] = Object{Name: keep, ID: keep, ShortID: keep, Hex: keep, Image: keep}
		}
	}
	if d, ok := ent.Check.(Describer); ok {
		if s := d.Describe(b); s != "" {
			return s
		}
	}
	return ent.Label
}

// Sample is a command line that a pattern matches, made by taking the first choice
// of every alternation and leaving out what is optional: for
// `^docker (images|image (ls|list))\b` it is "docker images". A pattern that uses a
// binding gets the binding's value (or its template, when not made yet).
func (p *Pattern) Sample(b Bindings) string {
	src := p.text.RenderKeeping(b)
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return src
	}
	var sb strings.Builder
	sample(&sb, re.Simplify())
	return strings.TrimSpace(squeeze(sb.String()))
}

func sample(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			r := re.Rune[0]
			// Prefer a letter or digit where the class allows one.
			for i := 0; i+1 < len(re.Rune); i += 2 {
				if lo, hi := re.Rune[i], re.Rune[i+1]; lo <= 'a' && 'a' <= hi {
					r = 'a'
					break
				} else if lo <= '0' && '0' <= hi {
					r = '0'
				}
			}
			b.WriteRune(r)
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteString("…")
	case syntax.OpConcat, syntax.OpCapture:
		for _, s := range re.Sub {
			sample(b, s)
		}
	case syntax.OpAlternate:
		sample(b, re.Sub[0])
	case syntax.OpPlus:
		if re.Sub[0].Op == syntax.OpAnyChar || re.Sub[0].Op == syntax.OpAnyCharNotNL {
			b.WriteString(" … ")
			return
		}
		sample(b, re.Sub[0])
	case syntax.OpRepeat:
		for range max(re.Min, 1) {
			sample(b, re.Sub[0])
		}
	case syntax.OpStar:
		if re.Sub[0].Op == syntax.OpAnyChar || re.Sub[0].Op == syntax.OpAnyCharNotNL {
			b.WriteString(" … ")
		}
	}
	// Optional parts (?), anchors and word boundaries add nothing.
}

// quoted puts text a learner reads in quotation marks that do not clash with its
// own.
func quoted(s string) string {
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	}
	return "“" + s + "”"
}

// refWords names an image or container a check refers to: a binding by what it
// bound (its name or short ID), anything else as written. Messages then never show
// the lesson's internal binding names (first, pyimage).
func refWords(sel string, b Bindings) string {
	if o, ok := b[sel]; ok && o.Name != "" {
		return o.Name
	}
	return sel
}

// like is how a ran or output check names the command it wants.
func like(p *Pattern, b Bindings) string {
	return "`" + p.Sample(b) + "`"
}

// selWords names a container or image selector for a learner: "a container", "the
// newest container", "container glad_hopper", "image ubuntu".
func selWords(sel string, kind Kind, b Bindings) string {
	noun := "container"
	if kind == KindImage {
		noun = "image"
	}
	switch sel {
	case "", "any":
		return article(kind)
	case "latest":
		return "the newest " + noun
	}
	if o, ok := b[sel]; ok {
		if strings.HasPrefix(o.Name, "{{") {
			// Not made yet: the caller puts it in words, noun included.
			return o.Name
		}
		return noun + " " + o.Name
	}
	return noun + " " + sel
}

func (c *ranCheck) Describe(b Bindings) string {
	s := "you ran " + like(c.command, b)
	var on []string
	if c.container != "" {
		on = append(on, selWords(c.container, KindContainer, b))
	}
	if c.image != "" {
		on = append(on, selWords(c.image, KindImage, b))
	}
	if len(on) > 0 {
		s += " on " + strings.Join(on, " and ")
	}
	if c.exit != nil {
		if *c.exit == 0 {
			s += " and it worked"
		} else {
			s += fmt.Sprintf(" and it ended with code %d", *c.exit)
		}
	}
	return s
}

func (c *outputCheck) Describe(b Bindings) string {
	what := "a command you ran"
	if c.command != nil {
		what = "a " + like(c.command, b) + " you ran"
	}
	var wants []string
	if !c.contains.IsZero() {
		wants = append(wants, quoted(c.contains.RenderKeeping(b)))
	}
	if c.matches != nil {
		wants = append(wants, "something like "+quoted(c.matches.Sample(b)))
	}
	return what + " printed " + strings.Join(wants, " and ")
}

func (c *containerCheck) Describe(b Bindings) string {
	subject := selWords(c.name, KindContainer, b)
	if c.count != nil {
		subject = c.count.String() + " containers"
	}
	if c.exists != nil && !*c.exists {
		return "no " + noArticle(subject) + " exists"
	}
	var parts []string
	if c.image != "" {
		parts = append(parts, "from "+strings.TrimPrefix(selWords(c.image, KindImage, b), "image "))
	}
	if c.command != nil {
		parts = append(parts, "running "+like(c.command, b))
	}
	switch {
	case c.state == "":
	case c.state == "exited":
		parts = append(parts, "that has stopped")
	case c.state == "running" && c.command != nil:
		// Not "running echo that is running".
		parts[len(parts)-1] += ","
		parts = append(parts, "still up")
	default:
		parts = append(parts, "that is "+c.state)
	}
	if c.exit != nil {
		if len(parts) > 0 {
			parts[len(parts)-1] += ","
		}
		parts = append(parts, fmt.Sprintf("with exit code %d", *c.exit))
	}
	return strings.TrimSpace(subject + " " + strings.Join(parts, " "))
}

func (c *fileCheck) Describe(b Bindings) string {
	where := selWords(c.container, KindContainer, b)
	if c.image != "" {
		where = selWords(c.image, KindImage, b)
	}
	path := c.path.RenderKeeping(b)
	if c.exists != nil && !*c.exists {
		return fmt.Sprintf("%s has no %s", where, path)
	}
	s := fmt.Sprintf("%s has %s", where, path)
	if !c.contains.IsZero() {
		s += " holding " + quoted(c.contains.RenderKeeping(b))
	}
	return s
}

func (c *imageCheck) Describe(b Bindings) string {
	subject := "an image"
	if c.name != "" {
		subject = selWords(c.name, KindImage, b)
	}
	if c.exists != nil && !*c.exists {
		return "no " + noArticle(subject) + " exists"
	}
	var parts []string
	if c.parent != "" {
		parts = append(parts, "committed from "+strings.TrimPrefix(selWords(c.parent, KindImage, b), "image "))
	}
	if c.tag != "" {
		parts = append(parts, "tagged "+c.tag)
	}
	if c.cmd != nil {
		parts = append(parts, "with its CMD set")
	}
	if c.entrypoint != nil {
		parts = append(parts, "with its ENTRYPOINT set")
	}
	if c.layers != nil {
		parts = append(parts, "with the layers expected")
	}
	if c.createdBy != nil {
		parts = append(parts, "made by "+like(c.createdBy, b))
	}
	return strings.TrimSpace(subject + " " + strings.Join(parts, ", "))
}

func (c *execCheck) Describe(b Bindings) string {
	where := selWords(c.container, KindContainer, b)
	if c.image != "" {
		where = "a container from " + strings.TrimPrefix(selWords(c.image, KindImage, b), "image ")
	}
	var run []string
	for _, t := range c.run {
		run = append(run, t.RenderKeeping(b))
	}
	s := fmt.Sprintf("`%s` works in %s", strings.Join(run, " "), where)
	if !c.contains.IsZero() {
		s += " and prints " + quoted(c.contains.RenderKeeping(b))
	} else if c.output != nil {
		s += " and prints " + quoted(c.output.Sample(b))
	}
	return s
}

func (c *diffCheck) Describe(b Bindings) string {
	verb := "changed"
	switch c.kind {
	case "A", "added":
		verb = "added"
	case "D", "deleted":
		verb = "deleted"
	}
	return fmt.Sprintf("%s has %s %s", selWords(c.container, KindContainer, b), verb, c.path.RenderKeeping(b))
}

func (c *storeCheck) Describe(b Bindings) string {
	if c.exists != nil && !*c.exists {
		return "the data root has no " + c.path.RenderKeeping(b)
	}
	return "the data root has " + c.path.RenderKeeping(b)
}

func (c *listCheck) Describe(b Bindings) string {
	var parts []string
	for _, e := range c.list {
		parts = append(parts, e.Describe(b))
	}
	if c.all {
		return strings.Join(parts, "; ")
	}
	return "one of: " + strings.Join(parts, "; or ")
}

func (c *notCheck) Describe(b Bindings) string {
	return "not this: " + c.inner.Describe(b)
}

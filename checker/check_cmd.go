package checker

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/internal/cmdline"
)

var ranType = Type{
	Name:   "ran",
	Fields: []string{"command", "exit", "container", "image", "bind", "anytime"},
	Usage: `The learner ran a command (from the sandbox's journal of commands).

    ran: {command: '^docker (container )?ps( .*)? (-a|--all)\b'}
    ran: {command: '^docker start {{.marked.Name}}$', exit: 0}
    ran: {command: '^docker commit ', exit: 0, bind: image}

- command: a pattern the command line must match, runs of spaces squeezed: the whole
  line, or any command it runs as a shell reads it (clear; docker images, time,
  sudo, FOO=1, a pipe or a subshell around it), or a docker command in its
  canonical spelling (docker ps for docker container ls, docker build for docker
  image build).
- exit: the exit code it must have ended with.
- container, image: a container or image (a binding, a name or ID) the journal
  recorded the command as touching, whatever name or ID prefix the learner typed.
- bind: container or image: bind the first container or image the journal recorded
  for that command (with as:).
- anytime: true to look at every command; by default only the commands typed since the
  step began count, so a command run for an earlier step does not pass this one.

The newest matching command counts.`,
	Decode: decodeRan,
}

type ranCheck struct {
	base
	command          *Pattern
	exit             *int
	container, image string
	bind             Kind
	anytime          bool
}

func decodeRan(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "ran check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &ranCheck{}
	if m.require("command") {
		c.command = m.pattern("command")
	}
	c.exit = m.integer("exit")
	c.container = m.selector("container", KindContainer, "latest")
	c.image = m.selector("image", KindImage)
	c.bind = Kind(m.oneOf("bind", "container", "image"))
	if a := m.boolean("anytime"); a != nil {
		c.anytime = *a
	}
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *ranCheck) Binds() Kind { return c.bind }

// commands are the journal entries a check looks at, newest first.
func commands(ctx *Context, anytime bool) (*search[Command], error) {
	all, err := ctx.View.Journal()
	if err != nil {
		return nil, err
	}
	s := &search[Command]{subject: "a command", plural: "commands", label: func(c Command) string { return excerpt(c.Line, 50) }}
	for i := len(all) - 1; i >= 0; i-- {
		if anytime || all[i].Seq > ctx.Since {
			s.cands = append(s.cands, all[i])
		}
	}
	s.none = "no commands run in this step yet"
	if anytime {
		s.none = "no commands run at all"
	} else if ctx.Since > 0 {
		s.subject = "a command run in this step"
	}
	return s, nil
}

func (c *ranCheck) Evaluate(ctx *Context) Result {
	s, err := commands(ctx, c.anytime)
	if err != nil {
		return broken("read the journal", err)
	}
	re, err := c.command.compile(ctx.Bindings)
	if err != nil {
		return broken("evaluate the check", err)
	}
	conds := []cond[Command]{{
		want: "like " + like(c.command, ctx.Bindings), none: "is like it",
		test: func(k Command) (bool, string, error) {
			return matchesLine(re, k.Line), "it is a different command", nil
		},
	}}
	if c.exit != nil {
		conds = append(conds, cond[Command]{
			want: fmt.Sprintf("that exited with code %d", *c.exit), none: fmt.Sprintf("exited with code %d", *c.exit),
			test: func(k Command) (bool, string, error) {
				return k.ExitCode == *c.exit, fmt.Sprintf("it exited with code %d", k.ExitCode), nil
			},
		})
	}
	for _, t := range []struct {
		sel  string
		kind Kind
	}{{c.container, KindContainer}, {c.image, KindImage}} {
		if t.sel == "" {
			continue
		}
		cd, err := touched(ctx, t.sel, t.kind)
		if err != nil {
			return broken("evaluate the check", err)
		}
		conds = append(conds, cd)
	}
	i, msg, err := s.first(conds)
	if err != nil {
		return broken("evaluate the check", err)
	}
	if i < 0 {
		return fail(msg)
	}
	cmd := s.cands[i]
	if c.bind == "" {
		return pass(msg, nil)
	}
	obj, err := recorded(ctx, cmd, c.bind)
	if err != nil {
		return broken("evaluate the check", err)
	}
	if obj == nil {
		return fail(fmt.Sprintf("expected %s to have made or used %s; found none recorded for it", excerpt(cmd.Line, 50), article(c.bind)))
	}
	return pass(msg, obj)
}

// touched is the condition that a command touched the container or image sel.
func touched(ctx *Context, sel string, kind Kind) (cond[Command], error) {
	var ids []string
	what := selWords(sel, kind, ctx.Bindings)
	if kind == KindImage {
		s, err := images(ctx, sel)
		if err != nil {
			return cond[Command]{}, err
		}
		for _, img := range s.cands {
			ids = append(ids, img.ID, short(img.ID))
			ids = append(ids, img.Tags...)
		}
	} else {
		s, err := containers(ctx, sel)
		if err != nil {
			return cond[Command]{}, err
		}
		for _, k := range s.cands {
			ids = append(ids, k.ID, k.Name)
		}
	}
	return cond[Command]{
		want: "on " + what, none: "used " + what,
		test: func(k Command) (bool, string, error) {
			list := k.Containers
			if kind == KindImage {
				list = k.Images
			}
			for _, x := range list {
				if slices.Contains(ids, x) {
					return true, "", nil
				}
			}
			if len(ids) == 0 {
				return false, "there is no " + what, nil
			}
			return false, "it did not use " + what, nil
		},
	}, nil
}

// recorded finds the first container or image the journal lists for a command that
// still exists.
func recorded(ctx *Context, cmd Command, kind Kind) (*Object, error) {
	if kind == KindImage {
		for _, ref := range cmd.Images {
			s, err := images(ctx, ref)
			if err != nil {
				return nil, err
			}
			if len(s.cands) > 0 {
				return imageObject(s.cands[0]), nil
			}
		}
		return nil, nil
	}
	for _, ref := range cmd.Containers {
		s, err := containers(ctx, ref)
		if err != nil {
			return nil, err
		}
		if ref != "any" && ref != "latest" && len(s.cands) > 0 {
			return containerObject(s.cands[0]), nil
		}
	}
	return nil, nil
}

var outputType = Type{
	Name:   "output",
	Fields: []string{"command", "contains", "matches"},
	Usage: `What a command of the step printed (as the session captured it): the check
passes when one of them printed it. Live, a step's commands are those since it
began; graded, the whole journal.

    output: {contains: hello-world}
    output: {command: '^docker images', matches: '(?m)^ubuntu +latest'}

- command: a pattern: only the commands like it count.
- contains: text the output must contain.
- matches: a pattern the output must match.

Fails, saying so, when no output was captured for that command.`,
	Decode: decodeOutput,
}

type outputCheck struct {
	base
	command  *Pattern
	contains Text
	matches  *Pattern
}

func decodeOutput(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "output check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &outputCheck{}
	c.command = m.pattern("command")
	m.text("contains", &c.contains)
	c.matches = m.pattern("matches")
	if !m.has("contains") && !m.has("matches") {
		e.at(m.node, "output check needs contains: or matches:")
	}
	m.done()
	c.refs = m.refs
	return c, e.err()
}

// Evaluate looks at every command of the step (with command:, those like it), newest
// first, and passes when one printed what is wanted. Live the step's commands are
// those since it began; graded, the whole journal: a command that passed the check
// live passes it in the grade too, whatever was run after it.
func (c *outputCheck) Evaluate(ctx *Context) Result {
	s, err := commands(ctx, false)
	if err != nil {
		return broken("read the journal", err)
	}
	what := "a command of this step"
	cands := s.cands
	if c.command != nil {
		re, err := c.command.compile(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		what = "a command like " + like(c.command, ctx.Bindings)
		cands = slices.DeleteFunc(slices.Clone(cands), func(k Command) bool { return !matchesLine(re, k.Line) })
	}
	var wants []string
	var want string
	if !c.contains.IsZero() {
		if want, err = c.contains.Render(ctx.Bindings); err != nil {
			return broken("evaluate the check", err)
		}
		wants = append(wants, quoted(want))
	}
	var re *regexp.Regexp
	if c.matches != nil {
		if re, err = c.matches.compile(ctx.Bindings); err != nil {
			return broken("evaluate the check", err)
		}
		wants = append(wants, "something like "+quoted(c.matches.Sample(ctx.Bindings)))
	}
	exp := fmt.Sprintf("expected %s to print %s", what, strings.Join(wants, " and "))
	switch {
	case len(cands) == 0 && c.command != nil:
		return fail(exp + "; found no such command in this step")
	case len(cands) == 0:
		return fail(exp + "; found " + s.none)
	}
	for _, cmd := range cands {
		// Matched as the learner saw it: colours and screen codes left out.
		output := plainText(cmd.Output)
		if (c.contains.IsZero() || strings.Contains(output, want)) && (re == nil || re.MatchString(output)) && strings.TrimSpace(output) != "" {
			return pass(fmt.Sprintf("found %s printed it", excerpt(cmd.Line, 50)), nil)
		}
	}
	// Say what the newest of them printed.
	cmd := cands[0]
	output := plainText(cmd.Output)
	if strings.TrimSpace(output) == "" {
		return fail(fmt.Sprintf("%s; found %s printed nothing, or nothing that was kept (what interactive commands, and commands typed outside the dockling prompt, print is not kept)", exp, excerpt(cmd.Line, 50)))
	}
	return fail(fmt.Sprintf("%s; found %s printed %s", exp, excerpt(cmd.Line, 50), excerpt(output, 70)))
}

// matchesLine says a command line matches an author's pattern in any of its
// spellings (see cmdline.Spellings).
func matchesLine(re *regexp.Regexp, line string) bool {
	return slices.ContainsFunc(cmdline.Spellings(line), re.MatchString)
}

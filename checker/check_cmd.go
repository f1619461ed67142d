package checker

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var ranType = Type{
	Name:   "ran",
	Fields: []string{"command", "exit", "container", "image", "bind", "anytime"},
	Usage: `The learner ran a command (from the sandbox's journal of commands).

    ran: {command: '^docker (container )?ps( .*)? (-a|--all)\b'}
    ran: {command: '^docker start {{.marked.Name}}$', exit: 0}
    ran: {command: '^docker commit ', exit: 0, bind: image}

- command: a pattern the whole command line must match, runs of spaces squeezed.
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
		want: fmt.Sprintf("matching %q", c.command.shown(ctx.Bindings)), none: "matches",
		test: func(k Command) (bool, string, error) {
			return re.MatchString(squeeze(k.Line)), "it does not match", nil
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
	what := "container " + sel
	if kind == KindImage {
		what = "image " + sel
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
		want: "acting on " + what, none: "acted on " + what,
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
			return false, "it did not act on " + what, nil
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
	Usage: `What the learner's last command printed (as the session captured it).

    output: {contains: hello-world}
    output: {command: '^docker images', matches: '(?m)^ubuntu +latest'}

- command: a pattern picking the newest command of this step that matches, instead of
  the very last one.
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

func (c *outputCheck) Evaluate(ctx *Context) Result {
	s, err := commands(ctx, false)
	if err != nil {
		return broken("read the journal", err)
	}
	var cmd *Command
	what := "your last command"
	if c.command != nil {
		re, err := c.command.compile(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		what = fmt.Sprintf("your last command matching %q", c.command.shown(ctx.Bindings))
		for i := range s.cands {
			if re.MatchString(squeeze(s.cands[i].Line)) {
				cmd = &s.cands[i]
				break
			}
		}
	} else if len(s.cands) > 0 {
		cmd = &s.cands[0]
	}
	var wants []string
	var want string
	if !c.contains.IsZero() {
		if want, err = c.contains.Render(ctx.Bindings); err != nil {
			return broken("evaluate the check", err)
		}
		wants = append(wants, fmt.Sprintf("%q", want))
	}
	if c.matches != nil {
		wants = append(wants, fmt.Sprintf("something matching %q", c.matches.shown(ctx.Bindings)))
	}
	exp := fmt.Sprintf("expected %s to print %s", what, strings.Join(wants, " and "))
	switch {
	case cmd == nil && c.command != nil:
		return fail(exp + "; found no such command in this step")
	case cmd == nil:
		return fail(exp + "; found " + s.none)
	case cmd.Output == "":
		return fail(fmt.Sprintf("%s; found no captured output for %s (the output is recorded when the command is typed in the dockling session)", exp, excerpt(cmd.Line, 50)))
	}
	if !c.contains.IsZero() && !strings.Contains(cmd.Output, want) {
		return fail(fmt.Sprintf("%s; found %s printed %s", exp, excerpt(cmd.Line, 50), excerpt(cmd.Output, 70)))
	}
	if c.matches != nil {
		re, err := c.matches.compile(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		if !re.MatchString(cmd.Output) {
			return fail(fmt.Sprintf("%s; found %s printed %s", exp, excerpt(cmd.Line, 50), excerpt(cmd.Output, 70)))
		}
	}
	return pass(fmt.Sprintf("found %s printed it", excerpt(cmd.Line, 50)), nil)
}

var execType = Type{
	Name:   "exec",
	Fields: []string{"container", "image", "run", "exit", "output", "contains", "timeout"},
	Usage: `Run a command in a running container, or in a fresh container of an image (removed
afterwards), and look at what it did.

    exec: {image: committed, run: [python3, -c, "print(1+1)"], output: '^2$'}
    exec: {container: marked, run: cat /home/awesome/container.txt, contains: only exists}

- container: a running container: any, latest, a binding, a name or an ID prefix; or
- image: a binding, a reference or an ID.
- run: the command, as a list of arguments or one line split into words (quotes
  group words; no shell runs it unless you name one: [sh, -c, "…"]). For an image it
  replaces the CMD (the ENTRYPOINT stays, as with docker run IMAGE ARGS); left out,
  the image's own command runs.
- exit: the exit code expected; 0 when neither output nor contains is given.
- output: a pattern the output (stdout and stderr, trailing newlines dropped) must match.
- contains: text the output must contain.
- timeout: how long the command may take, such as 10s (default 30s).

Binds the container or image it ran in.`,
	Decode: decodeExec,
}

type execCheck struct {
	base
	container, image string
	run              []Text
	exit             *int
	output           *Pattern
	contains         Text
	timeout          time.Duration
}

func decodeExec(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "exec check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &execCheck{}
	c.container = m.selector("container", KindContainer, "any", "latest")
	c.image = m.selector("image", KindImage)
	if !m.has("container") && !m.has("image") {
		e.at(m.node, "exec check needs container: or image:")
	}
	m.exclusive("container", "image")
	if v := m.get("run"); v != nil {
		var words []string
		if v.Kind == yaml.ScalarNode {
			var err error
			if words, err = splitWords(v.Value); err != nil {
				e.at(v, "exec check: run: %v", err)
			}
		} else {
			words, _ = m.strList("run", v)
		}
		for _, w := range words {
			t, err := parseTextAt(w, posOf(v))
			if err != nil {
				e.add(err, v)
				continue
			}
			c.run = append(c.run, t)
			m.refs = append(m.refs, t.refs...)
		}
	}
	if m.has("container") && len(c.run) == 0 {
		e.at(m.node, "exec check: run: is needed to run something in a container")
	}
	c.exit = m.integer("exit")
	c.output = m.pattern("output")
	m.text("contains", &c.contains)
	var timeout string
	if m.str("timeout", &timeout) {
		d, err := time.ParseDuration(timeout)
		if err != nil || d <= 0 {
			e.at(m.values["timeout"], "exec check: timeout must be a duration such as 10s, found %q", timeout)
		}
		c.timeout = d
	}
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *execCheck) Binds() Kind {
	if c.image != "" {
		return KindImage
	}
	return KindContainer
}

// splitWords splits a command line into words: spaces separate, quotes group,
// a backslash escapes outside single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || esc {
		return nil, errors.New("unfinished quote or escape")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func (c *execCheck) Evaluate(ctx *Context) Result {
	var args []string
	for _, t := range c.run {
		a, err := t.Render(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		args = append(args, a)
	}
	shown := strings.Join(args, " ")
	if len(args) == 0 {
		shown = "its default command"
	}
	var conds []cond[execTarget]
	conds = append(conds, cond[execTarget]{})
	runs := map[string]ExecResult{}
	runErr := map[string]error{}
	do := func(t execTarget) (ExecResult, error) {
		if r, ok := runs[t.obj.ID]; ok {
			return r, runErr[t.obj.ID]
		}
		req := ExecRequest{Args: args, Timeout: defaultTimeout(ctx, c.timeout)}
		if t.obj.Kind == KindImage {
			req.Image = t.obj.ID
		} else {
			req.Container = t.obj.ID
		}
		r, err := ctx.View.Exec(req)
		runs[t.obj.ID], runErr[t.obj.ID] = r, err
		return r, err
	}
	said := func(r ExecResult) string {
		if strings.TrimSpace(r.Output) == "" {
			return fmt.Sprintf("it exited with code %d and printed nothing", r.ExitCode)
		}
		return fmt.Sprintf("it exited with code %d and printed %s", r.ExitCode, excerpt(r.Output, 70))
	}
	exit := c.exit
	if exit == nil && c.output == nil && c.contains.IsZero() {
		zero := 0
		exit = &zero
	}
	if exit != nil {
		conds = append(conds, cond[execTarget]{
			want: fmt.Sprintf("to exit with code %d", *exit),
			test: func(t execTarget) (bool, string, error) {
				r, err := do(t)
				if err != nil {
					return false, "the command could not run: " + err.Error(), nil
				}
				return r.ExitCode == *exit, said(r), nil
			},
		})
	}
	if !c.contains.IsZero() {
		want, err := c.contains.Render(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		conds = append(conds, cond[execTarget]{
			want: fmt.Sprintf("to print %q", want),
			test: func(t execTarget) (bool, string, error) {
				r, err := do(t)
				if err != nil {
					return false, "the command could not run: " + err.Error(), nil
				}
				return strings.Contains(r.Output, want), said(r), nil
			},
		})
	}
	if c.output != nil {
		re, err := c.output.compile(ctx.Bindings)
		if err != nil {
			return broken("evaluate the check", err)
		}
		conds = append(conds, cond[execTarget]{
			want: fmt.Sprintf("to print something matching %q", c.output.shown(ctx.Bindings)),
			test: func(t execTarget) (bool, string, error) {
				r, err := do(t)
				if err != nil {
					return false, "the command could not run: " + err.Error(), nil
				}
				return re.MatchString(strings.TrimRight(r.Output, "\r\n")), said(r), nil
			},
		})
	}
	s, err := c.targets(ctx, shown, &conds[0])
	if err != nil {
		return broken("list what to run in", err)
	}
	i, msg, err := s.first(conds)
	if err != nil {
		return broken("evaluate the check", err)
	}
	if i < 0 {
		return fail(msg)
	}
	return pass(msg+": "+said(runs[s.cands[i].obj.ID]), s.cands[i].obj)
}

type execTarget struct {
	label   string
	running bool
	state   string
	obj     *Object
}

// targets lists where the command may run; first is set to the condition that the
// target can run it.
func (c *execCheck) targets(ctx *Context, shown string, first *cond[execTarget]) (*search[execTarget], error) {
	label := func(t execTarget) string { return t.label }
	*first = cond[execTarget]{
		want: fmt.Sprintf("running %q", shown), none: "is running",
		test: func(t execTarget) (bool, string, error) {
			if t.obj.Kind == KindImage || t.running {
				return true, "", nil
			}
			return false, fmt.Sprintf("it is not running (it is %s), so nothing can run in it; docker start it first", t.state), nil
		},
	}
	if c.image != "" {
		is, err := images(ctx, c.image)
		if err != nil {
			return nil, err
		}
		s := &search[execTarget]{subject: is.subject, plural: "images", none: is.none, label: label}
		for _, img := range is.cands[:min(1, len(is.cands))] {
			s.cands = append(s.cands, execTarget{label: imageLabel(img), obj: imageObject(img)})
		}
		return s, nil
	}
	cs, err := containers(ctx, c.container)
	if err != nil {
		return nil, err
	}
	s := &search[execTarget]{subject: cs.subject, plural: "containers", none: cs.none, label: label}
	for _, k := range cs.cands {
		s.cands = append(s.cands, execTarget{label: k.Name, running: k.State == "running", state: k.State, obj: containerObject(k)})
	}
	// Running containers first, so "any" tries those that can run something.
	slices.SortStableFunc(s.cands, func(a, b execTarget) int {
		switch {
		case a.running == b.running:
			return 0
		case a.running:
			return -1
		}
		return 1
	})
	return s, nil
}

package checker

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/internal/cmdline"
)

var execType = Type{
	Name:   "exec",
	Fields: []string{"container", "image", "run", "exit", "output", "contains", "timeout"},
	Usage: `Run a command in a running container, or in a fresh container of an image (removed
afterwards), and look at what it did.

    exec: {image: committed, run: [python3, -c, "print(1+1)"], output: '^2$'}
    exec: {container: marked, run: cat /home/awesome/container.txt, contains: only exists}

- container: a running container: any, latest, a binding, a name or an ID prefix; or
- image: a binding, a reference or an ID.
- run: the command, as a list of arguments or one line split into words as a shell
  splits them (quotes group words, a backslash escapes); no shell runs it, so ;, |,
  > and $VAR are refused: name one for those, [sh, -c, "…"]. For an image it
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
			if words, err = cmdline.Words(v.Value); err != nil {
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

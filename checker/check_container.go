package checker

import (
	"fmt"
	"strings"

	"github.com/dockling/dockling/internal/cmdline"
	"gopkg.in/yaml.v3"
)

var containerType = Type{
	Name:   "container",
	Fields: []string{"name", "exists", "count", "state", "exit", "image", "command"},
	Usage: `A container exists (or not), in a given state, from a given image.

    container: {name: latest, state: exited, exit: 0, image: ubuntu}
    container: {image: ubuntu, count: ">=2"}

- name: which container: any (default), latest, a binding, a name or an ID prefix.
- exists: false to require that no container matches.
- count: how many containers must match: 2, ">=2", ">1", "<=3", "<3".
- state: running, exited or created (never started).
- exit: the exit code of an exited container.
- image: the image it was made from (a binding, a reference such as ubuntu, an ID).
- command: a pattern its command must match (path and arguments, as docker ps
  --no-trunc shows them).

Binds the first matching container.`,
	Decode: decodeContainer,
}

type containerCheck struct {
	base
	name    string
	exists  *bool
	count   *count
	state   string
	exit    *int
	image   string
	command *Pattern
}

func decodeContainer(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "container check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &containerCheck{}
	c.name = m.selector("name", KindContainer, "any", "latest")
	c.exists = m.boolean("exists")
	if v, ok := m.scalar("count"); ok {
		if n, ok := parseCount(v.Value); ok {
			c.count = &n
		} else {
			e.at(v, `container check: count must be a number or a comparison such as ">=2", found %q`, v.Value)
		}
	}
	c.state = m.oneOf("state", "running", "exited", "created")
	c.exit = m.integer("exit")
	c.image = m.selector("image", KindImage)
	c.command = m.pattern("command")
	m.exclusive("exists", "count")
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *containerCheck) Binds() Kind {
	if c.exists != nil && !*c.exists {
		return ""
	}
	return KindContainer
}

var stateWords = map[string]string{"running": "it is running", "exited": "it has exited", "created": "it was created but never started"}

func (c *containerCheck) conds(ctx *Context) ([]cond[Container], error) {
	var conds []cond[Container]
	if c.state != "" {
		conds = append(conds, cond[Container]{
			want: "in state " + c.state, none: "is " + c.state,
			test: func(k Container) (bool, string, error) { return k.State == c.state, stateWords[k.State], nil },
		})
	}
	if c.exit != nil {
		conds = append(conds, cond[Container]{
			want: fmt.Sprintf("with exit code %d", *c.exit), none: fmt.Sprintf("exited with code %d", *c.exit),
			test: func(k Container) (bool, string, error) {
				if k.State != "exited" {
					return false, stateWords[k.State] + ", so it has no exit code yet", nil
				}
				return k.ExitCode == *c.exit, fmt.Sprintf("it exited with code %d", k.ExitCode), nil
			},
		})
	}
	if c.image != "" {
		id, err := imageID(ctx, c.image)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond[Container]{
			want: "made from image " + refWords(c.image, ctx.Bindings), none: "was made from " + refWords(c.image, ctx.Bindings),
			test: func(k Container) (bool, string, error) {
				ok := (id != "" && k.ImageID == id) || cmdline.NormRef(k.Image) == cmdline.NormRef(c.image)
				return ok, fmt.Sprintf("it was made from %s", k.Image), nil
			},
		})
	}
	if c.command != nil {
		re, err := c.command.compile(ctx.Bindings)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond[Container]{
			want: fmt.Sprintf("with a command matching %q", c.command.shown(ctx.Bindings)), none: "runs such a command",
			test: func(k Container) (bool, string, error) {
				cmd := commandLine(k.Args)
				return re.MatchString(cmd), fmt.Sprintf("its command is %q", cmd), nil
			},
		})
	}
	return conds, nil
}

// commandLine joins a process's arguments as docker ps shows them: arguments with a
// space in single quotes.
func commandLine(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func (c *containerCheck) Evaluate(ctx *Context) Result {
	s, err := containers(ctx, c.name)
	if err != nil {
		return broken("list containers", err)
	}
	conds, err := c.conds(ctx)
	if err != nil {
		return broken("evaluate the check", err)
	}
	return decideObjects(s, conds, c.exists, c.count, containerObject)
}

// decideObjects applies exists/count/first to a search and binds what matched.
func decideObjects[T any](s *search[T], conds []cond[T], exists *bool, n *count, obj func(T) *Object) Result {
	switch {
	case exists != nil && !*exists:
		ok, msg, err := s.absent(conds)
		if err != nil {
			return broken("evaluate the check", err)
		}
		return Result{Passed: ok, Message: msg}
	case n != nil:
		ok, msg, found, err := s.counted(conds, *n)
		if err != nil {
			return broken("evaluate the check", err)
		}
		if !ok {
			return fail(msg)
		}
		var b *Object
		if len(found) > 0 {
			b = obj(found[0])
		}
		return pass(msg, b)
	}
	i, msg, err := s.first(conds)
	if err != nil {
		return broken("evaluate the check", err)
	}
	if i < 0 {
		return fail(msg)
	}
	return pass(msg, obj(s.cands[i]))
}

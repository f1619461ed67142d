package checker

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

var allType = Type{
	Name: "all",
	Usage: `Every check of the list holds (useful inside any: and not:).

    all: [{container: {name: marked, state: running}}, {ran: {command: '^docker attach '}}]

Checks in the list may carry as: and fail:, not points:. With as:, binds what the last
binding check of the list matched.`,
	Decode: func(n *yaml.Node) (Check, error) { return decodeList(n, "all", true) },
}

var anyType = Type{
	Name: "any",
	Usage: `At least one check of the list holds; they are tried in order.

    any: [{ran: {command: '^docker ps -a'}}, {ran: {command: '^docker container ls -a'}}]

Checks in the list may carry fail:, not as: or points:. With as:, binds what the first
passing check matched.`,
	Decode: func(n *yaml.Node) (Check, error) { return decodeList(n, "any", false) },
}

var notType = Type{
	Name: "not",
	Usage: `Holds when the check inside it does not.

    not: {file: {container: latest, path: /home/awesome/container.txt}}

The inner check may not carry as: or points:.`,
	Decode: decodeNot,
}

type listCheck struct {
	all  bool // all: rather than any:
	list []*Entry
}

func (c *listCheck) entries() []*Entry { return c.list }

func decodeList(n *yaml.Node, name string, allowAs bool) (Check, error) {
	var e errs
	n = resolve(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		e.at(n, "%s: needs a list of checks, found %s", name, kindName(n))
		return nil, e.err()
	}
	c := &listCheck{all: name == "all"}
	for _, it := range n.Content {
		ent := decodeEntry(it, &e, true)
		if ent == nil {
			continue
		}
		if ent.As != "" && !allowAs {
			e.at(it, "%s: checks in the list cannot bind with as: (put as: on the %s: itself)", name, name)
		}
		c.list = append(c.list, ent)
	}
	return c, e.err()
}

func (c *listCheck) Binds() Kind {
	var kind Kind
	for _, ent := range c.list {
		b, ok := ent.Check.(Binder)
		if !ok || b.Binds() == "" {
			continue
		}
		switch {
		case c.all || kind == "":
			kind = b.Binds()
		case kind != b.Binds():
			kind = KindAny
		}
	}
	return kind
}

// because explains a failed inner check, with its fail: text when it has one.
func because(r Result) string {
	if r.Fail != "" {
		return r.Fail + " (" + r.Message + ")"
	}
	return r.Message
}

func (c *listCheck) Evaluate(ctx *Context) Result {
	if c.all {
		return c.evalAll(ctx)
	}
	var msgs []string
	var errs []string
	for _, ent := range c.list {
		sub := *ctx
		sub.Bindings = ctx.Bindings.Clone()
		r := ent.Evaluate(&sub)
		if r.Passed {
			out := pass(r.Message, r.Bound)
			out.binds = added(ctx.Bindings, sub.Bindings)
			return out
		}
		msgs = append(msgs, because(r))
		if r.Error != "" {
			errs = append(errs, r.Error)
		}
	}
	return Result{Message: fmt.Sprintf("none of %d alternatives holds: %s", len(c.list), strings.Join(msgs, " | ")), Error: strings.Join(errs, "; ")}
}

func (c *listCheck) evalAll(ctx *Context) Result {
	sub := *ctx
	sub.Bindings = ctx.Bindings.Clone()
	var failed, passed, errs []string
	var bound *Object
	for _, ent := range c.list {
		r := ent.Evaluate(&sub)
		if !r.Passed {
			failed = append(failed, because(r))
			if r.Error != "" {
				errs = append(errs, r.Error)
			}
			continue
		}
		passed = append(passed, r.Message)
		if r.Bound != nil {
			bound = r.Bound
		}
	}
	if len(failed) > 0 {
		return Result{Message: strings.Join(failed, "; and "), Error: strings.Join(errs, "; ")}
	}
	out := pass(strings.Join(passed, "; "), bound)
	out.binds = added(ctx.Bindings, sub.Bindings)
	return out
}

// added is what after binds that before did not, or binds differently.
func added(before, after Bindings) Bindings {
	out := Bindings{}
	for k, o := range after {
		if old, ok := before[k]; !ok || old != o {
			out[k] = o
		}
	}
	return out
}

type notCheck struct {
	inner *Entry
}

func (c *notCheck) entries() []*Entry { return []*Entry{c.inner} }

func decodeNot(n *yaml.Node) (Check, error) {
	var e errs
	ent := decodeEntry(n, &e, true)
	if ent != nil && ent.As != "" {
		e.at(n, "not: the inner check cannot bind with as: (what it matches must not exist)")
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return &notCheck{inner: ent}, nil
}

func (c *notCheck) Evaluate(ctx *Context) Result {
	sub := *ctx
	sub.Bindings = ctx.Bindings.Clone()
	r := c.inner.Evaluate(&sub)
	switch {
	case r.Error != "":
		return Result{Message: r.Message, Error: r.Error}
	case r.Passed:
		return fail(fmt.Sprintf("expected this not to hold: %s; but it does: %s", c.inner.Label, r.Message))
	}
	return pass("as expected, it does not hold: "+r.Message, nil)
}

package checker

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

var diffType = Type{
	Name:   "diff",
	Fields: []string{"container", "path", "kind"},
	Usage: `A container's changes to its image (docker diff) include a path.

    diff: {container: marked, path: /home/awesome/container.txt, kind: A}

- container: any (default), latest, a binding, a name or an ID prefix.
- path: the changed path, exactly as docker diff lists it (templates allowed).
- kind: A (added), C (changed) or D (deleted); any kind when left out.

Binds the container.`,
	Decode: decodeDiff,
}

type diffCheck struct {
	base
	container string
	path      Text
	kind      string
}

func decodeDiff(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "diff check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &diffCheck{}
	c.container = m.selector("container", KindContainer, "any", "latest")
	if m.require("path") {
		m.text("path", &c.path)
	}
	c.kind = m.oneOf("kind", "A", "C", "D")
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *diffCheck) Binds() Kind { return KindContainer }

var kindWords = map[string]string{"A": "added", "C": "changed", "D": "deleted"}

func (c *diffCheck) Evaluate(ctx *Context) Result {
	p, err := c.path.Render(ctx.Bindings)
	if err != nil {
		return broken("evaluate the check", err)
	}
	p = path.Clean("/" + p)
	s, err := containers(ctx, c.container)
	if err != nil {
		return broken("list containers", err)
	}
	want := "with " + p + " among its changes"
	if c.kind != "" {
		want = fmt.Sprintf("that %s %s", kindWords[c.kind], p)
	}
	conds := []cond[Container]{{
		want: want, none: "changed that",
		test: func(k Container) (bool, string, error) {
			changes, err := ctx.View.Diff(k.ID)
			if err != nil {
				return false, "its changes cannot be read (" + err.Error() + ")", nil
			}
			var seen []string
			for _, ch := range changes {
				if path.Clean("/"+ch.Path) == p {
					if c.kind == "" || string(ch.Kind) == c.kind {
						return true, "", nil
					}
					return false, fmt.Sprintf("it %s %s", kindWords[string(ch.Kind)], p), nil
				}
				seen = append(seen, string(ch.Kind)+" "+ch.Path)
			}
			if len(seen) == 0 {
				return false, "it changed nothing", nil
			}
			return false, "its changes are " + listOf(seen, func(s string) string { return s }, 5), nil
		},
	}}
	return decideObjects(s, conds, nil, nil, containerObject)
}

var storeType = Type{
	Name:   "store",
	Fields: []string{"path", "exists", "contains", "matches", "type"},
	Usage: `A path in the sandbox's data root (what docker info calls the Docker Root Dir).

    store: {path: image/overlay2/repositories.json, contains: '"ubuntu"'}
    store: {path: "image/overlay2/imagedb/content/sha256/{{.base.Hex}}", matches: created_by}

- path: relative to the data root; may hold shell wildcards (*, ?, [..]) and
  templates.
- exists: false to require that nothing is there.
- contains, matches: text or a pattern the file must hold (any match of a wildcard).
- type: file, dir or symlink.`,
	Decode: decodeStore,
}

type storeCheck struct {
	base
	path     Text
	exists   *bool
	contains Text
	matches  *Pattern
	typ      string
}

func decodeStore(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "store check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &storeCheck{}
	if m.require("path") {
		m.text("path", &c.path)
	}
	c.exists = m.boolean("exists")
	m.text("contains", &c.contains)
	c.matches = m.pattern("matches")
	c.typ = m.oneOf("type", "file", "dir", "symlink")
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *storeCheck) Evaluate(ctx *Context) Result {
	p, err := c.path.Render(ctx.Bindings)
	if err != nil {
		return broken("evaluate the check", err)
	}
	fsys, err := ctx.View.StoreFS()
	if err != nil {
		return broken("read the data root", err)
	}
	name := fsPath(p)
	names, err := find(fsys, name)
	if err != nil {
		return broken("evaluate the check", err)
	}
	s := &search[string]{
		subject: "a file in the data root at " + name, plural: "paths", none: "nothing there",
		cands: names, label: func(s string) string { return s },
	}
	if !strings.ContainsAny(name, "*?[") {
		s.subject = name + " in the data root"
	}
	files := func(n string) (fs.FS, []string, error) { return fsys, []string{n}, nil }
	conds, err := contentConds(ctx, files, c.contains, c.matches, c.typ, nil)
	if err != nil {
		return broken("evaluate the check", err)
	}
	if c.exists != nil && !*c.exists {
		ok, msg, err := s.absent(conds)
		if err != nil {
			return broken("evaluate the check", err)
		}
		return Result{Passed: ok, Message: msg}
	}
	i, msg, err := s.first(conds)
	if err != nil {
		return broken("evaluate the check", err)
	}
	return Result{Passed: i >= 0, Message: msg}
}

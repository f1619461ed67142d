package checker

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

var imageType = Type{
	Name: "image",
	Fields: []string{"name", "exists", "tag", "tagged", "layers", "base", "cmd", "entrypoint", "env",
		"labels", "author", "comment", "created_by", "parent"},
	Usage: `An image exists (or not) and has the given configuration.

    image: {name: committed, layers: "+1", cmd: [python3], parent: ubuntu}
    image: {tagged: false, created_by: "bash"}

- name: which image: a binding, a reference (ubuntu, ubuntu:22.04), an ID or ID
  prefix; any image when left out.
- exists: false to require that no image matches.
- tag: a reference the image must carry (ubuntu-python, ubuntu-python:1).
- tagged: true or false: whether it carries any tag at all.
- layers: the number of layers, or "+N" for N more than a base image.
- base: the image "+N" counts from (a binding or reference); by default the image's
  recorded parent (the image a docker commit started from).
- cmd, entrypoint: a list for the exact value (cmd: [python3]; [] for none), or a
  pattern for the arguments joined with spaces.
- env: variables it must set: KEY=value, or KEY for any value.
- labels: a mapping of labels it must carry with these exact values.
- author, comment: patterns for the author (docker commit -a) and the comment
  (docker commit -m).
- created_by: a pattern some entry of its history's created_by must match.
- parent: the image it was committed from (a binding or reference).

Binds the first matching image.`,
	Decode: decodeImage,
}

type argsSpec struct {
	exact   []string // when given as a list
	list    bool
	pattern *Pattern
}

type imageCheck struct {
	base
	name, tag       string
	exists, tagged  *bool
	layers          *int
	relative        bool
	baseImage       string
	cmd, entrypoint *argsSpec
	env             []string
	labels          map[string]string
	author, comment *Pattern
	createdBy       *Pattern
	parent          string
}

var layersRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?[0-9]+$`) }) // compiled on first use: start-up stays fast

func decodeImage(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "image check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &imageCheck{}
	c.name = m.selector("name", KindImage, "any")
	c.exists = m.boolean("exists")
	m.str("tag", &c.tag)
	c.tagged = m.boolean("tagged")
	if v, ok := m.scalar("layers"); ok {
		if !layersRE().MatchString(v.Value) {
			e.at(v, `image check: layers must be a number, or "+N" for N more than the base image, found %q`, v.Value)
		} else {
			n, _ := strconv.Atoi(strings.TrimPrefix(v.Value, "+"))
			c.layers, c.relative = &n, strings.HasPrefix(v.Value, "+")
		}
	}
	c.baseImage = m.selector("base", KindImage)
	if c.baseImage != "" && !c.relative {
		e.at(m.keyOf["base"], `image check: base: is what layers: "+N" counts from; give layers: "+N" too`)
	}
	c.cmd = decodeArgs(m, "cmd")
	c.entrypoint = decodeArgs(m, "entrypoint")
	c.env, _ = m.strs("env")
	if v := m.get("labels"); v != nil {
		if v.Kind != yaml.MappingNode {
			e.at(v, "image check: labels must be a mapping of label: value, found %s", kindName(v))
		} else {
			c.labels = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				c.labels[v.Content[i].Value] = resolve(v.Content[i+1]).Value
			}
		}
	}
	c.author = m.pattern("author")
	c.comment = m.pattern("comment")
	c.createdBy = m.pattern("created_by")
	c.parent = m.selector("parent", KindImage)
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func decodeArgs(m *mapping, key string) *argsSpec {
	v := m.values[key]
	if v == nil {
		m.get(key)
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		m.get(key)
		list, ok := m.strList(key, v)
		if !ok {
			return nil
		}
		return &argsSpec{exact: list, list: true}
	}
	p := m.pattern(key)
	if p == nil {
		return nil
	}
	return &argsSpec{pattern: p}
}

func (c *imageCheck) Binds() Kind {
	if c.exists != nil && !*c.exists {
		return ""
	}
	return KindImage
}

func (a *argsSpec) cond(ctx *Context, what string, get func(Image) []string) (cond[Image], error) {
	if a.list {
		return cond[Image]{
			want: fmt.Sprintf("with %s %s", what, quoteArgs(a.exact)), none: "has that " + what,
			test: func(img Image) (bool, string, error) {
				got := get(img)
				return slices.Equal(got, a.exact) || len(got) == 0 && len(a.exact) == 0, fmt.Sprintf("its %s is %s", what, quoteArgs(got)), nil
			},
		}, nil
	}
	re, err := a.pattern.compile(ctx.Bindings)
	if err != nil {
		return cond[Image]{}, err
	}
	return cond[Image]{
		want: fmt.Sprintf("with %s %s matching %q", aOrAn(what), what, a.pattern.shown(ctx.Bindings)), none: "has such " + aOrAn(what) + " " + what,
		test: func(img Image) (bool, string, error) {
			got := get(img)
			return re.MatchString(strings.Join(got, " ")), fmt.Sprintf("its %s is %s", what, quoteArgs(got)), nil
		},
	}, nil
}

func (c *imageCheck) conds(ctx *Context) ([]cond[Image], error) {
	var conds []cond[Image]
	add := func(want, none string, test func(Image) (bool, string, error)) {
		conds = append(conds, cond[Image]{want: want, none: none, test: test})
	}
	if c.tag != "" {
		add(fmt.Sprintf("tagged %s", c.tag), "is tagged "+c.tag, func(img Image) (bool, string, error) {
			return hasTag(img, c.tag), "its tags are " + tagList(img), nil
		})
	}
	if c.tagged != nil {
		want, none := "with a tag", "has a tag"
		if !*c.tagged {
			want, none = "without a tag", "is untagged"
		}
		add(want, none, func(img Image) (bool, string, error) {
			return (len(img.Tags) > 0) == *c.tagged, "its tags are " + tagList(img), nil
		})
	}
	if c.layers != nil {
		if err := c.layersCond(ctx, add); err != nil {
			return nil, err
		}
	}
	for _, a := range []struct {
		spec *argsSpec
		what string
		get  func(Image) []string
	}{{c.cmd, "CMD", func(i Image) []string { return i.Cmd }}, {c.entrypoint, "ENTRYPOINT", func(i Image) []string { return i.Entrypoint }}} {
		if a.spec == nil {
			continue
		}
		cd, err := a.spec.cond(ctx, a.what, a.get)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cd)
	}
	for _, kv := range c.env {
		add("with ENV "+kv, "sets "+kv, func(img Image) (bool, string, error) {
			return hasEnv(img.Env, kv), fmt.Sprintf("its environment is %s", quoteArgs(img.Env)), nil
		})
	}
	for _, k := range slices.Sorted(maps.Keys(c.labels)) {
		v := c.labels[k]
		add(fmt.Sprintf("with label %s=%q", k, v), "has that label", func(img Image) (bool, string, error) {
			got, ok := img.Labels[k]
			if !ok {
				return false, "it has no label " + k, nil
			}
			return got == v, fmt.Sprintf("its label %s is %q", k, got), nil
		})
	}
	for _, p := range []struct {
		pat  *Pattern
		what string
		get  func(Image) string
	}{{c.author, "author", func(i Image) string { return i.Author }}, {c.comment, "comment", func(i Image) string { return i.Comment }}} {
		if p.pat == nil {
			continue
		}
		re, err := p.pat.compile(ctx.Bindings)
		if err != nil {
			return nil, err
		}
		add(fmt.Sprintf("with an %s matching %q", p.what, p.pat.shown(ctx.Bindings)), "has such an "+p.what, func(img Image) (bool, string, error) {
			return re.MatchString(p.get(img)), fmt.Sprintf("its %s is %q", p.what, p.get(img)), nil
		})
	}
	if c.createdBy != nil {
		re, err := c.createdBy.compile(ctx.Bindings)
		if err != nil {
			return nil, err
		}
		add(fmt.Sprintf("with a history entry created by a command matching %q", c.createdBy.shown(ctx.Bindings)), "has such a history entry", func(img Image) (bool, string, error) {
			var seen []string
			for _, h := range img.History {
				if re.MatchString(h.CreatedBy) {
					return true, "", nil
				}
				if h.CreatedBy != "" {
					seen = append(seen, h.CreatedBy)
				}
			}
			if len(seen) == 0 {
				return false, "its history records no commands", nil
			}
			return false, "its history was created by " + listOf(seen, func(s string) string { return excerpt(s, 50) }, 4), nil
		})
	}
	if c.parent != "" {
		id, err := imageID(ctx, c.parent)
		if err != nil {
			return nil, err
		}
		parent := refWords(c.parent, ctx.Bindings)
		add("committed from "+parent, "was committed from "+parent, func(img Image) (bool, string, error) {
			if img.Parent == "" {
				return false, "it records no parent image", nil
			}
			if id == "" {
				return false, fmt.Sprintf("there is no image %s any more", parent), nil
			}
			return img.Parent == id, fmt.Sprintf("its parent is %s", short(img.Parent)), nil
		})
	}
	return conds, nil
}

func (c *imageCheck) layersCond(ctx *Context, add func(string, string, func(Image) (bool, string, error))) error {
	want := *c.layers
	if !c.relative {
		add(fmt.Sprintf("with %s", plural(want, "layer", "layers")), "has that many layers", func(img Image) (bool, string, error) {
			return len(img.Layers) == want, fmt.Sprintf("it has %s", plural(len(img.Layers), "layer", "layers")), nil
		})
		return nil
	}
	all, err := ctx.View.Images()
	if err != nil {
		return err
	}
	byID := map[string]Image{}
	for _, img := range all {
		byID[img.ID] = img
	}
	baseID := ""
	from := "its parent"
	if c.baseImage != "" {
		if baseID, err = imageID(ctx, c.baseImage); err != nil {
			return err
		}
		from = refWords(c.baseImage, ctx.Bindings)
	}
	add(fmt.Sprintf("with %s more than %s", plural(want, "layer", "layers"), from), "has that many layers", func(img Image) (bool, string, error) {
		bid := baseID
		if c.baseImage == "" {
			bid = img.Parent
		}
		b, ok := byID[bid]
		if !ok {
			if c.baseImage == "" {
				return false, "it records no parent image to count from", nil
			}
			return false, fmt.Sprintf("there is no image %s to count from", from), nil
		}
		diff := len(img.Layers) - len(b.Layers)
		return diff == want, fmt.Sprintf("it has %s, %s has %d", plural(len(img.Layers), "layer", "layers"), imageLabel(b), len(b.Layers)), nil
	})
	return nil
}

func tagList(img Image) string {
	if len(img.Tags) == 0 {
		return "none"
	}
	return strings.Join(img.Tags, ", ")
}

func hasEnv(env []string, kv string) bool {
	k, v, withValue := strings.Cut(kv, "=")
	for _, e := range env {
		ek, ev, _ := strings.Cut(e, "=")
		if ek == k && (!withValue || ev == v) {
			return true
		}
	}
	return false
}

func (c *imageCheck) Evaluate(ctx *Context) Result {
	s, err := images(ctx, c.name)
	if err != nil {
		return broken("list images", err)
	}
	conds, err := c.conds(ctx)
	if err != nil {
		return broken("evaluate the check", err)
	}
	return decideObjects(s, conds, c.exists, nil, imageObject)
}

// aOrAn is the article for word as said aloud: "an ENTRYPOINT", "a CMD".
func aOrAn(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

package checker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

var fileType = Type{
	Name:   "file",
	Fields: []string{"container", "image", "path", "exists", "absent", "contains", "matches", "type", "mode"},
	Usage: `A file in a container's or an image's file system.

    file: {container: any, path: /home/awesome/container.txt, contains: "only exists"}
    file: {container: latest, path: /home/awesome/container.txt, absent: true}
    file: {image: committed, path: /usr/bin/python3}

- container: any (default), latest, a binding, a name or an ID prefix; or
- image: a binding, a reference or an ID.
- path: the absolute path (templates allowed); shell wildcards (*, ?, [..]) match
  any file they fit, as in /home/*/container.txt.
- exists: false, or absent: true, to require that no selected container has it.
- contains: text the file must contain.
- matches: a pattern the file's content must match.
- type: file, dir or symlink.
- mode: the permission bits in octal, such as "0644".

The file is read as the container sees it (its image's layers plus its own changes),
without running anything; a stopped container works as well as a running one.
Binds the container or image the file was found in.`,
	Decode: decodeFile,
}

type fileCheck struct {
	base
	container, image string
	path             Text
	exists           *bool
	contains         Text
	matches          *Pattern
	typ              string
	mode             *fs.FileMode
}

// fsTarget is a file system a file check looks into.
type fsTarget struct {
	label string
	open  func() (fs.FS, error)
	obj   *Object
}

func decodeFile(n *yaml.Node) (Check, error) {
	var e errs
	m := newMapping(n, "file check", &e)
	if m == nil {
		return nil, e.err()
	}
	c := &fileCheck{}
	c.container = m.selector("container", KindContainer, "any", "latest")
	c.image = m.selector("image", KindImage)
	m.exclusive("container", "image")
	if m.require("path") {
		m.text("path", &c.path)
	}
	c.exists = m.boolean("exists")
	if a := m.boolean("absent"); a != nil {
		not := !*a
		c.exists = &not
	}
	m.exclusive("exists", "absent")
	m.text("contains", &c.contains)
	c.matches = m.pattern("matches")
	c.typ = m.oneOf("type", "file", "dir", "symlink")
	if v, ok := m.scalar("mode"); ok {
		mode, err := strconv.ParseUint(strings.TrimPrefix(v.Value, "0o"), 8, 32)
		if err != nil || mode > 0o7777 {
			e.at(v, `file check: mode must be octal permission bits such as "0644", found %q`, v.Value)
		} else {
			fm := fs.FileMode(mode)
			c.mode = &fm
		}
	}
	if c.exists != nil && !*c.exists {
		// A file that must not exist has no content, type or mode to check.
		for _, k := range m.keys {
			if slices.Contains([]string{"contains", "matches", "type", "mode"}, k.Value) {
				e.at(k, "file check: %s contradicts a file that must not exist (absent: true or exists: false); drop one of them", k.Value)
			}
		}
	}
	m.done()
	c.refs = m.refs
	return c, e.err()
}

func (c *fileCheck) Binds() Kind {
	switch {
	case c.exists != nil && !*c.exists:
		return ""
	case c.image != "":
		return KindImage
	}
	return KindContainer
}

func (c *fileCheck) targets(ctx *Context) (*search[fsTarget], error) {
	label := func(t fsTarget) string { return t.label }
	if c.image != "" {
		is, err := images(ctx, c.image)
		if err != nil {
			return nil, err
		}
		s := &search[fsTarget]{subject: is.subject, plural: "images", none: is.none, label: label}
		for _, img := range is.cands {
			s.cands = append(s.cands, fsTarget{imageLabel(img), func() (fs.FS, error) { return ctx.View.ImageFS(img.ID) }, imageObject(img)})
		}
		return s, nil
	}
	cs, err := containers(ctx, c.container)
	if err != nil {
		return nil, err
	}
	s := &search[fsTarget]{subject: cs.subject, plural: "containers", none: cs.none, label: label}
	for _, k := range cs.cands {
		s.cands = append(s.cands, fsTarget{k.Name, func() (fs.FS, error) { return ctx.View.ContainerFS(k.ID) }, containerObject(k)})
	}
	return s, nil
}

// fsPath turns an absolute path into an fs.FS name.
func fsPath(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// maxRead bounds how much of a file contains and matches read.
const maxRead = 4 << 20

func readFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRead))
	return string(b), err
}

// fileSet gives the files a candidate offers: a file system and the names in it
// that the path (maybe a wildcard) matched.
type fileSet[T any] func(T) (fs.FS, []string, error)

// anyFile passes when test passes for some file of the candidate; otherwise the
// reason is the first file's.
func anyFile[T any](files fileSet[T], test func(fsys fs.FS, name string) (bool, string)) func(T) (bool, string, error) {
	return func(t T) (bool, string, error) {
		fsys, names, err := files(t)
		if err != nil {
			return false, unreadable(err), nil
		}
		why := ""
		for _, n := range names {
			ok, w := test(fsys, n)
			if ok {
				return true, "", nil
			}
			if why == "" {
				why = w
			}
		}
		return false, why, nil
	}
}

// contentConds are the conditions on a file's content and kind shared by the file
// and store checks.
func contentConds[T any](ctx *Context, files fileSet[T], contains Text, matches *Pattern, typ string, mode *fs.FileMode) ([]cond[T], error) {
	var conds []cond[T]
	shown := func(name string) string { return "/" + name }
	read := func(fsys fs.FS, name string) (string, string) {
		s, err := readFile(fsys, name)
		if err != nil {
			return "", fmt.Sprintf("%s cannot be read (%s)", shown(name), plainErr(err))
		}
		return s, ""
	}
	if typ != "" {
		conds = append(conds, cond[T]{
			want: "as a " + typeWord(typ), none: "has it as a " + typeWord(typ),
			test: anyFile(files, func(fsys fs.FS, name string) (bool, string) {
				fi, err := fs.Lstat(fsys, name)
				if err == nil && typ != "symlink" {
					fi, err = fs.Stat(fsys, name)
				}
				if err != nil {
					return false, fmt.Sprintf("%s cannot be read (%s)", shown(name), plainErr(err))
				}
				got := kindOf(fi.Mode())
				return got == typ, fmt.Sprintf("%s is a %s", shown(name), typeWord(got))
			}),
		})
	}
	if mode != nil {
		conds = append(conds, cond[T]{
			want: fmt.Sprintf("with mode %04o", *mode), none: "has that mode",
			test: anyFile(files, func(fsys fs.FS, name string) (bool, string) {
				fi, err := fs.Stat(fsys, name)
				if err != nil {
					return false, fmt.Sprintf("%s cannot be read (%s)", shown(name), plainErr(err))
				}
				got := unixMode(fi.Mode())
				return got == *mode, fmt.Sprintf("the mode of %s is %04o", shown(name), got)
			}),
		})
	}
	if !contains.IsZero() {
		want, err := contains.Render(ctx.Bindings)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond[T]{
			want: fmt.Sprintf("containing %q", want), none: "has that text in it",
			test: anyFile(files, func(fsys fs.FS, name string) (bool, string) {
				s, why := read(fsys, name)
				if why != "" {
					return false, why
				}
				return strings.Contains(s, want), fmt.Sprintf("%s holds %s", shown(name), excerpt(s, 60))
			}),
		})
	}
	if matches != nil {
		re, err := matches.compile(ctx.Bindings)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond[T]{
			want: fmt.Sprintf("matching %q", matches.shown(ctx.Bindings)), none: "has matching content",
			test: anyFile(files, func(fsys fs.FS, name string) (bool, string) {
				s, why := read(fsys, name)
				if why != "" {
					return false, why
				}
				return re.MatchString(s), fmt.Sprintf("%s holds %s", shown(name), excerpt(s, 60))
			}),
		})
	}
	return conds, nil
}

// find lists the names matching name in fsys: name itself when it exists, or the
// matches of a wildcard.
func find(fsys fs.FS, name string) ([]string, error) {
	if strings.ContainsAny(name, "*?[") {
		return fs.Glob(fsys, name)
	}
	if _, err := fs.Lstat(fsys, name); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, err
	}
	return []string{name}, nil
}

func unixMode(m fs.FileMode) fs.FileMode {
	out := m.Perm()
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "file"
	}
	return "special file"
}

func typeWord(t string) string {
	switch t {
	case "dir":
		return "directory"
	case "symlink":
		return "symbolic link"
	case "file":
		return "regular file"
	}
	return t
}

func unreadable(err error) string { return "its files cannot be read (" + err.Error() + ")" }

// plainErr drops the "open x:" prefix of path errors, which repeats the path.
func plainErr(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	return err.Error()
}

func (c *fileCheck) Evaluate(ctx *Context) Result {
	p, err := c.path.Render(ctx.Bindings)
	if err != nil {
		return broken("evaluate the check", err)
	}
	s, err := c.targets(ctx)
	if err != nil {
		return broken("list what to look into", err)
	}
	name := fsPath(p)
	type found struct {
		fsys  fs.FS
		names []string
		err   error
	}
	cache := map[string]found{}
	files := func(t fsTarget) (fs.FS, []string, error) {
		f, ok := cache[t.obj.ID]
		if !ok {
			if f.fsys, f.err = t.open(); f.err == nil {
				f.names, f.err = find(f.fsys, name)
			}
			cache[t.obj.ID] = f
		}
		return f.fsys, f.names, f.err
	}
	conds := []cond[fsTarget]{{
		want: "with " + p, none: "has that file",
		test: func(t fsTarget) (bool, string, error) {
			_, names, err := files(t)
			if err != nil {
				return false, unreadable(err), nil
			}
			return len(names) > 0, "it has no " + p, nil
		},
	}}
	more, err := contentConds(ctx, files, c.contains, c.matches, c.typ, c.mode)
	if err != nil {
		return broken("evaluate the check", err)
	}
	conds = append(conds, more...)
	return decideObjects(s, conds, c.exists, nil, func(t fsTarget) *Object { return t.obj })
}

package builtin

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

type entryKind int

const (
	kindDir entryKind = iota
	kindFile
	kindSymlink
)

// entry is one path of an image root filesystem. File content comes either
// from data or, read at layer-writing time, from the host file src.
type entry struct {
	kind     entryKind
	mode     int64 // permission bits plus sticky (01000) for dirs
	target   string
	src      string
	data     []byte
	implicit bool // a parent directory nobody asked for explicitly
}

// tree is an image root filesystem being assembled. Keys are clean absolute
// paths inside the image. Every mutation checks for conflicts so that, for
// example, a file can never be placed "through" a symlinked directory.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree {
	return &tree{entries: map[string]*entry{}}
}

// cleanImagePath validates p and returns it as a clean absolute path.
func cleanImagePath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("adding %q: image paths must be absolute", p)
	}
	c := path.Clean(p)
	if c == "/" {
		return "", fmt.Errorf("adding %q: cannot replace the root directory", p)
	}
	return c, nil
}

// parents makes every ancestor of p an (implicit) directory.
func (t *tree) parents(p string) error {
	dir := path.Dir(p)
	if dir == "/" {
		return nil
	}
	if e, ok := t.entries[dir]; ok {
		if e.kind != kindDir {
			return fmt.Errorf("adding %s: parent %s is not a directory in the image", p, dir)
		}
		return nil
	}
	if err := t.parents(dir); err != nil {
		return err
	}
	t.entries[dir] = &entry{kind: kindDir, mode: 0o755, implicit: true}
	return nil
}

func (t *tree) put(p string, e *entry) error {
	p, err := cleanImagePath(p)
	if err != nil {
		return err
	}
	if err := t.parents(p); err != nil {
		return err
	}
	old, ok := t.entries[p]
	if !ok {
		t.entries[p] = e
		return nil
	}
	switch {
	case old.kind == kindDir && e.kind == kindDir:
		// An explicit mode wins over the default given to implicit parents.
		if old.implicit {
			t.entries[p] = e
			return nil
		}
		if e.implicit || old.mode == e.mode {
			return nil
		}
	case old.kind == kindSymlink && e.kind == kindSymlink && old.target == e.target:
		return nil
	case old.kind == kindFile && e.kind == kindFile && old.src != "" && old.src == e.src && old.mode == e.mode:
		return nil
	}
	return fmt.Errorf("adding %s: conflicts with an entry already in the image", p)
}

func (t *tree) dir(p string, mode int64) error {
	return t.put(p, &entry{kind: kindDir, mode: mode})
}

func (t *tree) file(p string, mode int64, data []byte) error {
	return t.put(p, &entry{kind: kindFile, mode: mode, data: data})
}

func (t *tree) hostFile(p, src string, mode int64) error {
	return t.put(p, &entry{kind: kindFile, mode: mode, src: src})
}

func (t *tree) symlink(p, target string) error {
	if target == "" {
		return fmt.Errorf("adding symlink %s: empty target", p)
	}
	return t.put(p, &entry{kind: kindSymlink, mode: 0o777, target: target})
}

func (t *tree) has(p string) bool {
	_, ok := t.entries[path.Clean(p)]
	return ok
}

// layer writes the tree as an uncompressed tar. Entries are sorted by path
// (a parent is a prefix of its children, so it always comes first), owned by
// 0:0 and stamped with mtime, so the same tree always gives the same bytes.
func (t *tree) layer(mtime time.Time) ([]byte, error) {
	paths := make([]string, 0, len(t.entries))
	for p := range t.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := t.entries[p]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    e.mode,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		var data []byte
		switch e.kind {
		case kindDir:
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case kindSymlink:
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname = e.target
		case kindFile:
			hdr.Typeflag = tar.TypeReg
			data = e.data
			if e.src != "" {
				b, err := os.ReadFile(e.src)
				if err != nil {
					return nil, fmt.Errorf("reading host file for %s: %w", p, err)
				}
				data = b
			}
			hdr.Size = int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing tar header for %s: %w", p, err)
		}
		if len(data) > 0 {
			if _, err := tw.Write(data); err != nil {
				return nil, fmt.Errorf("writing tar data for %s: %w", p, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finishing tar: %w", err)
	}
	return buf.Bytes(), nil
}

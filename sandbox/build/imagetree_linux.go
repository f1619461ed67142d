package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// imageTree is an image's files as COPY --from reads them: paths are taken from
// the image's root and its links followed inside the image, never out of it.
type imageTree struct {
	fsys interface {
		imageView
		fs.ReadDirFS
		ReadLink(name string) (string, error)
	}
}

func newImageTree(sb *sandbox.Sandbox, img *store.Image) (*imageTree, error) {
	fsys, err := sb.ImageFSOf(img)
	if err != nil {
		return nil, err
	}
	t := &imageTree{}
	var ok bool
	if t.fsys, ok = fsys.(interface {
		imageView
		fs.ReadDirFS
		ReadLink(name string) (string, error)
	}); !ok {
		return nil, errors.New("the image's files cannot be read")
	}
	return t, nil
}

func (t *imageTree) resolve(src string) (*entry, error) {
	rel := strings.TrimPrefix(path.Clean("/"+src), "/")
	if rel == "" {
		rel = "."
	}
	r, err := t.fsys.Resolve(rel)
	if err != nil {
		return nil, err
	}
	return t.lstat(r)
}

func (t *imageTree) lstat(rel string) (*entry, error) {
	fi, err := t.fsys.Lstat(rel)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("stat %s: no file metadata", rel)
	}
	e := &entry{rel: rel, mode: st.Mode, mtime: fi.ModTime()}
	if e.isLink() {
		if e.link, err = t.fsys.ReadLink(rel); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (t *imageTree) walk(rel string, fn func(e *entry) error) error {
	return walkTree(t.lstat, t.names, rel, fn)
}

func (t *imageTree) names(rel string) ([]string, error) {
	children, err := t.fsys.ReadDir(rel)
	var out []string
	for _, c := range children {
		out = append(out, c.Name())
	}
	return out, err
}

func (t *imageTree) open(rel string) (io.ReadCloser, error) { return t.fsys.Open(rel) }

func (t *imageTree) ignored(string) bool { return false }

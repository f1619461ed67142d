package sandbox

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Change is one line of `docker diff`.
type Change struct {
	Kind  byte // 'A' added, 'C' changed, 'D' deleted
	Path  string
	isDir bool
}

// Diff lists what a container changed relative to its image, sorted by path.
func (sb *Sandbox) Diff(name string) ([]Change, error) {
	c, err := sb.Container(name)
	if err != nil {
		return nil, err
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return nil, err
	}
	return diffLayer(rw)
}

// diffLayer lists a container layer's changes, sorted by path.
func diffLayer(rw store.RWLayer) ([]Change, error) {
	lower := &layerFS{layers: rw.Lower}
	if rw.Driver == store.DriverVFS {
		return copyChanges(rw.Copy, lower)
	}
	var out []Change
	err := filepath.WalkDir(rw.Upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rw.Upper, p)
		if rel == "." {
			return nil
		}
		if runtimeMountPoint(filepath.ToSlash(rel)) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		ch := Change{Kind: 'A', Path: "/" + filepath.ToSlash(rel), isDir: d.IsDir()}
		if isWhiteout(fi) {
			ch.Kind = 'D'
		} else if _, err := lower.Lstat(filepath.ToSlash(rel)); err == nil {
			ch.Kind = 'C'
		}
		out = append(out, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading container changes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dropUnchangedDirs(out), nil
}

// runtimeMountPoints are files the runtime bind-mounts into every container; their
// placeholders in the upper dir are not the learner's changes (Docker keeps them in
// an init layer), so diff and commit leave them out.
var runtimeMountPoints = map[string]bool{"etc/hostname": true, "etc/hosts": true, "etc/resolv.conf": true}

func runtimeMountPoint(rel string) bool { return runtimeMountPoints[rel] }

// dropUnchangedDirs removes "C dir" lines whose only reason was a left-out mount
// point: a changed directory must have a change below it.
func dropUnchangedDirs(in []Change) []Change {
	var out []Change
	// Walk backwards so a directory sees whether anything below it survived.
	keptBelow := map[string]bool{}
	for i := len(in) - 1; i >= 0; i-- {
		c := in[i]
		if c.Kind == 'C' && c.isDir && !keptBelow[c.Path] {
			continue
		}
		out = append(out, c)
		for p := path.Dir(c.Path); p != "/" && p != "."; p = path.Dir(p) {
			keptBelow[p] = true
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Export writes a container's whole file system (its image plus its changes) as a
// tar, as `docker export` does.
func (sb *Sandbox) Export(name string, w io.Writer) error {
	fsys, err := sb.ContainerFS(name)
	if err != nil {
		return err
	}
	lfs := fsys.(*layerFS)
	tw := tar.NewWriter(w)
	err = fs.WalkDir(lfs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		real, err := lfs.RealPath(p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(real)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(real); err != nil {
				return err
			}
		}
		if fi.Mode()&(fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice) != 0 {
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = p
		if fi.IsDir() {
			h.Name += "/"
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			h.Uid, h.Gid = int(st.Uid), int(st.Gid)
		}
		h.Uname, h.Gname = "", ""
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(real)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	return tw.Close()
}

// CommitOptions are `docker commit`'s flags.
type CommitOptions struct {
	Ref     string   // REPOSITORY[:TAG], may be empty
	Author  string   // -a
	Message string   // -m
	Changes []string // -c
	Pause   bool     // pause a running container while its layer is read (default true in Docker)
	// Context, when it ends (SIGINT or SIGTERM in the CLI), thaws a paused container
	// and makes the commit give up.
	Context context.Context
}

// CommitResult says what commit made, and warns when the snapshot may be inconsistent.
type CommitResult struct {
	ID      string
	Warning string
}

// Commit turns a container's changes into a new image layer on top of its image, with
// Docker's semantics: the new config starts from the container's own, --change
// instructions apply, history gets the container's command, the parent is recorded.
func (sb *Sandbox) Commit(name string, opts CommitOptions) (CommitResult, error) {
	var res CommitResult
	var ref store.Ref
	if opts.Ref != "" {
		var err error
		if ref, err = store.ParseRef(opts.Ref); err != nil {
			return res, err
		}
		if ref.Digest != "" {
			return res, fmt.Errorf("%w: refusing to create a tag with a digest reference", store.ErrBadRef)
		}
	}
	c, err := sb.Container(name)
	if err != nil {
		return res, err
	}
	img, err := sb.Store.Image(c.Image)
	if err != nil {
		return res, fmt.Errorf("committing %s: its image is gone: %w", c.ShortName(), err)
	}
	// The config is computed (and --change validated) before anything is written.
	cfg := *img.Config
	cfg.Config = c.Config
	cfg.Config.Image = c.Image
	cfg.Config.Hostname = c.ID[:12]
	if err := ApplyChanges(&cfg.Config, opts.Changes); err != nil {
		return res, err
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return res, err
	}

	if c.State.Running && opts.Pause {
		resume, warn, err := sb.pause(opts.Context, c)
		if err != nil {
			return res, fmt.Errorf("committing %s: %w", c.ShortName(), err)
		}
		defer resume()
		res.Warning = warn
	}
	changes, err := diffLayer(rw)
	empty := len(changes) == 0
	if err != nil {
		return res, fmt.Errorf("committing: %w", err)
	}
	now := time.Now().UTC()
	cfg.Created = v1.Time{Time: now}
	cfg.Author = opts.Author
	cfg.Container = c.ID
	cfg.History = append(append([]v1.History{}, img.Config.History...), v1.History{
		Created: v1.Time{Time: now}, CreatedBy: strings.Join(c.Config.Cmd, " "), Author: opts.Author,
		Comment: opts.Message, EmptyLayer: empty,
	})
	cfg.RootFS.DiffIDs = append([]v1.Hash{}, img.Config.RootFS.DiffIDs...)
	if cfg.RootFS.Type == "" {
		cfg.RootFS.Type = "layers"
	}
	err = sb.Store.Write(func(w *store.Writer) error {
		if !empty {
			// The layer tar streams straight from the upper dir into the new layer
			// (no staging copy); PutLayer makes the layer visible only once it is
			// complete, so a crash leaves leftovers for `system check`, never a
			// half image.
			pr, pw := io.Pipe()
			go func() {
				if rw.Driver == store.DriverVFS {
					pw.CloseWithError(archive.WriteChanges(pw, rw.Copy, pathChanges(changes)))
					return
				}
				pw.CloseWithError(archive.WriteDiffExcluding(pw, rw.Upper, runtimeMountPoint))
			}()
			l, err := w.PutLayer(img.TopLayer(), interruptible(opts.Context, pr), "")
			pr.CloseWithError(io.ErrClosedPipe) // stops the writer if PutLayer gave up early
			if err != nil {
				return fmt.Errorf("reading the container's changes: %w", err)
			}
			h, err := v1.NewHash(l.DiffID)
			if err != nil {
				return err
			}
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
		}
		raw, err := commitConfigJSON(&cfg, c, opts.Message)
		if err != nil {
			return err
		}
		if res.ID, err = w.PutImage(raw, img.ID); err != nil {
			return err
		}
		if opts.Ref != "" {
			return w.Tag(res.ID, ref)
		}
		return nil
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("committing %s: %w", c.ShortName(), err)
	}
	return res, nil
}

// commitConfigJSON adds the fields Docker writes on commit that go-containerregistry's
// config type lacks: comment, container_config, docker_version.
func commitConfigJSON(cfg *v1.ConfigFile, c *Container, message string) ([]byte, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if message != "" {
		m["comment"] = message
	}
	m["container_config"] = c.Config
	m["docker_version"] = "dockling"
	return json.Marshal(m)
}

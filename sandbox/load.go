package sandbox

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"

	"github.com/dockling/dockling/sandbox/store"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrBadArchive: the input is not an image archive dockling can read.
var ErrBadArchive = errors.New("not an image archive")

// Loaded is one image `docker load` brought in.
type Loaded struct {
	ID   string
	Tags []string
}

// Load reads a docker-save or OCI layout archive (plain or gzip) and stores every
// image in it. Layers are checked against the digests the archive claims.
func (sb *Sandbox) Load(r io.Reader) ([]Loaded, error) {
	release, err := sb.Store.HoldTmp()
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer release()
	tmp, err := sb.Store.CreateTemp("load-*.tar")
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		src = zr
	}
	if _, err := io.Copy(tmp, src); err != nil {
		return nil, fmt.Errorf("loading: reading archive: %w", err)
	}
	names, err := tarNames(tmp.Name())
	if err != nil {
		return nil, err
	}
	switch {
	case names["manifest.json"]:
		return sb.loadDockerArchive(tmp.Name())
	case names["index.json"]:
		return sb.loadOCIArchive(tmp.Name())
	}
	return nil, fmt.Errorf("%w: it has neither manifest.json (docker save) nor index.json (OCI layout)", ErrBadArchive)
}

func tarNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		names[filepath.Clean(h.Name)] = true
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: the archive is empty", ErrBadArchive)
	}
	return names, nil
}

func (sb *Sandbox) loadDockerArchive(path string) ([]Loaded, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	var out []Loaded
	for i, desc := range m {
		var tag *name.Tag
		if len(desc.RepoTags) > 0 {
			t, err := name.NewTag(desc.RepoTags[0], name.WeakValidation)
			if err != nil {
				return out, fmt.Errorf("%w: bad tag %q: %v", ErrBadArchive, desc.RepoTags[0], err)
			}
			tag = &t
		} else if len(m) > 1 {
			return out, fmt.Errorf("%w: image %d has no tag and the archive holds several", ErrBadArchive, i+1)
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		var refs []store.Ref
		for _, t := range desc.RepoTags {
			r, err := store.ParseRef(t)
			if err != nil {
				return out, fmt.Errorf("%w: bad tag %q: %v", ErrBadArchive, t, err)
			}
			refs = append(refs, r)
		}
		l, err := sb.loadImage(img, refs)
		if err != nil {
			return out, err
		}
		out = append(out, l)
	}
	return out, nil
}

var ociBlobRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^blobs/sha256/[a-f0-9]{64}$`) }) // compiled on first use: start-up stays fast

// loadOCIArchive unpacks only the files an OCI layout may hold (index.json,
// oci-layout, blobs/sha256/<hex>) into a private folder: nothing else in the
// untrusted archive is ever written.
func (sb *Sandbox) loadOCIArchive(path string) ([]Loaded, error) {
	dir, err := sb.Store.MkdirTemp("oci-") // Load holds the tmp folder
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o700); err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		n := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || !(n == "index.json" || n == "oci-layout" || ociBlobRE().MatchString(n)) {
			continue
		}
		out, err := os.OpenFile(filepath.Join(dir, n), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %q: %v", ErrBadArchive, h.Name, err)
		}
		_, err = io.Copy(out, tr)
		out.Close()
		if err != nil {
			return nil, fmt.Errorf("loading: %w", err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	return sb.loadIndex(idx)
}

func (sb *Sandbox) loadIndex(idx v1.ImageIndex) ([]Loaded, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	var out []Loaded
	for _, desc := range im.Manifests {
		var refs []store.Ref
		for _, key := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
			if n := desc.Annotations[key]; n != "" {
				if r, err := store.ParseRef(n); err == nil {
					refs = append(refs, r)
					break
				}
			}
		}
		var img v1.Image
		if desc.MediaType.IsIndex() {
			child, err := idx.ImageIndex(desc.Digest)
			if err != nil {
				return out, fmt.Errorf("%w: %v", ErrBadArchive, err)
			}
			if img, err = platformImage(child); err != nil {
				return out, err
			}
		} else if desc.MediaType.IsImage() {
			if img, err = idx.Image(desc.Digest); err != nil {
				return out, fmt.Errorf("%w: %v", ErrBadArchive, err)
			}
		} else {
			continue
		}
		l, err := sb.loadImage(img, refs)
		if err != nil {
			return out, err
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the OCI index lists no image", ErrBadArchive)
	}
	return out, nil
}

// platformImage picks this machine's image out of a multi-platform index.
func platformImage(idx v1.ImageIndex) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == runtime.GOARCH {
			return idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("%w: no image for linux/%s in the index", ErrBadArchive, runtime.GOARCH)
}

func (sb *Sandbox) loadImage(img v1.Image, refs []store.Ref) (Loaded, error) {
	var id string
	err := sb.Store.Write(func(w *store.Writer) error {
		var err error
		id, err = putV1Image(w, img, refs, nil)
		return err
	})
	if err != nil {
		return Loaded{}, fmt.Errorf("loading: %w", err)
	}
	l := Loaded{ID: id}
	for _, r := range refs {
		l.Tags = append(l.Tags, r.String())
	}
	return l, nil
}

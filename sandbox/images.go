package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dockling/dockling/sandbox/builtin"
	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// builtinFor maps the image names dockling can make without a network to their
// builders; a lesson may add stand-ins (see AddStandin).
var builtinFor = map[string]string{"hello-world": "hello-world", "busybox": "busybox"}

// Image finds an image by reference or ID. The built-in images (hello-world, busybox)
// appear on first use: asked for and missing, they are built from this host.
func (sb *Sandbox) Image(name string) (*store.Image, error) {
	img, err := sb.Store.Lookup(name)
	if err == nil || !errors.Is(err, store.ErrNoSuchImage) {
		return img, err
	}
	ref, perr := store.ParseRef(name)
	if perr != nil || !CanBuild(ref) {
		return nil, err
	}
	if _, berr := sb.AddBuiltin(builtinFor[ref.Path], ref); berr != nil {
		return nil, berr
	}
	return sb.Store.Lookup(name)
}

// AddBuiltin builds a built-in image and tags it as ref.
func (sb *Sandbox) AddBuiltin(name string, ref store.Ref) (string, error) {
	bi, err := builtin.Build(name)
	if err != nil {
		return "", fmt.Errorf("building image %s: %w", ref, err)
	}
	raw, err := json.Marshal(bi.Config)
	if err != nil {
		return "", fmt.Errorf("building image %s: %w", ref, err)
	}
	var id string
	err = sb.Store.Write(func(w *store.Writer) error {
		parent := ""
		for _, d := range bi.Config.RootFS.DiffIDs {
			l, err := w.PutLayer(parent, bytes.NewReader(bi.Layer), d.String())
			if err != nil {
				return err
			}
			parent = l.ChainID
		}
		if id, err = w.PutImage(raw, ""); err != nil {
			return err
		}
		return w.Tag(id, ref)
	})
	return id, err
}

// AddStandin tags a built-in image as a stand-in for another (e.g. "ubuntu"), for
// lessons that allow one when the real image cannot be had.
func (sb *Sandbox) AddStandin(ref store.Ref, builtinName string) (string, error) {
	return sb.AddBuiltin(builtinName, ref)
}

// putV1Image stores every layer and the config of img and tags it.
func putV1Image(w *store.Writer, img v1.Image, tags []store.Ref, progress func(done, total int64)) (string, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", fmt.Errorf("reading image layers: %w", err)
	}
	var total, done int64
	for _, l := range layers {
		if sz, err := l.Size(); err == nil {
			total += sz
		}
	}
	parent := ""
	for _, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			return "", fmt.Errorf("reading layer: %w", err)
		}
		chain := store.ChainID(parent, diffID.String())
		if !w.Store().HasLayer(chain) {
			rc, err := l.Uncompressed()
			if err != nil {
				return "", fmt.Errorf("reading layer %s: %w", diffID, err)
			}
			_, err = w.PutLayer(parent, rc, diffID.String())
			rc.Close()
			if err != nil {
				return "", err
			}
		}
		parent = chain
		if sz, err := l.Size(); err == nil {
			done += sz
		}
		if progress != nil {
			progress(done, total)
		}
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return "", fmt.Errorf("reading image config: %w", err)
	}
	id, err := w.PutImage(raw, "")
	if err != nil {
		return "", err
	}
	for _, t := range tags {
		if err := w.Tag(id, t); err != nil {
			return "", err
		}
	}
	return id, nil
}

// ImageSummary is one row of `docker images`.
type ImageSummary struct {
	ID         string
	Repository string // "<none>" for an untagged image
	Tag        string
	Digest     string
	Created    time.Time
	Size       int64
	Containers int
	// Intermediate: untagged, and the parent of another image (a build's earlier
	// steps); `docker images` shows these with -a only.
	Intermediate bool
}

// Images lists images, one row per tag, newest first.
func (sb *Sandbox) Images() ([]ImageSummary, error) {
	imgs, err := sb.Store.ImageHeads()
	if err != nil {
		return nil, err
	}
	tags, err := sb.Store.Tags()
	if err != nil {
		return nil, err
	}
	parents := sb.Store.Parents()
	var out []ImageSummary
	for _, img := range imgs {
		base := ImageSummary{ID: img.ID, Created: img.Created, Size: img.Size}
		rows := 0
		for _, ref := range tags[img.ID] {
			if ref.Digest != "" {
				base.Digest = ref.Digest
			}
		}
		for _, ref := range tags[img.ID] {
			if ref.Digest != "" {
				continue
			}
			row := base
			row.Repository, row.Tag = ref.Repo(), ref.Tag
			out = append(out, row)
			rows++
		}
		if rows == 0 {
			row := base
			row.Repository, row.Tag = "<none>", "<none>"
			row.Intermediate = parents[img.ID]
			out = append(out, row)
		}
	}
	return out, nil
}

// RepoTags lists the tags that point at an image ("ubuntu:latest").
func (sb *Sandbox) RepoTags(id string) (tags, digests []string) {
	all, _ := sb.Store.Tags()
	for _, r := range all[id] {
		if r.Digest != "" {
			digests = append(digests, r.String())
		} else {
			tags = append(tags, r.String())
		}
	}
	return tags, digests
}

// Tag gives the image named source the reference target.
func (sb *Sandbox) Tag(source, target string) error {
	ref, err := store.ParseRef(target)
	if err != nil {
		return err
	}
	img, err := sb.Image(source)
	if err != nil {
		return err
	}
	if err := ref.Taggable(); err != nil {
		return err
	}
	return sb.Store.Write(func(w *store.Writer) error { return w.Tag(img.ID, ref) })
}

// HistoryRow is one row of `docker history`.
type HistoryRow struct {
	ID         string // image ID or "<missing>"
	Created    time.Time
	CreatedBy  string
	Size       int64
	Comment    string
	Author     string
	EmptyLayer bool
	Tags       []string
}

// History returns an image's history, newest first, with the IDs of the local images
// it was built from where they are known (elsewhere "<missing>", as Docker prints).
func (sb *Sandbox) History(name string) ([]HistoryRow, error) {
	img, err := sb.Image(name)
	if err != nil {
		return nil, err
	}
	chains := img.ChainIDs()
	var rows []HistoryRow
	layer := 0
	for _, h := range img.Config.History {
		row := HistoryRow{ID: "<missing>", Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment, Author: h.Author, EmptyLayer: h.EmptyLayer}
		if !h.EmptyLayer && layer < len(chains) {
			if l, err := sb.Store.Layer(chains[layer]); err == nil {
				row.Size = l.Size
			}
			layer++
		}
		rows = append(rows, row)
	}
	// Newest first.
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	// Mark where each local ancestor's own history ends.
	for cur := img; cur != nil && len(rows) > 0; {
		if n := len(cur.Config.History); n > 0 && len(rows)-n >= 0 {
			i := len(rows) - n
			rows[i].ID = cur.ID
			rows[i].Tags, _ = sb.RepoTags(cur.ID)
		}
		if cur.Parent == "" {
			break
		}
		cur, _ = sb.Store.Image(cur.Parent)
	}
	return rows, nil
}

// RemoveResult is what `docker rmi` reports, in order.
type RemoveResult struct {
	Untagged []string
	Deleted  []string
}

// ConflictError is Docker's refusal to remove an image.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return "conflict: " + e.Msg }
func (e *ConflictError) Unwrap() error { return store.ErrInUse }

// RemoveImage is `docker rmi [-f] NAME`.
func (sb *Sandbox) RemoveImage(name string, force bool) (RemoveResult, error) {
	var res RemoveResult
	img, err := sb.Store.Lookup(name)
	if err != nil {
		return res, err
	}
	tags, _ := sb.RepoTags(img.ID)
	byRef := false
	ref, perr := store.ParseRef(name)
	if perr == nil {
		for _, t := range tags {
			if t == ref.String() {
				byRef = true
			}
		}
	}
	users := sb.containersUsing(img.ID)
	err = sb.Store.Write(func(w *store.Writer) error {
		if byRef && len(tags) > 1 {
			// Other tags keep the image: only this name goes.
			if _, _, err := w.Untag(ref); err != nil {
				return err
			}
			res.Untagged = append(res.Untagged, ref.String())
			return nil
		}
		if !byRef && len(tags) > 1 && !force {
			return &ConflictError{Msg: fmt.Sprintf("unable to delete %s (must be forced) - image is referenced in multiple repositories", store.ShortID(img.ID))}
		}
		if len(users) > 0 && !force {
			what := fmt.Sprintf("unable to delete %s (must be forced)", store.ShortID(img.ID))
			if byRef {
				what = fmt.Sprintf("unable to remove repository reference %q (must force)", name)
			}
			return &ConflictError{Msg: fmt.Sprintf("%s - container %s is using its referenced image %s", what, store.ShortID(users[0]), store.ShortID(img.ID))}
		}
		if children := sb.childrenOf(img.ID); len(children) > 0 {
			return &ConflictError{Msg: fmt.Sprintf("unable to delete %s (cannot be forced) - image has dependent child images", store.ShortID(img.ID))}
		}
		all, _ := w.Store().Tags()
		for _, r := range all[img.ID] {
			if _, _, err := w.Untag(r); err != nil {
				return err
			}
			res.Untagged = append(res.Untagged, r.String())
		}
		if len(users) > 0 {
			return nil // forced: untagged, but a container still needs its layers
		}
		if err := w.DeleteImage(img.ID); err != nil {
			return err
		}
		res.Deleted = append(res.Deleted, img.ID)
		return sb.pruneParents(w, img.Parent, &res)
	})
	return res, err
}

// pruneParents deletes, from id down, the untagged images a deleted image was
// committed or built on that nothing else uses (no tag, no other child, no
// container), as Docker's rmi does: a build's earlier steps go with its result.
func (sb *Sandbox) pruneParents(w *store.Writer, id string, res *RemoveResult) error {
	for id != "" {
		img, err := sb.Store.Image(id)
		if err != nil {
			return nil // gone already
		}
		tags, _ := w.Store().Tags()
		if len(tags[id]) > 0 || len(sb.childrenOf(id)) > 0 || len(sb.containersUsing(id)) > 0 {
			return nil
		}
		if err := w.DeleteImage(id); err != nil {
			return err
		}
		res.Deleted = append(res.Deleted, id)
		id = img.Parent
	}
	return nil
}

// childrenOf lists images recorded as committed from id.
func (sb *Sandbox) childrenOf(id string) []string {
	var out []string
	for _, img := range sb.ChildImages(id) {
		out = append(out, img.ID)
	}
	return out
}

// ChildImages lists the images recorded as committed or built from id, newest
// first (a build's cache looks among them).
func (sb *Sandbox) ChildImages(id string) []*store.Image {
	imgs, _ := sb.Store.Images()
	var out []*store.Image
	for _, img := range imgs {
		if img.Parent == id {
			out = append(out, img)
		}
	}
	return out
}

// containersUsing lists the containers created from an image.
func (sb *Sandbox) containersUsing(id string) []string {
	return imageUsers(sb.containerRecords())[id]
}

// imageUsers maps image IDs to the containers created from them.
func imageUsers(cs []*Container) map[string][]string {
	out := map[string][]string{}
	for _, c := range cs {
		out[c.Image] = append(out[c.Image], c.ID)
	}
	for id := range out {
		sort.Strings(out[id])
	}
	return out
}

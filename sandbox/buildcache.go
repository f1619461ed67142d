package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/store"
)

// The build cache is the set of images a build may take again as a step's
// result: each one is an empty file named by the image's ID in this folder, so
// that forgetting the cache (builder prune, system prune) keeps the images that
// tags or containers still need, yet the next build runs every step again, as
// Docker's does after a prune.
const buildCacheDir = "buildcache"

// AddBuildCache records id, an image a build wrote for a step, in the cache.
func (sb *Sandbox) AddBuildCache(id string) error {
	dir := filepath.Join(sb.dir, buildCacheDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, cacheName(id)), nil, 0o600)
}

// InBuildCache says whether a build may take image id again.
func (sb *Sandbox) InBuildCache(id string) bool {
	_, err := os.Stat(filepath.Join(sb.dir, buildCacheDir, cacheName(id)))
	return err == nil
}

func cacheName(id string) string { return strings.TrimPrefix(id, "sha256:") }

// BuildCachePruned is what PruneBuildCache removed.
type BuildCachePruned struct {
	Deleted   []string // the images removed
	Reclaimed int64    // their own layers' bytes
}

// PruneBuildCache forgets the whole build cache and removes its images that
// nothing needs any more: no tag, no container, no image built on them.
func (sb *Sandbox) PruneBuildCache() (BuildCachePruned, error) {
	var res BuildCachePruned
	dir := filepath.Join(sb.dir, buildCacheDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	var ids []string
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
		ids = append(ids, "sha256:"+e.Name())
	}
	sizes := map[string]int64{}
	for _, id := range ids {
		sizes[id] = sb.ownLayerSize(id)
	}
	for _, id := range ids {
		if tags, _ := sb.RepoTags(id); len(tags) > 0 {
			continue
		}
		if _, err := sb.Store.Image(id); err != nil {
			continue // gone: a failed build's, or removed with a later step
		}
		r, err := sb.RemoveImage(id, false)
		var conflict *ConflictError
		var gone *store.NoSuchImageError
		switch {
		case errors.As(err, &conflict):
			continue // a container or a later image still needs it
		case errors.As(err, &gone):
			continue // removed with an image before it (system prune's images)
		}
		if err != nil {
			return res, fmt.Errorf("removing build cache image %s: %w", store.ShortID(id), err)
		}
		for _, d := range r.Deleted {
			res.Deleted = append(res.Deleted, d)
			res.Reclaimed += sizes[d]
		}
	}
	return res, nil
}

// ownLayerSize is the size of the layer an image adds to its parent's, 0 for a
// step that added none.
func (sb *Sandbox) ownLayerSize(id string) int64 {
	img, err := sb.Store.Image(id)
	if err != nil || img.TopLayer() == "" {
		return 0
	}
	if img.Parent != "" {
		if p, err := sb.Store.Image(img.Parent); err == nil && p.TopLayer() == img.TopLayer() {
			return 0
		}
	}
	l, err := sb.Store.Layer(img.TopLayer())
	if err != nil {
		return 0
	}
	return l.Size
}

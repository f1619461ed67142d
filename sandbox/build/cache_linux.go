package build

import (
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cached finds the image an earlier build made for this step, with the classic
// builder's key: the same parent image, the same history line (the instruction
// with its arguments expanded, build arguments for RUN, the content hash for COPY
// and ADD) and the same config, among the images the build cache still has.
// After FROM scratch the parent is none, and the candidates are the cached
// images without one, as Docker's builder takes them. With it the step is
// skipped: " ---> Using cache".
func (b *builder) cached(h v1.History) bool {
	if b.opts.NoCache {
		return false
	}
	parent, depth := "", 1
	if b.img != nil {
		parent, depth = b.img.ID, len(b.img.Config.History)+1
	}
	want, err := b.configKey(parent)
	if err != nil {
		return false
	}
	for _, child := range b.sb.ChildImages(parent) {
		if !b.sb.InBuildCache(child.ID) {
			continue // pruned, or not a build's step
		}
		hist := child.Config.History
		if len(hist) != depth || hist[len(hist)-1].CreatedBy != h.CreatedBy {
			continue
		}
		if got, err := json.Marshal(child.Config.Config); err != nil || string(got) != want {
			continue
		}
		b.rep.cached()
		b.img = child
		return true
	}
	return false
}

// configKey is the config a step on parent writes, as the cache compares it.
func (b *builder) configKey(parent string) (string, error) {
	cfg := b.cfg.Config
	cfg.Image = parent
	raw, err := json.Marshal(cfg)
	return string(raw), err
}

package build

import (
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cached finds the image an earlier build made for this step, with the classic
// builder's key: the same parent image, the same history line (the instruction
// with its arguments expanded, build arguments for RUN, the content hash for COPY
// and ADD) and the same config, among the images the build cache still has. With it the step is skipped: " ---> Using cache".
func (b *builder) cached(h v1.History) bool {
	if b.opts.NoCache || b.img == nil {
		return false // FROM scratch has no parent to key on
	}
	want, err := b.configKey(b.img.ID)
	if err != nil {
		return false
	}
	for _, child := range b.sb.ChildImages(b.img.ID) {
		if !b.sb.InBuildCache(child.ID) {
			continue // pruned, or not a build's step
		}
		hist := child.Config.History
		if len(hist) == 0 || hist[len(hist)-1].CreatedBy != h.CreatedBy {
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

package sandbox

import (
	"fmt"
	"io"

	"github.com/dockling/dockling/sandbox/store"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Save writes images as a docker-save archive (`docker save`), which `docker load`
// (Docker's or ours) reads back. Names may be references or IDs.
func (sb *Sandbox) Save(w io.Writer, names []string) error {
	refs := map[name.Reference]v1.Image{}
	for _, n := range names {
		img, err := sb.Image(n)
		if err != nil {
			return err
		}
		v1img, err := sb.Store.V1Image(img)
		if err != nil {
			return fmt.Errorf("saving %s: %w", n, err)
		}
		// A name given as a tag is saved as that tag; an ID saves all of the image's tags.
		var tagNames []string
		if ref, err := store.ParseRef(n); err == nil && ref.Digest == "" {
			if found, _ := sb.Store.Lookup(ref.String()); found != nil && found.ID == img.ID {
				tagNames = []string{ref.String()}
			}
		}
		if tagNames == nil {
			tagNames, _ = sb.RepoTags(img.ID)
		}
		for _, t := range tagNames {
			r, _ := store.ParseRef(t)
			tag, err := name.NewTag(r.String(), name.WeakValidation)
			if err != nil {
				return fmt.Errorf("saving %s: %w", n, err)
			}
			refs[tag] = v1img
		}
		if len(tagNames) == 0 {
			h, err := v1.NewHash(img.ID)
			if err != nil {
				return fmt.Errorf("saving %s: %w", n, err)
			}
			d, _ := name.NewDigest("untagged@"+h.String(), name.WeakValidation)
			refs[d] = v1img
		}
	}
	if err := tarball.MultiRefWrite(refs, w); err != nil {
		return fmt.Errorf("saving images: %w", err)
	}
	return nil
}

package sandbox

import (
	"errors"
	"slices"

	"github.com/dockling/dockling/sandbox/store"
)

// Pruned is what a prune removed and the space it gave back.
type Pruned struct {
	Containers []string // IDs
	Images     RemoveResult
	Reclaimed  int64
}

// PruneContainers removes the stopped containers keep accepts (nil: all of them), as
// `docker container prune` does.
func (sb *Sandbox) PruneContainers(keep func(*Container) bool) (Pruned, error) {
	var p Pruned
	cs, err := sb.Containers()
	if err != nil {
		return p, err
	}
	for _, c := range cs {
		if c.State.Running || (keep != nil && !keep(c)) {
			continue
		}
		size := sb.ContainerSize(c)
		if _, err := sb.Remove(c.ID, false); err != nil {
			if errors.Is(err, ErrNoSuchContainer) || errors.Is(err, ErrRunning) {
				continue // gone or started meanwhile
			}
			return p, err
		}
		p.Containers = append(p.Containers, c.ID)
		p.Reclaimed += size
	}
	return p, nil
}

// PruneImages removes the images no container uses: the dangling ones (untagged and
// nobody's parent), or with all every such image, as `docker image prune [-a]` does.
// An image's untagged parents go with it.
func (sb *Sandbox) PruneImages(all bool) (Pruned, error) {
	var p Pruned
	before, err := sb.DiskUsage()
	if err != nil {
		return p, err
	}
	for removed := true; removed; {
		// Children go first: each round removes the images that have none left.
		removed = false
		imgs, err := sb.Store.Images()
		if err != nil {
			return p, err
		}
		users := imageUsers(sb.containerRecords())
		for _, img := range imgs {
			tags, _ := sb.RepoTags(img.ID)
			if len(users[img.ID]) > 0 || (!all && len(tags) > 0) || len(sb.ChildImages(img.ID)) > 0 {
				continue
			}
			res, err := sb.RemoveImage(img.ID, true)
			var gone *store.NoSuchImageError
			if errors.As(err, &gone) {
				continue // an untagged parent, removed with its child this round
			}
			if err != nil {
				return p, err
			}
			p.Images.Untagged = append(p.Images.Untagged, res.Untagged...)
			p.Images.Deleted = append(p.Images.Deleted, res.Deleted...)
			removed = removed || len(res.Deleted) > 0
		}
	}
	after, err := sb.DiskUsage()
	if err == nil {
		p.Reclaimed = max(0, before.ImagesSize-after.ImagesSize)
	}
	p.Images.Deleted = slices.Compact(p.Images.Deleted)
	return p, nil
}

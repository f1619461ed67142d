package sandbox

import (
	"context"
	"fmt"
	"runtime"

	"github.com/dockling/dockling/sandbox/store"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PullResult says what a pull brought.
type PullResult struct {
	ID     string
	Ref    store.Ref
	Digest string // manifest digest in the registry
}

// Pull fetches an image for this platform from its registry and tags it. progress,
// when set, hears bytes done and total. Nothing becomes visible until every layer is
// complete; an interrupted pull leaves only leftovers that `system check` removes.
func (sb *Sandbox) Pull(ctx context.Context, refStr string, progress func(done, total int64)) (PullResult, error) {
	ref, err := store.ParseRef(refStr)
	if err != nil {
		return PullResult{}, err
	}
	remoteRef, err := name.ParseReference(ref.Remote())
	if err != nil {
		return PullResult{}, fmt.Errorf("%w: %v", store.ErrBadRef, err)
	}
	img, err := remote.Image(remoteRef,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		return PullResult{}, fmt.Errorf("pulling %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return PullResult{}, fmt.Errorf("pulling %s: %w", ref, err)
	}
	tags := []store.Ref{{Domain: ref.Domain, Path: ref.Path, Digest: digest.String()}}
	if ref.Tag != "" {
		tags = append(tags, store.Ref{Domain: ref.Domain, Path: ref.Path, Tag: ref.Tag})
	}
	var id string
	err = sb.Store.Write(func(w *store.Writer) error {
		var err error
		id, err = putV1Image(w, img, tags, progress)
		return err
	})
	if err != nil {
		return PullResult{}, fmt.Errorf("pulling %s: %w", ref, err)
	}
	return PullResult{ID: id, Ref: ref, Digest: digest.String()}, nil
}

// CanBuild reports whether name is an image dockling can make without a network.
func CanBuild(ref store.Ref) bool {
	_, ok := builtinFor[ref.Path]
	return ok && ref.Domain == "" && ref.Tag == "latest" && ref.Digest == ""
}

// PullBuiltin makes a built-in image in place of a pull that could not reach its
// registry.
func (sb *Sandbox) PullBuiltin(ref store.Ref) (string, error) {
	return sb.AddBuiltin(builtinFor[ref.Path], ref)
}

// CanBuildName reports whether a reference names an image dockling can make
// without a network (hello-world, busybox; only their "latest" tag).
func CanBuildName(name string) bool {
	ref, err := store.ParseRef(name)
	return err == nil && CanBuild(ref)
}

package store

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// V1Image exposes a stored image as a go-containerregistry image, so save and push
// reuse its writers. Layers come back byte for byte as they were received.
func (s *Store) V1Image(img *Image) (v1.Image, error) {
	return partial.UncompressedToImage(&uncompressedImage{s: s, img: img})
}

type uncompressedImage struct {
	s   *Store
	img *Image
}

func (u *uncompressedImage) RawConfigFile() ([]byte, error) { return u.img.Raw, nil }
func (u *uncompressedImage) MediaType() (types.MediaType, error) {
	return types.DockerManifestSchema2, nil
}

func (u *uncompressedImage) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	diffs := u.img.Config.RootFS.DiffIDs
	chains := u.img.ChainIDs()
	for i, d := range diffs {
		if d == h {
			return &uncompressedLayer{s: u.s, chainID: chains[i], diffID: h}, nil
		}
	}
	return nil, ErrNoSuchLayer
}

type uncompressedLayer struct {
	s       *Store
	chainID string
	diffID  v1.Hash
}

func (l *uncompressedLayer) DiffID() (v1.Hash, error)             { return l.diffID, nil }
func (l *uncompressedLayer) Uncompressed() (io.ReadCloser, error) { return l.s.LayerTar(l.chainID) }
func (l *uncompressedLayer) MediaType() (types.MediaType, error) {
	return types.DockerLayer, nil
}

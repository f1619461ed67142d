package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Step is one image a build writes on top of the image before it, as Docker's
// classic builder writes one per instruction: the parent's layers and history, at
// most one new layer, and one more history entry.
type Step struct {
	Parent *store.Image // nil: FROM scratch
	// Config is the new image's config; its RootFS and History are filled in here.
	Config v1.ConfigFile
	// History is the step's entry; EmptyLayer is set here when no layer is added.
	History v1.History
	// Layer writes the new layer's tar (COPY, ADD, WORKDIR); nil: no new layer.
	Layer func(io.Writer) error
	// Container, when set, is a stopped container of Parent whose changes are the
	// new layer (RUN); nothing changed means no new layer, as Docker records it.
	Container string
	// Context, when it ends, makes the step give up.
	Context context.Context
}

// PutStep writes s's image and returns it. Nothing is written when it fails.
func (sb *Sandbox) PutStep(s Step) (*store.Image, error) {
	cfg := s.Config
	parentID, parentTop := "", ""
	cfg.RootFS = v1.RootFS{Type: "layers"}
	cfg.History = nil
	if s.Parent != nil {
		parentID, parentTop = s.Parent.ID, s.Parent.TopLayer()
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, s.Parent.Config.RootFS.DiffIDs...)
		cfg.History = append(cfg.History, s.Parent.Config.History...)
	}
	write := s.Layer
	if s.Container != "" {
		rw, err := sb.Store.RWLayer(s.Container)
		if err != nil {
			return nil, err
		}
		changes, err := readChanges(rw)
		if err != nil {
			return nil, err
		}
		write = nil
		if len(changes) > 0 {
			write = func(w io.Writer) error { return streamLayer(w, rw, changes) }
		}
	}
	h := s.History
	h.EmptyLayer = write == nil
	cfg.History = append(cfg.History, h)
	var id string
	err := sb.Store.Write(func(w *store.Writer) error {
		if write != nil {
			diff, err := putStreamedLayer(s.Context, w, parentTop, write)
			if err != nil {
				return fmt.Errorf("writing the layer: %w", err)
			}
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diff)
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		id, err = w.PutImage(raw, parentID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sb.Store.Image(id)
}

// putStreamedLayer adds the layer write writes on top of parent (a chain ID) and
// returns its diff ID. The tar streams straight into the store (no staging copy);
// PutLayer makes the layer visible only once it is complete, so a crash leaves
// leftovers for `system check`, never a half image.
func putStreamedLayer(ctx context.Context, w *store.Writer, parent string, write func(io.Writer) error) (v1.Hash, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	l, err := w.PutLayer(parent, interruptible(ctx, pr), "")
	pr.CloseWithError(io.ErrClosedPipe) // stops the writer if PutLayer gave up early
	if err != nil {
		return v1.Hash{}, err
	}
	return v1.NewHash(l.DiffID)
}

package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ImportOptions are `docker import`'s flags.
type ImportOptions struct {
	Ref     string   // REPOSITORY[:TAG], may be empty
	Changes []string // --change instructions
	Message string   // --message, recorded as the history comment
	Source  string   // where the tarball came from, for the default comment
}

// Import makes a one-layer image from a root filesystem tarball (plain or gzip).
func (sb *Sandbox) Import(r io.Reader, opts ImportOptions) (string, error) {
	var ref store.Ref
	if opts.Ref != "" {
		var err error
		if ref, err = store.ParseRef(opts.Ref); err != nil {
			return "", err
		}
		if err := ref.Taggable(); err != nil {
			return "", err
		}
	}
	now := time.Now().UTC()
	cfg := v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: now},
	}
	if err := ApplyChanges(&cfg.Config, opts.Changes); err != nil {
		return "", err
	}
	comment := opts.Message
	if comment == "" {
		src := opts.Source
		if src == "" {
			src = "-"
		}
		comment = "Imported from " + src
	}
	var id string
	err := sb.Store.Write(func(w *store.Writer) error {
		l, err := w.PutLayer("", r, "")
		if err != nil {
			return err
		}
		h, err := v1.NewHash(l.DiffID)
		if err != nil {
			return err
		}
		cfg.RootFS = v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{h}}
		cfg.History = []v1.History{{Created: v1.Time{Time: now}, Comment: comment}}
		// Docker writes the message as the image's comment too (its config type has
		// the field; go-containerregistry's does not).
		raw, err := json.Marshal(struct {
			v1.ConfigFile
			Comment string `json:"comment"`
		}{cfg, comment})
		if err != nil {
			return fmt.Errorf("importing: %w", err)
		}
		if id, err = w.PutImage(raw, ""); err != nil {
			return err
		}
		if opts.Ref != "" {
			return w.Tag(id, ref)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("importing: %w", err)
	}
	return id, nil
}

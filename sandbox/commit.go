package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// CommitOptions are `docker commit`'s flags.
type CommitOptions struct {
	Ref     string   // REPOSITORY[:TAG], may be empty
	Author  string   // -a
	Message string   // -m
	Changes []string // -c
	Pause   bool     // pause a running container while its layer is read (default true in Docker)
	// Context, when it ends (SIGINT or SIGTERM in the CLI), thaws a paused container
	// and makes the commit give up.
	Context context.Context
}

// CommitResult says what commit made, and warns when the snapshot may be inconsistent.
type CommitResult struct {
	ID      string
	Warning string
}

// Commit turns a container's changes into a new image layer on top of its image, with
// Docker's semantics: the new config starts from the container's own, --change
// instructions apply, history gets the container's command, the parent is recorded.
func (sb *Sandbox) Commit(name string, opts CommitOptions) (CommitResult, error) {
	var res CommitResult
	var ref store.Ref
	if opts.Ref != "" {
		var err error
		if ref, err = store.ParseRef(opts.Ref); err != nil {
			return res, err
		}
		if ref.Digest != "" {
			return res, ref.Taggable() // Docker's client refuses this before asking
		}
	}
	c, err := sb.Container(name)
	if err != nil {
		return res, err
	}
	if opts.Ref != "" {
		// Docker tags after committing and so leaves an untagged image behind;
		// refusing first keeps the store unchanged.
		if err := ref.Taggable(); err != nil {
			return res, err
		}
	}
	img, err := sb.Store.Image(c.Image)
	if err != nil {
		return res, fmt.Errorf("committing %s: its image is gone: %w", c.ShortName(), err)
	}
	// The config is computed (and --change validated) before anything is written.
	cfg := *img.Config
	ctrCfg := c.Config // Image stays the name the container was created with, as Docker keeps it
	if ctrCfg.Hostname == "" {
		ctrCfg.Hostname = c.ID[:12]
	}
	if cfg.Config, err = CommitChanges(ctrCfg, opts.Changes); err != nil {
		return res, err
	}
	rw, err := sb.Store.RWLayer(c.ID)
	if err != nil {
		return res, err
	}

	if c.State.Running && opts.Pause {
		resume, warn, err := sb.pause(opts.Context, c)
		if err != nil {
			return res, fmt.Errorf("committing %s: %w", c.ShortName(), err)
		}
		defer resume()
		res.Warning = warn
	}
	changes, err := readChanges(rw)
	empty := len(changes) == 0
	if err != nil {
		return res, fmt.Errorf("committing: %w", err)
	}
	now := time.Now().UTC()
	cfg.Created = v1.Time{Time: now}
	cfg.Author = opts.Author
	cfg.Container = c.ID
	cfg.History = append(append([]v1.History{}, img.Config.History...), v1.History{
		Created: v1.Time{Time: now}, CreatedBy: strings.Join(c.Config.Cmd, " "), Author: opts.Author,
		Comment: opts.Message, EmptyLayer: empty,
	})
	cfg.RootFS.DiffIDs = append([]v1.Hash{}, img.Config.RootFS.DiffIDs...)
	if cfg.RootFS.Type == "" {
		cfg.RootFS.Type = "layers"
	}
	err = sb.Store.Write(func(w *store.Writer) error {
		if !empty {
			h, err := putStreamedLayer(opts.Context, w, img.TopLayer(), func(lw io.Writer) error {
				return streamLayer(lw, rw, changes)
			})
			if err != nil {
				return fmt.Errorf("reading the container's changes: %w", err)
			}
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
		}
		raw, err := commitConfigJSON(&cfg, c, opts.Message)
		if err != nil {
			return err
		}
		if res.ID, err = w.PutImage(raw, img.ID); err != nil {
			return err
		}
		if opts.Ref != "" {
			return w.Tag(res.ID, ref)
		}
		return nil
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("committing %s: %w", c.ShortName(), err)
	}
	return res, nil
}

// commitConfigJSON adds the fields Docker writes on commit that go-containerregistry's
// config type lacks: comment, container_config, docker_version.
func commitConfigJSON(cfg *v1.ConfigFile, c *Container, message string) ([]byte, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if message != "" {
		m["comment"] = message
	}
	m["container_config"] = c.Config
	m["docker_version"] = "dockling"
	return json.Marshal(m)
}

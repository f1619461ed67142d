package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox/trash"
)

// Problem is one inconsistency Check found; Fix repairs it.
type Problem struct {
	What string // a sentence for the user
	fix  func() error
}

// Check lists leftovers of interrupted writes and damaged entries. It only reads.
func (s *Store) Check() ([]Problem, error) {
	var ps []Problem
	add := func(what string, fix func() error) { ps = append(ps, Problem{What: what, fix: fix}) }
	removeAll := func(p string) func() error { return func() error { return os.RemoveAll(p) } }

	// Temporary files of writes that never finished.
	for _, dir := range []string{s.tmpDir(), filepath.Join(s.imageDir(), "layerdb", "tmp")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), trash.Prefix) {
				continue // being emptied (see Trash)
			}
			p := filepath.Join(dir, e.Name())
			add("unfinished write left "+p, removeAll(p))
		}
	}
	for _, dir := range []string{s.contentDir(), s.imageDir()} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
				p := filepath.Join(dir, e.Name())
				add("unfinished write left "+p, removeAll(p))
			}
		}
	}

	// Layer folders that no layer or container layer records.
	known := map[string]bool{"l": true}
	layers, _ := os.ReadDir(s.layerDBDir())
	for _, e := range layers {
		l, err := s.Layer("sha256:" + e.Name())
		if err != nil {
			p := filepath.Join(s.layerDBDir(), e.Name())
			add("damaged layer record "+p, removeAll(p))
			continue
		}
		if _, err := os.Stat(s.DiffDir(l.CacheID)); err != nil {
			add(fmt.Sprintf("layer %s has lost its content", l.ChainID), removeAll(filepath.Join(s.layerDBDir(), e.Name())))
		}
		known[l.CacheID] = true
	}
	mounts, _ := os.ReadDir(s.mountsDir())
	for _, e := range mounts {
		rw, err := s.RWLayer(e.Name())
		if err != nil {
			p := filepath.Join(s.mountsDir(), e.Name())
			add("damaged container layer record "+p, removeAll(p))
			continue
		}
		known[rw.MountID] = true
	}
	for _, parent := range []string{s.overlayDir(), s.vfsDir()} {
		dirs, _ := os.ReadDir(parent)
		for _, e := range dirs {
			if !known[e.Name()] {
				p := filepath.Join(parent, e.Name())
				add("layer folder no layer uses: "+p, removeAll(p))
			}
		}
	}
	links, _ := os.ReadDir(filepath.Join(s.overlayDir(), "l"))
	for _, e := range links {
		p := filepath.Join(s.overlayDir(), "l", e.Name())
		if _, err := os.Stat(p); err != nil {
			add("dangling layer link "+p, removeAll(p))
		}
	}

	// Images whose layers are missing, and tags naming no image.
	imgs, _ := s.Images()
	for _, img := range imgs {
		for _, c := range img.ChainIDs() {
			if !s.HasLayer(c) {
				h, _ := hexOf(img.ID)
				add(fmt.Sprintf("image %s misses layer %s", ShortID(img.ID), c), removeAll(filepath.Join(s.contentDir(), h)))
				break
			}
		}
	}
	r, err := s.readRepos()
	if err != nil {
		return nil, err
	}
	for repo, tags := range r.Repositories {
		for tag, id := range tags {
			if _, err := s.Image(id); err != nil {
				ref, tagName := repo, tag
				add(fmt.Sprintf("tag %s names a missing image", tag), func() error {
					r, err := s.readRepos()
					if err != nil {
						return err
					}
					delete(r.Repositories[ref], tagName)
					if len(r.Repositories[ref]) == 0 {
						delete(r.Repositories, ref)
					}
					return s.writeRepos(r)
				})
			}
		}
	}
	return ps, nil
}

// Repair checks again under the writer lock and the tmp folder's (so no write in
// progress is mistaken for a leftover) and fixes what it finds.
func (s *Store) Repair() ([]Problem, error) {
	unlock, err := s.lockTmp()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var ps []Problem
	err = s.Write(func(*Writer) error {
		var err error
		if ps, err = s.Check(); err != nil {
			return err
		}
		for _, p := range ps {
			if err := p.fix(); err != nil {
				return fmt.Errorf("repairing %q: %w", p.What, err)
			}
		}
		return nil
	})
	return ps, err
}

// Package snapshot copies the trees a sandbox snapshot keeps: Clone makes a copy that
// shares what cannot change (hard links to records that are replaced by rename, to
// immutable image layers, to files of an earlier snapshot found unchanged) and copies
// the rest (a container's upper folder, which its processes change in place; a
// reflink where the file system has them). It never follows a symbolic link inside a
// tree, as snapshots live in a learner's sandbox folder that others read as untrusted.
//
// The sandbox package decides what a snapshot holds and restores it (see
// sandbox/snapshot.go there); Meta is the record of one snapshot.
package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Meta is meta.json of one snapshot: what the sandbox held.
type Meta struct {
	Version    int         `json:"version"`
	Containers []Container `json:"containers"`
	// Layers are the cache IDs (overlay2/<id>) of the image layers, kept in the
	// snapshot folder's layer pool.
	Layers []string `json:"layers"`
}

// Container is a container of a snapshot.
type Container struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	MountID string `json:"mount_id"`
	Driver  string `json:"driver"`
	// Running: it was running when the snapshot was taken; a restore starts it again.
	Running bool `json:"running,omitempty"`
}

// MetaFile is the name of a snapshot's record.
const MetaFile = "meta.json"

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReadMeta reads dir's meta.json and checks every ID in it, as it may be forged.
func ReadMeta(dir string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return m, fmt.Errorf("reading snapshot: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("reading snapshot %s: %w", dir, err)
	}
	for _, c := range m.Containers {
		if !hexID.MatchString(c.ID) || !hexID.MatchString(c.MountID) || (c.Driver != "overlay2" && c.Driver != "vfs") {
			return m, fmt.Errorf("reading snapshot %s: bad container entry %q", dir, c.ID)
		}
	}
	for _, l := range m.Layers {
		if !hexID.MatchString(l) {
			return m, fmt.Errorf("reading snapshot %s: bad layer %q", dir, l)
		}
	}
	return m, nil
}

// WriteMeta writes dir's meta.json (dir is still being made: no rename needed).
func WriteMeta(dir string, m Meta) error {
	m.Version = 1
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, MetaFile), b, 0o600)
}

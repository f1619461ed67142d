package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox/store"
)

// Volumes live as Docker's local driver keeps them: volumes/<name>/_data holds the
// files, volumes/<name>/opts.json what `volume inspect` shows. A name is checked
// against Docker's pattern before it becomes a path, so none leaves the folder.

// Volume is one volume, in the shape of Docker's `volume inspect`.
type Volume struct {
	CreatedAt  string
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
	// Anonymous: made for a container (-v /path, VOLUME), removed by `rm -v`.
	Anonymous bool `json:"-"`
}

// volumeMeta is opts.json.
type volumeMeta struct {
	CreatedAt time.Time
	Labels    map[string]string `json:",omitempty"`
	Options   map[string]string `json:",omitempty"`
	Anonymous bool              `json:",omitempty"`
}

// Errors of the volume verbs, in Docker's words.
var (
	ErrNoSuchVolume = errors.New("no such volume")
	ErrVolumeInUse  = errors.New("volume is in use")
	ErrVolumeName   = errors.New("invalid volume name")
)

// NoSuchVolumeError is Docker's "No such volume: NAME".
type NoSuchVolumeError struct{ Name string }

func (e *NoSuchVolumeError) Error() string { return "No such volume: " + e.Name }
func (e *NoSuchVolumeError) Unwrap() error { return ErrNoSuchVolume }

// VolumeInUseError is Docker's refusal to remove a volume a container uses.
type VolumeInUseError struct {
	Name string
	IDs  []string
}

func (e *VolumeInUseError) Error() string {
	return fmt.Sprintf("remove %s: volume is in use - [%s]", e.Name, strings.Join(e.IDs, ", "))
}
func (e *VolumeInUseError) Unwrap() error { return ErrVolumeInUse }

// checkVolumeName refuses what Docker's local driver refuses: anything but
// [a-zA-Z0-9][a-zA-Z0-9_.-]+, so no name is a path or climbs out with "..".
func checkVolumeName(name string) error {
	if containerNameRE().MatchString(name) && !strings.HasPrefix(name, "/") {
		return nil
	}
	return &VolumeNameError{Name: name}
}

// VolumeNameError is Docker's refusal of a volume name.
type VolumeNameError struct{ Name string }

func (e *VolumeNameError) Error() string {
	if len(e.Name) == 1 {
		return fmt.Sprintf("create %s: volume name is too short, names should be at least two alphanumeric characters", e.Name)
	}
	return fmt.Sprintf("create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", e.Name, e.Name)
}
func (e *VolumeNameError) Unwrap() error { return ErrVolumeName }

func (sb *Sandbox) volumesDir() string { return filepath.Join(sb.dir, "volumes") }

// volumeData is the folder a volume's files are in; name must be checked.
func (sb *Sandbox) volumeData(name string) string {
	return filepath.Join(sb.volumesDir(), name, "_data")
}

// CreateVolume makes a named volume (an empty name: an anonymous one, named by a new
// ID); creating one that exists is not an error, as in Docker.
func (sb *Sandbox) CreateVolume(name string, labels, options map[string]string) (*Volume, error) {
	v, _, err := sb.ensureVolume(name, labels, options, false)
	return v, err
}

// ensureVolume is CreateVolume that also says whether the volume is new.
func (sb *Sandbox) ensureVolume(name string, labels, options map[string]string, anonymous bool) (*Volume, bool, error) {
	if name == "" {
		name, anonymous = store.NewID(), true
	}
	if err := checkVolumeName(name); err != nil {
		return nil, false, err
	}
	if v, err := sb.Volume(name); err == nil {
		return v, false, nil
	}
	dir := filepath.Join(sb.volumesDir(), name)
	meta := volumeMeta{CreatedAt: time.Now().UTC().Truncate(time.Second), Labels: labels, Options: options, Anonymous: anonymous}
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, false, err
	}
	err = sb.Store.Write(func(*store.Writer) error {
		if err := os.MkdirAll(filepath.Join(dir, "_data"), 0o755); err != nil {
			return err
		}
		// opts.json last: a volume without it is a half-made one, not listed.
		tmp := filepath.Join(dir, ".opts.json.tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, filepath.Join(dir, "opts.json"))
	})
	if err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", name, err)
	}
	v, err := sb.Volume(name)
	return v, true, err
}

// Volume reads one volume.
func (sb *Sandbox) Volume(name string) (*Volume, error) {
	if checkVolumeName(name) != nil {
		return nil, &NoSuchVolumeError{Name: name}
	}
	b, err := os.ReadFile(filepath.Join(sb.volumesDir(), name, "opts.json"))
	if err != nil {
		return nil, &NoSuchVolumeError{Name: name}
	}
	var m volumeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading volume %s: %w", name, err)
	}
	v := &Volume{
		CreatedAt: m.CreatedAt.Format(time.RFC3339), Driver: "local", Labels: m.Labels,
		Mountpoint: sb.volumeData(name), Name: name, Options: m.Options, Scope: "local",
		Anonymous: m.Anonymous,
	}
	if !m.Anonymous { // Docker shows {} for a created volume, null for an anonymous one
		if v.Labels == nil {
			v.Labels = map[string]string{}
		}
		if v.Options == nil {
			v.Options = map[string]string{}
		}
	}
	return v, nil
}

// Volumes lists every volume, by name.
func (sb *Sandbox) Volumes() ([]*Volume, error) {
	entries, err := os.ReadDir(sb.volumesDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var out []*Volume
	for _, e := range entries {
		if v, err := sb.Volume(e.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// volumeUsers are the IDs of the containers that mount each volume.
func (sb *Sandbox) volumeUsers() map[string][]string {
	users := map[string][]string{}
	for _, c := range sb.containerRecords() {
		for _, m := range c.MountPoints {
			if m.Type == MountVolume {
				users[m.Name] = append(users[m.Name], c.ID)
			}
		}
	}
	return users
}

// RemoveVolume removes a volume no container uses; force removes a missing one
// quietly (`volume rm -f`).
func (sb *Sandbox) RemoveVolume(name string, force bool) error {
	if _, err := sb.Volume(name); err != nil {
		if force {
			return nil
		}
		return err
	}
	if ids := sb.volumeUsers()[name]; len(ids) > 0 {
		return &VolumeInUseError{Name: name, IDs: ids}
	}
	err := sb.Store.Write(func(w *store.Writer) error {
		if err := w.Trash(filepath.Join(sb.volumesDir(), name)); err != nil {
			return fmt.Errorf("removing volume %s: %w", name, err)
		}
		return nil
	})
	if err == nil {
		sb.emptyTrash()
	}
	return err
}

// PruneVolumes removes every volume no container uses, as Docker 20.10 does, and
// returns their names and the bytes freed.
func (sb *Sandbox) PruneVolumes() ([]string, int64, error) {
	vols, err := sb.Volumes()
	if err != nil {
		return nil, 0, err
	}
	users := sb.volumeUsers()
	var names []string
	var freed int64
	for _, v := range vols {
		if len(users[v.Name]) > 0 {
			continue
		}
		size := dirSize(v.Mountpoint)
		if err := sb.RemoveVolume(v.Name, false); err != nil {
			return names, freed, err
		}
		names = append(names, v.Name)
		freed += size
	}
	return names, freed, nil
}

// dirSize is the bytes of the regular files below dir (what prune reports freed).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dockling/dockling/sandbox/archive"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
)

// MountPoint is one of a container's mounts, as Docker's record and inspect's
// "Mounts" show it.
type MountPoint struct {
	Type        string
	Name        string `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
	// Anonymous: the volume was made for this container (rm -v removes it).
	Anonymous bool   `json:",omitempty"`
	TmpfsData string `json:",omitempty"`
	NoExec    bool   `json:",omitempty"`
	// FromTmpfsFlag: --tmpfs, shown in HostConfig.Tmpfs rather than in Mounts.
	FromTmpfsFlag bool `json:",omitempty"`
}

// ErrBindSource: a bind source dockling will not give a container.
var ErrBindSource = errors.New("refused bind source")

// setupMounts checks and resolves opts' mounts and the image's VOLUMEs into c's
// MountPoints, making the volumes they name (an image's files at a new volume's path
// are copied in, as Docker does).
func (sb *Sandbox) setupMounts(c *Container, img *store.Image, opts CreateOptions) error {
	c.HostConfig.ReadonlyRootfs = opts.ReadonlyRootfs
	reqs := append([]MountRequest(nil), opts.Mounts...)
	taken := map[string]bool{}
	for _, m := range reqs {
		dst := path.Clean(m.Destination)
		if taken[dst] {
			return &MountSpecError{"Duplicate mount point: " + dst}
		}
		taken[dst] = true
	}
	var vols []string
	for v := range c.Config.Volumes {
		vols = append(vols, v)
	}
	sort.Strings(vols)
	for _, v := range vols {
		if !taken[path.Clean(v)] && path.IsAbs(v) {
			reqs = append(reqs, MountRequest{Type: MountVolume, Destination: v})
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	c.MountPoints = map[string]*MountPoint{}
	for _, m := range reqs {
		mp, err := sb.resolveMount(c, img, m)
		if err != nil {
			return err
		}
		c.MountPoints[mp.Destination] = mp
	}
	return nil
}

// resolveMount turns one request into a mount point, making what it needs.
func (sb *Sandbox) resolveMount(c *Container, img *store.Image, m MountRequest) (*MountPoint, error) {
	mp := &MountPoint{Type: m.Type, Destination: path.Clean(m.Destination), Mode: m.Mode, RW: !m.ReadOnly}
	switch m.Type {
	case MountBind:
		src, err := sb.bindSource(m.Source, m.CreateSource)
		if err != nil {
			return nil, err
		}
		mp.Source, mp.Propagation = src, "rprivate"
		c.HostConfig.Binds = appendBind(c.HostConfig.Binds, m)
	case MountVolume:
		v, created, err := sb.ensureVolume(m.Source, nil, nil, false)
		if err != nil {
			return nil, err
		}
		mp.Name, mp.Source, mp.Driver, mp.Anonymous = v.Name, v.Mountpoint, "local", v.Anonymous
		if mp.Mode == "" && m.Source != "" {
			mp.Mode = "z" // what Docker shows for a named volume
		}
		if m.Source != "" {
			c.HostConfig.Binds = appendBind(c.HostConfig.Binds, m)
		}
		if (created || emptyDir(v.Mountpoint)) && !m.NoCopy {
			if err := sb.copyImageInto(img, mp.Destination, v.Mountpoint); err != nil {
				return nil, fmt.Errorf("filling volume %s from the image: %w", v.Name, err)
			}
		}
	case MountTmpfs:
		mp.TmpfsData, mp.NoExec, mp.FromTmpfsFlag = m.TmpfsData, m.TmpfsNoExec, m.FromTmpfsFlag
		if m.FromTmpfsFlag {
			if c.HostConfig.Tmpfs == nil {
				c.HostConfig.Tmpfs = map[string]string{}
			}
			c.HostConfig.Tmpfs[mp.Destination] = m.Mode
		}
		mp.Mode = ""
	}
	return mp, nil
}

// appendBind records a -v as Docker keeps it in HostConfig.Binds.
func appendBind(binds []string, m MountRequest) []string {
	if !m.CreateSource && m.Type == MountBind || m.FromMountFlag {
		return binds // --mount: in HostConfig.Mounts, which dockling does not show
	}
	b := m.Source + ":" + m.Destination
	if m.Mode != "" {
		b += ":" + m.Mode
	}
	return append(binds, b)
}

// bindSource checks a bind source the learner typed: it is made absolute and its
// links resolved; a missing one is made when create (-v) and refused otherwise
// (--mount). The kernel's pseudo file systems and the data root itself are refused:
// a container given them could reach past its sandbox.
func (sb *Sandbox) bindSource(src string, create bool) (string, error) {
	src = filepath.Clean(src)
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		if !create {
			return "", &MountSpecError{fmt.Sprintf("invalid mount config for type \"bind\": bind source path does not exist: %s", src)}
		}
		if err := os.MkdirAll(src, 0o755); err != nil {
			return "", fmt.Errorf("error while creating mount source path '%s': %w", src, err)
		}
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return "", fmt.Errorf("invalid mount source %s: %w", src, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("invalid mount source %s: %w", src, err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w %s: only folders and regular files can be bind-mounted here", ErrBindSource, src)
	}
	for _, p := range []string{"/proc", "/sys", "/dev"} {
		if within(real, p) {
			return "", fmt.Errorf("%w %s: %s belongs to the host's kernel and is not given to containers here", ErrBindSource, src, p)
		}
	}
	root, err := filepath.EvalSymlinks(sb.dir)
	if err == nil && (within(real, root) || within(root, real)) {
		return "", fmt.Errorf("%w %s: it holds dockling's data root (%s), which containers must not reach", ErrBindSource, src, sb.dir)
	}
	return real, nil
}

// within says whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// copyImageInto copies the image's files at dst (resolved in the image) into dir.
func (sb *Sandbox) copyImageInto(img *store.Image, dst, dir string) error {
	view, err := sb.ImageFSOf(img)
	if err != nil {
		return err
	}
	lfs := view.(*layerFS)
	rel, err := lfs.Resolve(strings.TrimPrefix(dst, "/"))
	if err != nil {
		return err
	}
	if fi, err := lfs.Stat(rel); err != nil || !fi.IsDir() {
		return nil // nothing there to copy
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeViewTar(pw, lfs, rel)) }()
	_, err = archive.ApplyFlat(dir, pr, archive.ApplyOptions{Rootless: os.Geteuid() != 0})
	pr.CloseWithError(err)
	return err
}

// runtimeMounts are c's mounts for the runtime, parents before children. A volume's
// folder is found from its name, never from a recorded path. A graded (untrusted)
// sandbox's binds are left out: its records name folders of someone else's host.
func (sb *Sandbox) runtimeMounts(c *Container) []runtime.Mount {
	// The runtime opens a source refusing every link in it: the volumes folder's
	// own path goes to it resolved, so that only a link planted below it is refused.
	vols, err := filepath.EvalSymlinks(sb.volumesDir())
	if err != nil {
		vols = sb.volumesDir()
	}
	var out []runtime.Mount
	for _, mp := range c.MountPoints {
		m := runtime.Mount{Type: "bind", Source: mp.Source, Destination: mp.Destination, ReadOnly: !mp.RW}
		switch mp.Type {
		case MountBind:
			if sb.Untrusted {
				continue
			}
		case MountVolume:
			if checkVolumeName(mp.Name) != nil {
				continue
			}
			m.Source = filepath.Join(vols, mp.Name, "_data")
		case MountTmpfs:
			m = runtime.Mount{Type: "tmpfs", Destination: mp.Destination, ReadOnly: !mp.RW, Data: mp.TmpfsData, NoExec: mp.NoExec}
		default:
			continue
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := strings.Count(out[i].Destination, "/"), strings.Count(out[j].Destination, "/")
		if di != dj {
			return di < dj
		}
		return out[i].Destination < out[j].Destination
	})
	return out
}

// RemoveVolumesOf removes the anonymous volumes of the removed container c
// (`rm -v`, `run --rm`); named ones stay, as in Docker.
func (sb *Sandbox) RemoveVolumesOf(c *Container) error {
	var errs []error
	for _, mp := range c.MountPoints {
		if mp.Type == MountVolume && mp.Anonymous {
			if err := sb.RemoveVolume(mp.Name, true); err != nil && !errors.Is(err, ErrVolumeInUse) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Mounts are c's mounts as `inspect` shows them ("Mounts"): --tmpfs ones are not
// among them, as in Docker.
func (c *Container) Mounts() []MountPoint {
	out := []MountPoint{}
	for _, mp := range c.MountPoints {
		if !mp.FromTmpfsFlag {
			m := *mp
			// dockling's own fields stay in the record.
			m.Anonymous, m.TmpfsData, m.NoExec = false, "", false
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}

package dockerapi

import (
	"path/filepath"
	"strings"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
)

// ContainerJSON is Docker's container inspect document: every field Docker 20.10
// prints, in its order, zero where dockling has nothing to say, so a template such as
// {{.NetworkSettings.IPAddress}} prints what Docker's prints ("" rather than <no value>).
type ContainerJSON struct {
	ID              string `json:"Id"`
	Created         string
	Path            string
	Args            []string
	State           State
	Image           string
	ResolvConfPath  string
	HostnamePath    string
	HostsPath       string
	LogPath         string
	Name            string
	RestartCount    int
	Driver          string
	Platform        string
	MountLabel      string
	ProcessLabel    string
	AppArmorProfile string
	ExecIDs         []string
	HostConfig      HostConfig
	GraphDriver     GraphDriver
	Mounts          []MountPoint
	Config          Config
	NetworkSettings NetworkSettings
}

// State is Docker's State block.
type State struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  string
	FinishedAt string
}

// MountPoint is one entry of a container's Mounts, as Docker shows it.
type MountPoint struct {
	Type        string `json:",omitempty"`
	Name        string `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
}

// InspectContainer is the container name names, in Docker's shape.
func InspectContainer(sb *sandbox.Sandbox, name string) (ContainerJSON, error) {
	c, err := sb.Container(name)
	if err != nil {
		return ContainerJSON{}, err
	}
	dir := filepath.Dir(c.LogPath)
	out := ContainerJSON{
		ID: c.ID, Created: Time(c.Created), Path: c.Path, Args: c.Args,
		State: State{
			Status: c.State.Status, Running: c.State.Running, Paused: c.State.Paused,
			Restarting: c.State.Restarting, OOMKilled: c.State.OOMKilled, Dead: c.State.Dead,
			Pid: c.State.Pid, ExitCode: c.State.ExitCode, Error: c.State.Error,
			StartedAt: Time(c.State.StartedAt), FinishedAt: Time(c.State.FinishedAt),
		},
		Image:          "sha256:" + strings.TrimPrefix(c.Image, "sha256:"),
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname"),
		HostsPath:      filepath.Join(dir, "hosts"),
		LogPath:        c.LogPath, Name: c.Name, Driver: c.Driver, Platform: "linux", RestartCount: c.RestartCount,
		HostConfig:      hostConfigOf(c),
		Mounts:          mountsOf(c),
		Config:          ConfigOf(c.Config),
		NetworkSettings: networkSettingsOf(c),
	}
	if out.Args == nil {
		out.Args = []string{}
	}
	out.GraphDriver.Name = c.Driver
	if rw, err := sb.Store.RWLayer(c.ID); err == nil {
		out.GraphDriver.Name = rw.Driver
		// Docker's vfs driver reports no data.
		if rw.Driver == store.DriverOverlay {
			out.GraphDriver.Data = map[string]string{"UpperDir": rw.Upper, "WorkDir": rw.Work, "MergedDir": rw.Merged}
			if len(rw.Lower) > 0 {
				out.GraphDriver.Data["LowerDir"] = strings.Join(rw.Lower, ":")
			}
		}
	}
	return out, nil
}

// maskedPaths are the paths the runtime hides and makes read-only, as HostConfig
// lists them.
func maskedPaths() (masked, readonly []string) { return runtime.MaskedPaths() }

// mountsOf is c's Mounts: its volumes, binds and --mount tmpfs, by destination.
func mountsOf(c *sandbox.Container) []MountPoint {
	out := []MountPoint{}
	for _, m := range c.Mounts() {
		out = append(out, MountPoint{
			Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination,
			Driver: m.Driver, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation,
		})
	}
	return out
}

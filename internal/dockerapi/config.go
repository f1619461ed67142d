package dockerapi

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Config is an image's container config as `docker inspect` shows it: Docker's
// fields in Docker's order, the ones Docker always prints present even when empty
// (so {{.Config.WorkingDir}} is "" and not <no value>), the others omitted when
// empty, as Docker's API types do.
type Config struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    map[string]struct{} `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             []string
	Healthcheck     *Healthcheck `json:",omitempty"`
	ArgsEscaped     bool         `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      []string
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	Shell           []string `json:",omitempty"`
}

// Healthcheck is Docker's HEALTHCHECK config, in its field order.
type Healthcheck struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

// ConfigOf is c in Docker's shape.
func ConfigOf(c v1.Config) Config {
	d := Config{
		Hostname: c.Hostname, Domainname: c.Domainname, User: c.User,
		AttachStdin: c.AttachStdin, AttachStdout: c.AttachStdout, AttachStderr: c.AttachStderr,
		ExposedPorts: c.ExposedPorts, Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.StdinOnce,
		Env: c.Env, Cmd: c.Cmd, ArgsEscaped: c.ArgsEscaped, Image: c.Image, Volumes: c.Volumes,
		WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, NetworkDisabled: c.NetworkDisabled,
		MacAddress: c.MacAddress, OnBuild: c.OnBuild, Labels: c.Labels, StopSignal: c.StopSignal,
		Shell: c.Shell,
	}
	if h := c.Healthcheck; h != nil {
		d.Healthcheck = &Healthcheck{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	return d
}

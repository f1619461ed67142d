package dockerfile

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/docker/go-connections/nat"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/sys/signal"
)

// ErrNotConfig: the instruction does more than change an image's config (RUN,
// COPY, ADD, ...) or changes what the config does not hold (ARG, MAINTAINER);
// a build carries those out itself.
var ErrNotConfig = errors.New("not an instruction on the image config")

// Dispatcher applies the instructions that only change an image's config, with
// the rules of Docker's builder: variables expand from the config's environment
// (then Args), shell forms run through the config's shell (default /bin/sh -c),
// ENTRYPOINT clears CMD unless a CMD with arguments came before it, and a
// relative WORKDIR joins the previous one. A Dispatcher serves one goroutine.
type Dispatcher struct {
	// Config is the config the instructions change.
	Config *v1.Config
	// Args are more variables to expand ("NAME=value"), such as build arguments;
	// the config's environment wins over them, as in Docker's builder.
	Args []string

	exp    *Expander
	cmdSet bool
}

// NewDispatcher changes cfg, expanding with escape as the escape character.
func NewDispatcher(cfg *v1.Config, escape rune) *Dispatcher {
	return &Dispatcher{Config: cfg, exp: NewExpander(escape)}
}

// Apply expands cmd's variables and applies it to the config. An instruction
// that is not about the config is refused with ErrNotConfig and changes nothing.
func (d *Dispatcher) Apply(cmd instructions.Command) error {
	env := d.env()
	if !appliesToConfig(cmd) {
		return fmt.Errorf("%s: %w", cmd.Name(), ErrNotConfig)
	}
	if err := d.exp.Command(cmd, env); err != nil {
		return err
	}
	cfg := d.Config
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		applyEnv(cfg, c)
	case *instructions.LabelCommand:
		applyLabels(cfg, c)
	case *instructions.CmdCommand:
		cfg.Cmd, cfg.ArgsEscaped = d.withShell(c.ShellDependantCmdLine), false
		if len(c.CmdLine) != 0 {
			d.cmdSet = true
		}
	case *instructions.EntrypointCommand:
		cfg.Entrypoint, cfg.ArgsEscaped = d.withShell(c.ShellDependantCmdLine), false
		if !d.cmdSet {
			cfg.Cmd = nil
		}
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = healthConfig(c)
	case *instructions.ExposeCommand:
		return d.expose(c, env)
	case *instructions.UserCommand:
		cfg.User = c.User
	case *instructions.VolumeCommand:
		return applyVolumes(cfg, c)
	case *instructions.WorkdirCommand:
		return applyWorkdir(cfg, c.Path)
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
	case *instructions.StopSignalCommand:
		if _, err := signal.ParseSignal(c.Signal); err != nil {
			return err
		}
		cfg.StopSignal = c.Signal
	case *instructions.ShellCommand:
		cfg.Shell = slices.Clone(c.Shell)
	}
	return nil
}

// Env is what variables expand from: the config's environment, then those Args
// it does not set (a build expands COPY and ADD with it too).
func (d *Dispatcher) Env() []string { return d.env() }

func (d *Dispatcher) env() []string {
	env := slices.Clone(d.Config.Env)
	for _, a := range d.Args {
		k, _, _ := strings.Cut(a, "=")
		if !slices.ContainsFunc(d.Config.Env, func(e string) bool { return envKey(e) == k }) {
			env = append(env, a)
		}
	}
	return env
}

func envKey(e string) string {
	k, _, _ := strings.Cut(e, "=")
	return k
}

func appliesToConfig(cmd instructions.Command) bool {
	switch cmd.(type) {
	case *instructions.EnvCommand, *instructions.LabelCommand, *instructions.CmdCommand,
		*instructions.EntrypointCommand, *instructions.HealthCheckCommand, *instructions.ExposeCommand,
		*instructions.UserCommand, *instructions.VolumeCommand, *instructions.WorkdirCommand,
		*instructions.OnbuildCommand, *instructions.StopSignalCommand, *instructions.ShellCommand:
		return true
	}
	return false
}

func applyEnv(cfg *v1.Config, c *instructions.EnvCommand) {
	for _, kv := range c.Env {
		i := slices.IndexFunc(cfg.Env, func(e string) bool { return shell.EqualEnvKeys(envKey(e), kv.Key) })
		if i >= 0 {
			cfg.Env[i] = kv.String()
		} else {
			cfg.Env = append(cfg.Env, kv.String())
		}
	}
}

func applyLabels(cfg *v1.Config, c *instructions.LabelCommand) {
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for _, kv := range c.Labels {
		cfg.Labels[kv.Key] = kv.Value
	}
}

// withShell puts the config's shell before a shell-form command.
func (d *Dispatcher) withShell(cl instructions.ShellDependantCmdLine) []string {
	if !cl.PrependShell || cl.CmdLine == nil {
		return slices.Clone(cl.CmdLine)
	}
	sh := []string{"/bin/sh", "-c"}
	if len(d.Config.Shell) > 0 {
		sh = slices.Clone(d.Config.Shell)
	}
	return append(sh, cl.CmdLine...)
}

// healthConfig is BuildKit's health check in the image config's terms (which has
// no start interval).
func healthConfig(c *instructions.HealthCheckCommand) *v1.HealthConfig {
	h := c.Health
	return &v1.HealthConfig{
		Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, Retries: h.Retries,
	}
}

// expose is the only instruction whose variables expand to several words
// (EXPOSE $PORTS with PORTS="80 443").
func (d *Dispatcher) expose(c *instructions.ExposeCommand, env []string) error {
	var specs []string
	for _, p := range c.Ports {
		words, err := d.exp.Words(p, env)
		if err != nil {
			return err
		}
		specs = append(specs, words...)
	}
	ports, _, err := nat.ParsePortSpecs(specs)
	if err != nil {
		return err
	}
	if d.Config.ExposedPorts == nil {
		d.Config.ExposedPorts = map[string]struct{}{}
	}
	for p := range ports {
		d.Config.ExposedPorts[string(p)] = struct{}{}
	}
	return nil
}

func applyVolumes(cfg *v1.Config, c *instructions.VolumeCommand) error {
	if cfg.Volumes == nil {
		cfg.Volumes = map[string]struct{}{}
	}
	for _, v := range c.Volumes {
		if v == "" {
			return errors.New("VOLUME specified can not be an empty string")
		}
	}
	for _, v := range c.Volumes {
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}

// applyWorkdir joins a relative WORKDIR to the previous one (or /).
func applyWorkdir(cfg *v1.Config, p string) error {
	if p == "" {
		return errors.New("cannot normalize nothing")
	}
	if !path.IsAbs(p) {
		p = path.Join("/", cfg.WorkingDir, p)
	}
	cfg.WorkingDir = path.Clean(p)
	return nil
}

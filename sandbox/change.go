package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dockling/dockling/sandbox/dockerfile"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// ErrBadChange: a --change instruction is not one Docker accepts.
var ErrBadChange = errors.New("invalid change")

// ChangeError is a refused --change, worded as Docker's daemon words it.
type ChangeError struct{ Msg string }

func (e *ChangeError) Error() string { return e.Msg }
func (e *ChangeError) Unwrap() error { return ErrBadChange }

// badChange is err as Docker's daemon reports it: the message alone, without the
// line a parse error is on.
func badChange(err error) error {
	var perr *dockerfile.Error
	if errors.As(err, &perr) {
		err = perr.Err
	}
	return &ChangeError{Msg: err.Error()}
}

// validChanges are the instructions `commit --change` and `import --change` take,
// as Docker's daemon lists them (lower case; the keyword may be written in any case).
var validChanges = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true, "label": true,
	"onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

// ApplyChanges applies Dockerfile instructions (`--change` of commit and import) to
// cfg as Docker's daemon does: the changes are joined into one Dockerfile and read
// by BuildKit's parser, every instruction is checked before any applies, and each
// then applies with the builder's rules (see dockerfile.Dispatcher). Errors are
// worded as the daemon's, without a line number. On error cfg is unchanged.
func ApplyChanges(cfg *v1.Config, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	f, err := dockerfile.ParseString(strings.Join(changes, "\n"))
	if err != nil {
		return badChange(err)
	}
	cmds := make([]instructions.Command, 0, len(f.Instructions))
	for _, in := range f.Instructions {
		if !validChanges[strings.ToLower(in.Keyword)] {
			return changef("%s is not a valid change command", in.Keyword)
		}
		cmd, err := in.Command()
		if err != nil {
			return badChange(err)
		}
		cmds = append(cmds, cmd)
	}
	out := copyConfig(*cfg)
	d := dockerfile.NewDispatcher(&out, f.Escape)
	for _, cmd := range cmds {
		if err := d.Apply(cmd); err != nil {
			return badChange(err)
		}
	}
	*cfg = out
	return nil
}

// CommitChanges is the config of an image committed from a container whose config
// is ctr: the changes applied, then what they left empty filled from ctr as Docker's
// daemon does (so `CMD []` keeps the container's command and `ENTRYPOINT []` its
// entrypoint).
func CommitChanges(ctr v1.Config, changes []string) (v1.Config, error) {
	out := copyConfig(ctr)
	if err := ApplyChanges(&out, changes); err != nil {
		return v1.Config{}, err
	}
	mergeCommitConfig(&out, copyConfig(ctr))
	return out, nil
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if name, _, _ := strings.Cut(e, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// mergeCommitConfig fills what the changes left empty from the container's config,
// as Docker's daemon does after applying them.
func mergeCommitConfig(user *v1.Config, ctr v1.Config) {
	if user.User == "" {
		user.User = ctr.User
	}
	if len(user.ExposedPorts) == 0 {
		user.ExposedPorts = ctr.ExposedPorts
	} else {
		maps.Copy(user.ExposedPorts, ctr.ExposedPorts)
	}
	if len(user.Env) == 0 {
		user.Env = ctr.Env
	} else {
		for _, e := range ctr.Env {
			k, _, _ := strings.Cut(e, "=")
			if !slices.ContainsFunc(user.Env, func(u string) bool { n, _, _ := strings.Cut(u, "="); return n == k }) {
				user.Env = append(user.Env, e)
			}
		}
	}
	if user.Labels == nil {
		user.Labels = map[string]string{}
	}
	for k, v := range ctr.Labels {
		if _, ok := user.Labels[k]; !ok {
			user.Labels[k] = v
		}
	}
	if len(user.Entrypoint) == 0 {
		if len(user.Cmd) == 0 {
			user.Cmd = ctr.Cmd
		}
		if user.Entrypoint == nil {
			user.Entrypoint = ctr.Entrypoint
		}
	}
	if h := ctr.Healthcheck; h != nil {
		if user.Healthcheck == nil {
			user.Healthcheck = h
		} else {
			u := user.Healthcheck
			if len(u.Test) == 0 {
				u.Test = h.Test
			}
			if u.Interval == 0 {
				u.Interval = h.Interval
			}
			if u.Timeout == 0 {
				u.Timeout = h.Timeout
			}
			if u.StartPeriod == 0 {
				u.StartPeriod = h.StartPeriod
			}
			if u.Retries == 0 {
				u.Retries = h.Retries
			}
		}
	}
	if user.WorkingDir == "" {
		user.WorkingDir = ctr.WorkingDir
	}
	if len(user.Volumes) == 0 {
		user.Volumes = ctr.Volumes
	} else {
		maps.Copy(user.Volumes, ctr.Volumes)
	}
	if user.StopSignal == "" {
		user.StopSignal = ctr.StopSignal
	}
}

// copyConfig copies c deeply enough that changing the copy leaves c alone.
func copyConfig(c v1.Config) v1.Config {
	c.Cmd = slices.Clone(c.Cmd)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Env = slices.Clone(c.Env)
	c.OnBuild = slices.Clone(c.OnBuild)
	c.Shell = slices.Clone(c.Shell)
	c.Labels = maps.Clone(c.Labels)
	c.Volumes = maps.Clone(c.Volumes)
	c.ExposedPorts = maps.Clone(c.ExposedPorts)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		c.Healthcheck = &h
	}
	return c
}

// changef is a refusal in Docker's own words, some of which begin with a capital.
func changef(format string, a ...any) error { return &ChangeError{Msg: fmt.Sprintf(format, a...)} }

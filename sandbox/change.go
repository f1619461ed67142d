package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrBadChange: a --change instruction is not one Docker accepts.
var ErrBadChange = errors.New("invalid change")

// ChangeError is a refused --change, worded as Docker's daemon words it.
type ChangeError struct{ Msg string }

func (e *ChangeError) Error() string { return e.Msg }
func (e *ChangeError) Unwrap() error { return ErrBadChange }

func badChange(err error) error { return &ChangeError{Msg: err.Error()} }

// validChanges are the instructions `commit --change` and `import --change` take
// (Docker 23 and later also take STOPSIGNAL; 20.10 refused it).
var validChanges = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true, "label": true,
	"onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

// ApplyChanges applies Dockerfile instructions (`--change` of commit and import) to
// cfg with the rules of Docker's builder: the changes are read as one Dockerfile,
// all are checked before any applies, variables expand from cfg's environment, shell
// forms run through the config's shell (/bin/sh -c), and ENTRYPOINT clears CMD
// unless a CMD with arguments came before it. On error cfg is unchanged.
func ApplyChanges(cfg *v1.Config, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	nodes, esc, err := parseChanges(changes)
	if err != nil {
		return badChange(err)
	}
	for _, n := range nodes {
		if !validChanges[n.name] {
			return badChange(fmt.Errorf("%s is not a valid change command", n.name))
		}
	}
	insts := make([]*instruction, 0, len(nodes))
	for _, n := range nodes {
		in, err := parseInstruction(n)
		if err != nil {
			return badChange(err)
		}
		insts = append(insts, in)
	}
	out := copyConfig(*cfg)
	cmdSet := false
	for _, in := range insts {
		if err := in.apply(&out, &cmdSet, esc); err != nil {
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

// instruction is a parsed, not yet expanded, change.
type instruction struct {
	name   string
	kvs    [][2]string // ENV, LABEL
	cmd    []string    // CMD, ENTRYPOINT; nil is "none" (ENTRYPOINT)
	shell  bool        // cmd is shell form
	words  []string    // EXPOSE ports, VOLUME paths
	word   string      // USER, WORKDIR, STOPSIGNAL, ONBUILD's expression
	health *v1.HealthConfig
}

var onbuildPrefix = regexp.MustCompile(`(?i)^\s*ONBUILD\s*`)

// parseInstruction checks an instruction's arguments and flags.
func parseInstruction(n changeNode) (*instruction, error) {
	in := &instruction{name: n.name}
	upper := strings.ToUpper(n.name)
	switch n.name {
	case "env", "label":
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		switch {
		case len(n.args) == 0:
			return nil, fmt.Errorf("%s requires at least one argument", upper)
		case len(n.args)%2 != 0:
			return nil, changef("Bad input to %s, too many arguments", upper)
		}
		for i := 0; i < len(n.args); i += 2 {
			if n.args[i] == "" {
				return nil, fmt.Errorf("%s names can not be blank", upper)
			}
			in.kvs = append(in.kvs, [2]string{n.args[i], n.args[i+1]})
		}
	case "cmd", "entrypoint":
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		in.cmd, in.shell = commandLine(n), !n.json
		if n.name == "entrypoint" && len(in.cmd) == 0 {
			in.cmd = nil
		}
	case "onbuild":
		if len(n.args) == 0 {
			return nil, fmt.Errorf("ONBUILD requires at least one argument")
		}
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		switch trigger := strings.ToUpper(strings.TrimSpace(n.args[0])); trigger {
		case "ONBUILD":
			return nil, changef("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
		case "MAINTAINER", "FROM":
			return nil, fmt.Errorf("%s isn't allowed as an ONBUILD trigger", trigger)
		}
		in.word = onbuildPrefix.ReplaceAllString(n.original, "")
	case "workdir", "user":
		if len(n.args) != 1 {
			return nil, fmt.Errorf("%s requires exactly one argument", upper)
		}
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		in.word = n.args[0]
	case "stopsignal":
		if len(n.args) != 1 {
			return nil, errors.New("STOPSIGNAL requires exactly one argument")
		}
		in.word = n.args[0]
	case "expose":
		if len(n.args) == 0 {
			return nil, errors.New("EXPOSE requires at least one argument")
		}
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		in.words = slices.Clone(n.args)
		sort.Strings(in.words)
	case "volume":
		if len(n.args) == 0 {
			return nil, errors.New("VOLUME requires at least one argument")
		}
		if err := parseFlags(n.flags, nil); err != nil {
			return nil, err
		}
		for _, v := range n.args {
			if v = strings.TrimSpace(v); v == "" {
				return nil, errors.New("VOLUME specified can not be an empty string")
			}
			in.words = append(in.words, v)
		}
	case "healthcheck":
		h, err := parseHealthcheck(n)
		if err != nil {
			return nil, err
		}
		in.health = h
	}
	return in, nil
}

// commandLine is the arguments of CMD and friends: the exec form as given, the shell
// form as one string (to go after the shell), none as an empty list.
func commandLine(n changeNode) []string {
	switch {
	case len(n.args) == 0:
		return []string{}
	case n.json:
		return slices.Clone(n.args)
	}
	return []string{strings.Join(n.args, " ")}
}

func parseHealthcheck(n changeNode) (*v1.HealthConfig, error) {
	if len(n.args) == 0 {
		return nil, errors.New("HEALTHCHECK requires at least one argument")
	}
	typ, args := strings.ToUpper(n.args[0]), n.args[1:]
	if typ == "NONE" {
		if len(args) != 0 {
			return nil, errors.New("HEALTHCHECK NONE takes no arguments")
		}
		return &v1.HealthConfig{Test: []string{"NONE"}}, nil
	}
	fl := map[string]*string{"interval": new(string), "timeout": new(string), "start-period": new(string), "retries": new(string)}
	if err := parseFlags(n.flags, fl); err != nil {
		return nil, err
	}
	if typ != "CMD" {
		return nil, changef("Unknown type %#v in HEALTHCHECK (try CMD)", typ)
	}
	cmd := commandLine(changeNode{args: args, json: n.json})
	if len(cmd) == 0 {
		return nil, changef("Missing command after HEALTHCHECK CMD")
	}
	if !n.json {
		typ = "CMD-SHELL"
	}
	h := &v1.HealthConfig{Test: append([]string{typ}, cmd...)}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"interval", &h.Interval}, {"timeout", &h.Timeout}, {"start-period", &h.StartPeriod}} {
		if v := *fl[d.name]; v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil {
				return nil, err
			}
			if dur < time.Millisecond {
				return nil, changef("Interval %#v cannot be less than %s", d.name, time.Millisecond)
			}
			*d.to = dur
		}
	}
	if v := *fl["retries"]; v != "" {
		r, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, err
		}
		if r < 1 {
			return nil, fmt.Errorf("--retries must be at least 1 (not %d)", r)
		}
		h.Retries = int(r)
	}
	return h, nil
}

// parseFlags reads --name=value flags into known; any other flag is refused.
func parseFlags(flags []string, known map[string]*string) error {
	used := map[string]bool{}
	for _, f := range flags {
		if !strings.HasPrefix(f, "--") {
			return changef("Arg should start with -- : %s", f)
		}
		if f == "--" {
			return nil
		}
		name, value, hasValue := strings.Cut(f[2:], "=")
		to, ok := known[name]
		if !ok {
			return changef("Unknown flag: %s", name)
		}
		if used[name] {
			return changef("Duplicate flag specified: %s", name)
		}
		used[name] = true
		if !hasValue {
			return changef("Missing a value on flag: %s", name)
		}
		*to = value
	}
	return nil
}

// apply is Docker's dispatch of one instruction on the config.
func (in *instruction) apply(cfg *v1.Config, cmdSet *bool, esc rune) error {
	env := cfg.Env
	expand := func(s string) (string, error) { return expandWord(s, env, esc) }
	switch in.name {
	case "env", "label":
		// Every pair expands from the environment as it was before the instruction.
		kvs := make([][2]string, 0, len(in.kvs))
		for _, kv := range in.kvs {
			k, err := expand(kv[0])
			if err != nil {
				return err
			}
			v, err := expand(kv[1])
			if err != nil {
				return err
			}
			kvs = append(kvs, [2]string{k, v})
		}
		if in.name == "label" && cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range kvs {
			if in.name == "env" {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
			} else {
				cfg.Labels[kv[0]] = kv[1]
			}
		}
	case "cmd":
		cfg.Cmd, cfg.ArgsEscaped = withShell(cfg, in.cmd, in.shell), false
		if len(in.cmd) != 0 {
			*cmdSet = true
		}
	case "entrypoint":
		cfg.Entrypoint, cfg.ArgsEscaped = withShell(cfg, in.cmd, in.shell), false
		if !*cmdSet {
			cfg.Cmd = nil
		}
	case "healthcheck":
		cfg.Healthcheck = in.health
	case "expose":
		var specs []string
		for _, p := range in.words {
			ws, err := expandWords(p, env, esc)
			if err != nil {
				return err
			}
			specs = append(specs, ws...)
		}
		ports, err := exposedPorts(specs)
		if err != nil {
			return err
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	case "user":
		u, err := expand(in.word)
		if err != nil {
			return err
		}
		cfg.User = u
	case "volume":
		var vols []string
		for _, v := range in.words {
			v, err := expand(v)
			if err != nil {
				return err
			}
			if v == "" {
				return errors.New("VOLUME specified can not be an empty string")
			}
			vols = append(vols, v)
		}
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range vols {
			cfg.Volumes[v] = struct{}{}
		}
	case "workdir":
		p, err := expand(in.word)
		if err != nil {
			return err
		}
		if p == "" {
			return errors.New("cannot normalize nothing")
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join("/", cfg.WorkingDir, p)
		}
		cfg.WorkingDir = p
	case "onbuild":
		cfg.OnBuild = append(cfg.OnBuild, in.word)
	case "stopsignal":
		s, err := expand(in.word)
		if err != nil {
			return err
		}
		if err := validStopSignal(s); err != nil {
			return err
		}
		cfg.StopSignal = s
	}
	return nil
}

// withShell puts the config's shell (default /bin/sh -c) before a shell-form command.
func withShell(cfg *v1.Config, cmd []string, shell bool) []string {
	if !shell || cmd == nil {
		return cmd
	}
	sh := []string{"/bin/sh", "-c"}
	if len(cfg.Shell) > 0 {
		sh = slices.Clone(cfg.Shell)
	}
	return append(sh, cmd...)
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

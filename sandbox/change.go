package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrBadChange: a --change instruction is not one Docker accepts.
var ErrBadChange = errors.New("invalid change")

// ApplyChanges applies Dockerfile-like instructions (`--change` of commit and import)
// to cfg with Docker's rules: shell forms run through /bin/sh -c, and ENTRYPOINT
// clears an inherited CMD unless CMD is changed too.
func ApplyChanges(cfg *v1.Config, changes []string) error {
	cmdSet, entrypointSet := false, false
	for _, c := range changes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		word, rest, _ := strings.Cut(c, " ")
		if i := strings.IndexAny(word, "\t"); i >= 0 {
			word, rest = word[:i], word[i+1:]+" "+rest
		}
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "CMD":
			args, err := execOrShell(rest)
			if err != nil {
				return fmt.Errorf("%w: CMD: %w", ErrBadChange, err)
			}
			cfg.Cmd, cmdSet = args, true
		case "ENTRYPOINT":
			args, err := execOrShell(rest)
			if err != nil {
				return fmt.Errorf("%w: ENTRYPOINT: %w", ErrBadChange, err)
			}
			cfg.Entrypoint, entrypointSet = args, true
		case "ENV":
			kvs, err := keyValues(rest, true)
			if err != nil {
				return fmt.Errorf("%w: ENV: %w", ErrBadChange, err)
			}
			for _, kv := range kvs {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
			}
		case "LABEL":
			kvs, err := keyValues(rest, false)
			if err != nil {
				return fmt.Errorf("%w: LABEL: %w", ErrBadChange, err)
			}
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range kvs {
				cfg.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			if rest == "" {
				return fmt.Errorf("%w: EXPOSE requires at least one argument", ErrBadChange)
			}
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				cfg.ExposedPorts[p] = struct{}{}
			}
		case "USER":
			if rest == "" {
				return fmt.Errorf("%w: USER requires exactly one argument", ErrBadChange)
			}
			cfg.User = rest
		case "WORKDIR":
			if rest == "" {
				return fmt.Errorf("%w: WORKDIR requires exactly one argument", ErrBadChange)
			}
			if !strings.HasPrefix(rest, "/") && cfg.WorkingDir != "" {
				rest = strings.TrimSuffix(cfg.WorkingDir, "/") + "/" + rest
			}
			cfg.WorkingDir = rest
		case "VOLUME":
			vols, err := listOrWords(rest)
			if err != nil || len(vols) == 0 {
				return fmt.Errorf("%w: VOLUME requires at least one argument", ErrBadChange)
			}
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range vols {
				cfg.Volumes[v] = struct{}{}
			}
		case "ONBUILD":
			if rest == "" {
				return fmt.Errorf("%w: ONBUILD requires at least one argument", ErrBadChange)
			}
			cfg.OnBuild = append(cfg.OnBuild, rest)
		case "STOPSIGNAL":
			if rest == "" {
				return fmt.Errorf("%w: STOPSIGNAL requires exactly one argument", ErrBadChange)
			}
			cfg.StopSignal = rest
		default:
			return fmt.Errorf("%w: %s is not a valid change command", ErrBadChange, word)
		}
	}
	if entrypointSet && !cmdSet {
		cfg.Cmd = nil
	}
	return nil
}

// execOrShell reads `["a","b"]` (exec form) or `a b` (shell form).
func execOrShell(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		var args []string
		if err := json.Unmarshal([]byte(s), &args); err == nil {
			return args, nil
		}
	}
	if s == "" {
		return nil, errors.New("requires at least one argument")
	}
	return []string{"/bin/sh", "-c", s}, nil
}

func listOrWords(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		var out []string
		err := json.Unmarshal([]byte(s), &out)
		return out, err
	}
	return strings.Fields(s), nil
}

// keyValues reads `k=v k2="v 2"` or, for ENV, the legacy `k v` form.
func keyValues(s string, legacy bool) ([][2]string, error) {
	if s == "" {
		return nil, errors.New("requires at least one argument")
	}
	if legacy && !strings.Contains(strings.Fields(s)[0], "=") {
		k, v, _ := strings.Cut(s, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, w := range splitWords(s) {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q must be KEY=VALUE", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// splitWords splits on blanks, keeping quoted runs together and dropping the quotes.
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote, inWord = r, true
		case quote == 0 && (r == ' ' || r == '\t'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
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

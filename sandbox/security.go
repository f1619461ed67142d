package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/seccomp"
)

// ErrBadSecurityOpt: a --security-opt that dockling does not know or cannot apply.
var ErrBadSecurityOpt = errors.New("invalid --security-opt")

// Docker's names for its built-in seccomp choices.
const (
	seccompUnconfined = "unconfined"
	seccompBuiltin    = "builtin"
)

// ReadSecurityOpts turns --security-opt values into what the container records, as
// Docker's CLI does: a seccomp profile file is replaced by its compacted JSON, so the
// container keeps the profile it was made with (and inspect shows it).
func ReadSecurityOpts(opts []string) ([]string, error) {
	out := make([]string, 0, len(opts))
	for _, opt := range opts {
		k, v, _ := cutSecurityOpt(opt)
		if k == "seccomp" && v != "" && v != seccompUnconfined && v != seccompBuiltin {
			b, err := os.ReadFile(v)
			if err != nil {
				return nil, fmt.Errorf("%w: opening seccomp profile (%s) failed: %v", ErrBadSecurityOpt, v, err)
			}
			var c bytes.Buffer
			if err := json.Compact(&c, b); err != nil {
				return nil, fmt.Errorf("%w: compacting json for seccomp profile (%s) failed: %v", ErrBadSecurityOpt, v, err)
			}
			opt = "seccomp=" + c.String()
		}
		out = append(out, opt)
	}
	if err := CheckSecurityOpts(out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckSecurityOpts refuses recorded --security-opt values that securityOf would
// refuse. Docker's default profile is left to compile where the container starts
// (PrepareStart begins it early), since it compiles whatever the options.
func CheckSecurityOpts(opts []string) error {
	s, profile, err := parseSecurityOpts(opts)
	if err != nil || s.SeccompUnconfined || profile == "" {
		return err
	}
	_, err = seccomp.Compile(profile, runtime.DefaultCapabilities())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSecurityOpt, err)
	}
	return nil
}

// cutSecurityOpt splits "key=value" (or Docker's older "key:value").
func cutSecurityOpt(opt string) (k, v string, ok bool) {
	if k, v, ok = strings.Cut(opt, "="); ok {
		return k, v, ok
	}
	return strings.Cut(opt, ":")
}

// parseSecurityOpts reads recorded --security-opt values: the runtime settings but the
// filter, and the seccomp profile to compile ("": Docker's default).
func parseSecurityOpts(opts []string) (s runtime.Security, profile string, err error) {
	for _, opt := range opts {
		if opt == "no-new-privileges" {
			s.NewPrivs = false
			continue
		}
		k, v, ok := cutSecurityOpt(opt)
		if !ok || v == "" {
			return s, "", fmt.Errorf("%w: %q: dockling takes seccomp=unconfined|builtin|PROFILE.json and no-new-privileges[=true|false]", ErrBadSecurityOpt, opt)
		}
		switch k {
		case "seccomp":
			s.SeccompUnconfined, profile = v == seccompUnconfined, ""
			if v != seccompUnconfined && v != seccompBuiltin {
				profile = v
			}
		case "no-new-privileges":
			nnp, perr := strconv.ParseBool(v)
			if perr != nil {
				return s, "", fmt.Errorf("%w: %q: no-new-privileges takes true or false", ErrBadSecurityOpt, opt)
			}
			s.NewPrivs = !nnp
		default:
			return s, "", fmt.Errorf("%w: %q: dockling takes seccomp=unconfined|builtin|PROFILE.json and no-new-privileges[=true|false]", ErrBadSecurityOpt, opt)
		}
	}
	return s, profile, nil
}

// securityOf is what recorded --security-opt values mean to the runtime, the seccomp
// profile compiled; it refuses what Docker's daemon refuses, and what dockling has not
// (AppArmor, SELinux labels).
func securityOf(opts []string) (runtime.Security, error) {
	s, profile, err := parseSecurityOpts(opts)
	if err != nil {
		return s, err
	}
	if s.SeccompUnconfined {
		return s, nil
	}
	f, err := seccomp.Compile(profile, runtime.DefaultCapabilities())
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadSecurityOpt, err)
	}
	// A profile with no rules and no default action turns seccomp off, as in moby.
	s.Seccomp, s.SeccompUnconfined = f, f == nil
	return s, nil
}

// ErrPrivileged refuses --privileged. Docker's gives the container every capability,
// every device and no seccomp, AppArmor or masked paths: root in it is root on the
// machine. dockling runs learners' commands, and a lesson's, in a sandbox meant to
// hold them, so it does not offer a way out of it.
var ErrPrivileged = errors.New("--privileged is not supported: it would give the container every capability and device of the machine, and dockling's sandbox is meant to confine what runs in it (--security-opt seccomp=PROFILE.json loosens the seccomp filter alone)")

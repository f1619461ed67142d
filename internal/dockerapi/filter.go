package dockerapi

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
)

// ErrBadFilter is a --filter the list commands do not understand.
var ErrBadFilter = errors.New("bad filter")

// FilterError is a --filter that is not name=value or names an unknown key, in
// Docker's words.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return e.Msg }
func (e *FilterError) Unwrap() error { return ErrBadFilter }

// splitFilter is NAME=VALUE.
func splitFilter(f string) (string, string, error) {
	k, v, ok := strings.Cut(f, "=")
	if !ok {
		return "", "", &FilterError{Msg: "bad format of filter (expected name=value)"}
	}
	return k, v, nil
}

// all is true where every check is.
func all[T any](checks []func(T) bool) func(T) bool {
	return func(x T) bool {
		for _, c := range checks {
			if !c(x) {
				return false
			}
		}
		return true
	}
}

// ContainerFilter is `docker ps --filter` (and container prune's): status, name, id,
// exited, ancestor, label.
func ContainerFilter(sb *sandbox.Sandbox, filters []string) (func(*sandbox.Container) bool, error) {
	var checks []func(*sandbox.Container) bool
	for _, f := range filters {
		k, v, err := splitFilter(f)
		if err != nil {
			return nil, err
		}
		check, err := containerCheck(sb, k, v)
		if err != nil {
			return nil, err
		}
		checks = append(checks, check)
	}
	return all(checks), nil
}

func containerCheck(sb *sandbox.Sandbox, k, v string) (func(*sandbox.Container) bool, error) {
	switch k {
	case "status":
		return func(c *sandbox.Container) bool { return c.State.Status == v }, nil
	case "name":
		return func(c *sandbox.Container) bool { return strings.Contains(c.ShortName(), v) }, nil
	case "id":
		return func(c *sandbox.Container) bool { return strings.HasPrefix(c.ID, v) }, nil
	case "exited":
		code, err := strconv.Atoi(v)
		if err != nil {
			return nil, &FilterError{Msg: fmt.Sprintf("invalid filter 'exited=%s'", v)}
		}
		return func(c *sandbox.Container) bool { return c.State.Status == "exited" && c.State.ExitCode == code }, nil
	case "ancestor":
		img, err := sb.Store.Lookup(v)
		return func(c *sandbox.Container) bool {
			return (err == nil && c.Image == img.ID) || c.Config.Image == v
		}, nil
	case "label":
		return labelCheck(v, func(c *sandbox.Container) map[string]string { return c.Config.Labels }), nil
	}
	return nil, &FilterError{Msg: fmt.Sprintf("invalid filter '%s'", k)}
}

// labelCheck is label=KEY or label=KEY=VALUE (label!= negates, for prune).
func labelCheck[T any](v string, labels func(T) map[string]string) func(T) bool {
	key, val, withVal := strings.Cut(v, "=")
	return func(x T) bool {
		got, ok := labels(x)[key]
		return ok && (!withVal || got == val)
	}
}

// ImageFilter is `docker images [REPOSITORY[:TAG]] --filter`: dangling, reference,
// label.
func ImageFilter(repository string, filters []string) (func(sandbox.ImageSummary) bool, error) {
	var checks []func(sandbox.ImageSummary) bool
	refMatch := func(pattern string) func(sandbox.ImageSummary) bool {
		return func(im sandbox.ImageSummary) bool {
			if ok, _ := path.Match(pattern, im.Repository); ok {
				return true
			}
			ok, _ := path.Match(pattern, im.Repository+":"+im.Tag)
			return ok
		}
	}
	if repository != "" {
		checks = append(checks, refMatch(repository))
	}
	for _, f := range filters {
		k, v, err := splitFilter(f)
		if err != nil {
			return nil, err
		}
		switch k {
		case "dangling":
			want := v == "true" || v == "1"
			checks = append(checks, func(im sandbox.ImageSummary) bool { return (im.Repository == "<none>") == want })
		case "reference":
			checks = append(checks, refMatch(v))
		default:
			return nil, &FilterError{Msg: fmt.Sprintf("invalid filter '%s'", k)}
		}
	}
	return all(checks), nil
}

// PruneFilter is `docker container prune --filter`: until=TIMESTAMP|DURATION (made
// before), label=KEY[=VALUE] and label!=KEY[=VALUE].
func PruneFilter(filters []string, now time.Time) (func(*sandbox.Container) bool, error) {
	var checks []func(*sandbox.Container) bool
	labels := func(c *sandbox.Container) map[string]string { return c.Config.Labels }
	for _, f := range filters {
		k, v, err := splitFilter(f)
		if err != nil {
			return nil, err
		}
		switch {
		case k == "until":
			t, err := sandbox.ParseLogTime(v, now)
			if err != nil {
				return nil, &FilterError{Msg: fmt.Sprintf("invalid filter 'until=%s': %v", v, err)}
			}
			checks = append(checks, func(c *sandbox.Container) bool { return c.Created.Before(t) })
		case k == "label":
			checks = append(checks, labelCheck(v, labels))
		case k == "label!": // label!=KEY splits as "label!" and KEY
			has := labelCheck(v, labels)
			checks = append(checks, func(c *sandbox.Container) bool { return !has(c) })
		default:
			return nil, &FilterError{Msg: fmt.Sprintf("invalid filter '%s'", k)}
		}
	}
	return all(checks), nil
}

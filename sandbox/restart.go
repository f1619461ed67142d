package sandbox

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockling/dockling/sandbox/runtime"
)

// RestartPolicy is run --restart, as Docker records it.
type RestartPolicy = runtime.RestartPolicy

// ErrBadRestart is a --restart Docker would refuse.
var ErrBadRestart = errors.New("invalid restart policy")

// ParseRestartPolicy reads no, always, unless-stopped and on-failure[:N].
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", "no", "always", "unless-stopped", "on-failure":
	default:
		return p, fmt.Errorf("%w: unknown policy %q (no, on-failure[:max-retries], always, unless-stopped)", ErrBadRestart, name)
	}
	if p.Name == "" {
		p.Name = "no"
	}
	if hasCount {
		if name != "on-failure" {
			return p, fmt.Errorf("%w: maximum retry count cannot be used with restart policy '%s'", ErrBadRestart, name)
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return p, fmt.Errorf("%w: maximum retry count must be a whole number: %q", ErrBadRestart, count)
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

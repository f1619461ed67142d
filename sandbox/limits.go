package sandbox

import (
	"errors"

	"github.com/dockling/dockling/sandbox/runtime"
)

// Limits are run's -m, --cpus and --pids-limit, as Docker records them.
type Limits = runtime.Resources

// MinMemory is the smallest memory limit Docker takes.
const MinMemory = 6 << 20

// Errors of the limits, in Docker's words.
var (
	//lint:ignore ST1005 Docker's own message, which learners search for
	ErrMemoryTooLow = errors.New("Minimum memory limit allowed is 6MB")
	ErrNoCPULimit   = errors.New("NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted")
)

// CheckLimits drops the limits this machine cannot set for this user (rootless
// without a delegated cgroup subtree, a cgroup not mounted) with Docker's warnings,
// and refuses a CPU limit there as Docker does.
func CheckLimits(l *Limits) (warnings []string, err error) {
	if l.Memory > 0 && l.Memory < MinMemory {
		return nil, ErrMemoryTooLow
	}
	memory, cpu, pids := runtime.LimitsSupported()
	if l.Memory > 0 && !memory {
		l.Memory = 0
		warnings = append(warnings, "WARNING: Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.")
	}
	if l.PidsLimit > 0 && !pids {
		l.PidsLimit = 0
		warnings = append(warnings, "WARNING: Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.")
	}
	if l.NanoCPUs > 0 && !cpu {
		return warnings, ErrNoCPULimit
	}
	return warnings, nil
}

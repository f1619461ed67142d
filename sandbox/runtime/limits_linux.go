package runtime

import (
	"errors"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Resource limits (run -m, --cpus, --pids-limit) are cgroup files. On v2 they are
// written in the container's own cgroup (its freezer one, see joinFreezer), once the
// controllers are enabled below dockling/; on v1 each controller's hierarchy gets a
// dockling/<ID> cgroup the init joins before it execs. The shim removes them with
// the container.

// cpuPeriod is the CFS period Docker uses (100 ms), in microseconds.
const cpuPeriod = 100000

// v1Controllers are the v1 hierarchies a limit lives in, by what it limits.
var v1Controllers = map[string]string{"memory": "memory", "cpu": "cpu", "pids": "pids"}

// LimitsSupported says which limits this user can set here: memory, cpu, pids.
func LimitsSupported() (memory, cpu, pids bool) {
	if cgroupV2() {
		base := freezerBase(true)
		if base == "" {
			return false, false, false
		}
		have, _ := readCgroupFile(base, "cgroup.controllers")
		f := " " + strings.TrimSpace(have) + " "
		return strings.Contains(f, " memory "), strings.Contains(f, " cpu "), strings.Contains(f, " pids ")
	}
	if os.Geteuid() != 0 {
		return false, false, false // v1 hierarchies are not delegated
	}
	ok := func(c string) bool { _, err := os.Stat(path.Join(cgroupMount, c, "cgroup.procs")); return err == nil }
	return ok("memory"), ok("cpu"), ok("pids")
}

// limitFiles are the files and values r sets, by controller.
func limitFiles(r Resources, v2 bool) map[string]map[string]string {
	out := map[string]map[string]string{}
	set := func(ctl, file, value string) {
		if out[ctl] == nil {
			out[ctl] = map[string]string{}
		}
		out[ctl][file] = value
	}
	if r.Memory > 0 {
		if v2 {
			set("memory", "memory.max", strconv.FormatInt(r.Memory, 10))
		} else {
			set("memory", "memory.limit_in_bytes", strconv.FormatInt(r.Memory, 10))
		}
	}
	if r.NanoCPUs > 0 {
		quota := strconv.FormatInt(r.NanoCPUs*cpuPeriod/1e9, 10)
		if v2 {
			set("cpu", "cpu.max", quota+" "+strconv.Itoa(cpuPeriod))
		} else {
			set("cpu", "cpu.cfs_period_us", strconv.Itoa(cpuPeriod))
			set("cpu", "cpu.cfs_quota_us", quota)
		}
	}
	if r.PidsLimit > 0 {
		set("pids", "pids.max", strconv.FormatInt(r.PidsLimit, 10))
	}
	return out
}

// applyLimits sets r for container id, whose init is pid (not yet exec'd), in
// cgroup (its v2 cgroup, or ""). It returns the v1 cgroups it made, to remove.
func applyLimits(id string, pid int, cgroup string, r Resources) ([]string, error) {
	files := limitFiles(r, cgroupV2())
	if len(files) == 0 {
		return nil, nil
	}
	if cgroupV2() {
		if cgroup == "" {
			return nil, errors.New("no cgroup for the container's limits")
		}
		for ctl := range files {
			// Once for the folder of every container; an error says it was done.
			_ = writeCgroupFile(path.Dir(cgroup), "cgroup.subtree_control", "+"+ctl)
		}
		return nil, writeLimits(cgroup, files)
	}
	var made []string
	for ctl, fs := range files {
		dir := path.Join(cgroupMount, v1Controllers[ctl], cgroupDirName, id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return made, err
		}
		made = append(made, dir)
		if err := writeLimits(dir, map[string]map[string]string{ctl: fs}); err != nil {
			return made, err
		}
		if err := writeCgroupFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return made, err
		}
	}
	return made, nil
}

func writeLimits(dir string, files map[string]map[string]string) error {
	for _, fs := range files {
		// cfs_period_us before cfs_quota_us: a quota above the old period is refused.
		for _, name := range []string{"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.max", "memory.max", "memory.limit_in_bytes", "pids.max"} {
			if v, ok := fs[name]; ok {
				if err := writeCgroupFile(dir, name, v); err != nil {
					return &os.PathError{Op: "write", Path: path.Join(dir, name), Err: err}
				}
			}
		}
	}
	return nil
}

// removeLimits removes the v1 cgroups applyLimits made, once the container is gone.
func removeLimits(dirs []string) {
	for _, d := range dirs {
		for i := 0; i < 200; i++ {
			if err := unix.Rmdir(d); err == nil || !errors.Is(err, unix.EBUSY) {
				break
			}
			unix.Nanosleep(&unix.Timespec{Nsec: 5e6}, nil)
		}
	}
}

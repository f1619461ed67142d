package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// defaultCaps is Docker's default capability set (mask 0x00000000a80425fb), with the
// names the seccomp profile's conditions use.
var defaultCaps = []struct {
	bit  uint
	name string
}{
	{unix.CAP_CHOWN, "CAP_CHOWN"}, {unix.CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
	{unix.CAP_FSETID, "CAP_FSETID"}, {unix.CAP_FOWNER, "CAP_FOWNER"}, {unix.CAP_MKNOD, "CAP_MKNOD"},
	{unix.CAP_NET_RAW, "CAP_NET_RAW"}, {unix.CAP_SETGID, "CAP_SETGID"}, {unix.CAP_SETUID, "CAP_SETUID"},
	{unix.CAP_SETFCAP, "CAP_SETFCAP"}, {unix.CAP_SETPCAP, "CAP_SETPCAP"},
	{unix.CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"}, {unix.CAP_SYS_CHROOT, "CAP_SYS_CHROOT"},
	{unix.CAP_KILL, "CAP_KILL"}, {unix.CAP_AUDIT_WRITE, "CAP_AUDIT_WRITE"},
}

func defaultCapMask() uint64 {
	var m uint64
	for _, c := range defaultCaps {
		m |= 1 << c.bit
	}
	return m
}

// DefaultCapabilities are the names of the capabilities a container's root gets
// (Docker's default set), for the seccomp profile's conditions on them.
func DefaultCapabilities() []string {
	names := make([]string, len(defaultCaps))
	for i, c := range defaultCaps {
		names[i] = c.name
	}
	return names
}

func lastCap() uint {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n < 64 {
			return uint(n)
		}
	}
	return unix.CAP_LAST_CAP
}

// dropBounding removes every capability outside Docker's default set from this thread's
// bounding set, so nothing the container execs (setuid binaries, file caps) regains them.
// It needs CAP_SETPCAP, so it runs before switching to a non-root user.
func dropBounding() error {
	keep := defaultCapMask()
	last := lastCap()
	for c := uint(0); c <= last; c++ {
		if keep&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// setCaps sets this thread's effective and permitted sets to Docker's default for root
// (a non-root user has none after setuid) and clears inheritable and ambient, as Docker
// does since the CVE-2022-24769 fix.
func setCaps(root bool) error {
	var mask uint64
	if root {
		mask = defaultCapMask()
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(mask), Permitted: uint32(mask)},
		{Effective: uint32(mask >> 32), Permitted: uint32(mask >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities: %w", err)
	}
	_ = unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	return nil
}

package runtime

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// errNoSeccomp: a process with neither a seccomp filter nor SeccompUnconfined; the
// runtime has no filter of its own to fall back on (see package seccomp).
var errNoSeccomp = errors.New("no seccomp filter given (compile one with package seccomp, or set SeccompUnconfined)")

// securityFile keeps the container's Security for the processes Exec adds to it.
const securityFile = "security.json"

// saveSecurity records spec's Security in its folder, for Exec.
func saveSecurity(spec *Spec) error {
	b, err := json.Marshal(spec.Process.Security)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path.Join(spec.Dir, securityFile), b, 0o600); err != nil {
		return fmt.Errorf("saving the container's seccomp filter: %w", err)
	}
	return nil
}

// execSecurity is what a process exec'd in the container in dir gets: the container's
// Security, unless the caller set one (whole: a filter or SeccompUnconfined too).
func execSecurity(dir string, s Security) (Security, error) {
	if s.Seccomp != nil || s.SeccompUnconfined || s.NewPrivs {
		return s, checkSecurity(&s)
	}
	b, err := os.ReadFile(path.Join(dir, securityFile))
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		return s, fmt.Errorf("reading the container's seccomp filter (restart the container): %w", err)
	}
	return s, checkSecurity(&s)
}

// checkSecurity refuses a Security the runtime cannot apply as it says.
func checkSecurity(s *Security) error {
	switch {
	case s.SeccompUnconfined:
		return nil
	case len(s.Seccomp) == 0:
		return errNoSeccomp
	case len(s.Seccomp)%8 != 0 || len(s.Seccomp)/8 > unix.BPF_MAXINSNS:
		return fmt.Errorf("the seccomp filter is %d bytes, not a BPF program", len(s.Seccomp))
	}
	return nil
}

// filterFile is the filter for an exec helper's constructor to load (see package
// nsenter), in a sealed memfd; nil when the helper loads it in Go, just before execve,
// as no_new_privs lets it do without privileges. Without no_new_privs, loading takes
// CAP_SYS_ADMIN in the container's user namespace, which no Go thread of the helper
// holds (it would hold more than the container).
func filterFile(s Security) (*os.File, error) {
	if !s.NewPrivs || s.SeccompUnconfined {
		return nil, nil
	}
	fd, err := unix.MemfdCreate("dockling-seccomp", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("passing the seccomp filter: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp")
	if _, err = f.WriteAt(s.Seccomp, 0); err == nil {
		_, err = unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("passing the seccomp filter: %w", err)
	}
	return f, nil
}

// loadSeccomp installs the filter on this thread (the one that execs); without
// no_new_privs that needs CAP_SYS_ADMIN in the container's user namespace. An exec
// helper's constructor may have loaded it already (see filterFile).
func (s *Security) loadSeccomp() error {
	if s.SeccompUnconfined || nsenter.Seccomp() {
		return nil
	}
	if err := checkSecurity(s); err != nil {
		return err
	}
	prog := make([]unix.SockFilter, len(s.Seccomp)/8)
	for i := range prog {
		b := s.Seccomp[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		return fmt.Errorf("loading the seccomp filter: %w", errno)
	}
	return nil
}

// beforeCredentials applies what must come while the process still holds its
// capabilities: a fresh session keyring, so that the caller's keys are not the
// container's (as runc does; a kernel without keyrings, or one that refuses, is
// tolerated as by runc), and, without no_new_privs, the seccomp filter.
func (s *Security) beforeCredentials() error {
	// An exec helper's constructor joined one before its filter (Docker's profile refuses keyctl).
	if !nsenter.Joined() {
		_, _, errno := unix.RawSyscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
		if errno != 0 && errno != unix.ENOSYS && errno != unix.EPERM {
			return fmt.Errorf("joining a new session keyring: %w", errno)
		}
	}
	if !s.NewPrivs {
		return nil
	}
	return s.loadSeccomp()
}

// beforeExec applies the rest just before execve: no_new_privs, then the filter.
func (s *Security) beforeExec() error {
	if s.NewPrivs {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	return s.loadSeccomp()
}

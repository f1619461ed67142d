// Package seccomp compiles seccomp profiles in Docker's JSON format (by default
// Docker's own, from github.com/moby/profiles/seccomp) to the BPF filter the runtime
// loads into a container's processes. It stands apart from the runtime, and its syscall
// table is static data: the runtime's re-executed processes (shim, init, exec helper)
// start while the binary's packages initialise (see the runtime's early_linux.go), and
// pay for every table a package builds as it initialises.
package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

//go:generate ./mksyscalls.sh

// ErrBadProfile: a seccomp profile that cannot be read or compiled.
var ErrBadProfile = errors.New("invalid seccomp profile")

// syscallNumber is one entry of this architecture's table (zsyscalls_linux_*.go).
type syscallNumber struct {
	name string
	nr   uint32
}

// number is the syscall called name on this architecture.
func number(name string) (uint32, bool) {
	i := sort.Search(len(syscalls), func(i int) bool { return syscalls[i].name >= name })
	if i < len(syscalls) && syscalls[i].name == name {
		return syscalls[i].nr, true
	}
	return 0, false
}

// compiled holds what Compile made, by profile and capabilities: the default profile
// once per process (Prepare starts it early), and a custom one that create checked.
// A caller that comes while the filter is compiling waits for it rather than
// compiling it again.
var compiled sync.Map

type result struct {
	once   sync.Once
	filter []byte
	err    error
}

// Compile resolves profile ("": Docker's default) for a container with the
// capabilities caps (Docker's names, "CAP_CHOWN"), this architecture and this kernel,
// as moby does, and compiles it: a struct sock_filter array in host byte order; nil
// when the profile turns seccomp off. Syscalls of the machine's other ABIs (x86's
// 32-bit one) meet the default action, where Docker allows them too; x32's get ENOSYS.
func Compile(profile string, caps []string) ([]byte, error) {
	key := profile + "\x00" + strings.Join(caps, ",")
	v, _ := compiled.LoadOrStore(key, &result{})
	r := v.(*result)
	r.once.Do(func() { r.filter, r.err = compile(profile, caps) })
	return r.filter, r.err
}

// Prepare compiles Docker's default profile in the background, so that it is ready
// when a container starts.
func Prepare(caps []string) {
	go func() { _, _ = Compile("", caps) }()
}

// compile is Compile without the cache.
func compile(body string, caps []string) ([]byte, error) {
	if len(syscalls) == 0 {
		return nil, fmt.Errorf("%w: no syscall table for this architecture", ErrBadProfile)
	}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	var p *specs.LinuxSeccomp
	var err error
	if body == "" {
		p, err = seccomp.GetDefaultProfile(rs)
	} else {
		p, err = seccomp.LoadProfile(body, rs)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	if p == nil { // no default action and no rules: moby turns seccomp off
		return nil, nil
	}
	pol, err := policyOf(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	raw, err := bpf.Assemble(pol.program())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	out := make([]byte, 8*len(raw))
	for i, r := range raw {
		binary.NativeEndian.PutUint16(out[8*i:], r.Op)
		out[8*i+2], out[8*i+3] = r.Jt, r.Jf
		binary.NativeEndian.PutUint32(out[8*i+4:], r.K)
	}
	return out, nil
}

// policy is a resolved profile by syscall: a syscall's condition sets decide first,
// in the profile's order, then its rule for any arguments, then the default.
type policy struct {
	def   uint32 // seccomp return values
	rules map[uint32]*rule
}

type rule struct {
	sets []condSet
	any  *uint32
}

// condSet matches when all its comparisons hold.
type condSet struct {
	args   []specs.LinuxSeccompArg
	action uint32
}

// actionOf is a profile's action as a seccomp return value.
func actionOf(a specs.LinuxSeccompAction, errno *uint) (uint32, error) {
	ret := func(base uint32, def unix.Errno) uint32 {
		if errno != nil {
			return base | uint32(*errno)&unix.SECCOMP_RET_DATA
		}
		return base | uint32(def)
	}
	switch a {
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActErrno:
		return ret(unix.SECCOMP_RET_ERRNO, unix.EPERM), nil
	case specs.ActTrace:
		return ret(unix.SECCOMP_RET_TRACE, unix.EPERM), nil
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	}
	return 0, fmt.Errorf("action %q is not supported", a)
}

// policyOf resolves p's rules by syscall. Rules whose action is the default are left
// out, as runc does; names this architecture does not have are skipped, as libseccomp
// does; an argument compared more than once makes one condition set per comparison,
// as runc does.
func policyOf(p *specs.LinuxSeccomp) (*policy, error) {
	if p.ListenerPath != "" {
		return nil, errors.New("listenerPath is not supported")
	}
	def, err := actionOf(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %v", err)
	}
	pol := &policy{def: def, rules: map[uint32]*rule{}}
	for _, sc := range p.Syscalls {
		act, err := actionOf(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls %v: %v", sc.Names, err)
		}
		sets, err := condSets(sc.Args, act)
		if err != nil {
			return nil, fmt.Errorf("syscalls %v: %v", sc.Names, err)
		}
		if act == def {
			continue
		}
		for _, name := range sc.Names {
			nr, ok := number(name)
			if !ok {
				continue
			}
			r := pol.rules[nr]
			if r == nil {
				r = &rule{}
				pol.rules[nr] = r
			}
			switch {
			case sets != nil:
				r.sets = append(r.sets, sets...)
			case r.any == nil:
				r.any = &act
			}
		}
	}
	return pol, nil
}

func condSets(args []specs.LinuxSeccompArg, act uint32) ([]condSet, error) {
	if len(args) == 0 {
		return nil, nil
	}
	seen := map[uint]bool{}
	repeated := false
	for _, a := range args {
		if a.Index > 5 {
			return nil, fmt.Errorf("argument index %d is out of range", a.Index)
		}
		if _, ok := comparisons[a.Op]; !ok {
			return nil, fmt.Errorf("operator %q is not supported", a.Op)
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	if !repeated {
		return []condSet{{args: args, action: act}}, nil
	}
	sets := make([]condSet, len(args))
	for i := range args {
		sets[i] = condSet{args: args[i : i+1], action: act}
	}
	return sets, nil
}

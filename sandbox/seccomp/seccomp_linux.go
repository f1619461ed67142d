// Package seccomp compiles seccomp profiles in Docker's JSON format (by default
// Docker's own, from github.com/moby/profiles/seccomp) to the BPF filter the runtime
// loads into a container's processes. It stands apart from the runtime: the libraries
// build syscall tables for every architecture as they initialise, and the runtime's
// re-executed processes (shim, init, exec helper) start before them (see the
// runtime's early_linux.go), so they never pay for it.
package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"

	bpfseccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ErrBadProfile: a seccomp profile that cannot be read or compiled.
var ErrBadProfile = errors.New("invalid seccomp profile")

// compiled holds what Compile made, by profile and capabilities: the default profile
// once per process (Prepare starts it early), and a custom one that create checked.
var compiled sync.Map

type result struct {
	filter []byte
	err    error
}

// Compile resolves profile ("": Docker's default) for a container with the
// capabilities caps (Docker's names, "CAP_CHOWN"), this architecture and this kernel,
// as moby does, and compiles it: a struct sock_filter array in host byte order; nil
// when the profile turns seccomp off. Syscalls of the machine's other ABIs (x86's
// 32-bit and x32) meet the default action, where Docker allows their syscalls too.
func Compile(profile string, caps []string) ([]byte, error) {
	key := profile + "\x00" + strings.Join(caps, ",")
	if r, ok := compiled.Load(key); ok {
		return r.(*result).filter, r.(*result).err
	}
	f, err := compile(profile, caps)
	compiled.Store(key, &result{f, err})
	return f, err
}

// Prepare compiles Docker's default profile in the background, so that it is ready
// when a container starts.
func Prepare(caps []string) {
	go func() { _, _ = Compile("", caps) }()
}

// compile is Compile without the cache.
func compile(body string, caps []string) ([]byte, error) {
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
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	pol, err := policyOf(p, info)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	insts, err := assemble(pol, info)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	raw, err := bpf.Assemble(insts)
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

// actionOf is a profile's action as a seccomp return value.
func actionOf(a specs.LinuxSeccompAction, errno *uint) (bpfseccomp.Action, error) {
	switch a {
	case specs.ActAllow:
		return bpfseccomp.ActionAllow, nil
	case specs.ActErrno, specs.ActTrace:
		base := bpfseccomp.ActionErrno
		if a == specs.ActTrace {
			base = bpfseccomp.ActionTrace
		}
		if errno == nil || *errno == uint(unix.EPERM) {
			return base, nil // the library returns EPERM for a bare errno action
		}
		return base | bpfseccomp.Action(*errno&0xffff), nil
	case specs.ActKill, specs.ActKillThread:
		return bpfseccomp.ActionKillThread, nil
	case specs.ActKillProcess:
		return bpfseccomp.ActionKillProcess, nil
	case specs.ActTrap:
		return bpfseccomp.ActionTrap, nil
	case specs.ActLog:
		return bpfseccomp.ActionLog, nil
	}
	return 0, fmt.Errorf("action %q is not supported", a)
}

// rulesOf collects one action's rules: syscalls matched whatever their arguments, and
// argument conditions (any set matching) for the others.
type rulesOf struct {
	action bpfseccomp.Action
	any    []string
	conds  []bpfseccomp.NameWithConditions
	seen   map[string]bool
}

// policyOf turns a resolved profile into the BPF library's policy. Rules whose action
// is the default are left out, as runc does; names this architecture does not know are
// skipped, as libseccomp does; a rule the library cannot express is refused rather than
// loosened.
func policyOf(p *specs.LinuxSeccomp, info *arch.Info) (*bpfseccomp.Policy, error) {
	if p.ListenerPath != "" {
		return nil, fmt.Errorf("listenerPath is not supported")
	}
	def, err := actionOf(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %v", err)
	}
	if def&^unix.SECCOMP_RET_ACTION_FULL != 0 {
		return nil, fmt.Errorf("defaultErrnoRet other than 1 (EPERM) is not supported")
	}
	var groups []*rulesOf
	byAction := map[bpfseccomp.Action]*rulesOf{}
	for _, sc := range p.Syscalls {
		act, err := actionOf(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls %v: %v", sc.Names, err)
		}
		if act == def {
			continue
		}
		conds, err := conditionsOf(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("syscalls %v: %v", sc.Names, err)
		}
		g := byAction[act]
		if g == nil {
			g = &rulesOf{action: act, seen: map[string]bool{}}
			byAction[act] = g
			groups = append(groups, g)
		}
		for _, name := range sc.Names {
			if _, ok := info.SyscallNames[name]; ok {
				g.add(name, conds)
			}
		}
	}
	pol := &bpfseccomp.Policy{DefaultAction: def}
	// Conditional rules first: a syscall's narrower rule decides before a broader one.
	for _, g := range groups {
		pol.Syscalls = append(pol.Syscalls, bpfseccomp.SyscallGroup{NamesWithCondtions: g.conds, Action: g.action})
	}
	for _, g := range groups {
		pol.Syscalls = append(pol.Syscalls, bpfseccomp.SyscallGroup{Names: g.any, Action: g.action})
	}
	return pol, nil
}

// bucketSize is how many syscalls one part of the filter tests in turn (see assemble).
const bucketSize = 24

// assemble compiles pol as a short tree of comparisons on the syscall number that
// leads to parts the library assembles, each for the rules of one range of numbers.
// When a filter is loaded, the kernel runs it once for every syscall number (to learn
// which are always allowed): through the library's one long list of comparisons that
// cost half a millisecond of every container's start. A syscall with argument
// conditions gets a part of its own, with nothing after it: the library's code for
// them leaves an argument where the next rule expects the syscall number.
func assemble(pol *bpfseccomp.Policy, info *arch.Info) ([]bpf.Instruction, error) {
	num := func(name string) uint32 { return uint32(info.SyscallNames[name] | info.SeccompMask) }
	rulesFor := map[uint32]int{} // how many groups name the syscall
	conditional := map[uint32]bool{}
	for _, g := range pol.Syscalls {
		seen := map[uint32]bool{}
		for _, n := range g.Names {
			seen[num(n)] = true
		}
		for _, n := range g.NamesWithCondtions {
			seen[num(n.Name)], conditional[num(n.Name)] = true, true
		}
		for n := range seen {
			rulesFor[n]++
		}
	}
	if len(rulesFor) == 0 { // the default action for everything
		def := pol.DefaultAction
		if def == bpfseccomp.ActionErrno {
			def |= bpfseccomp.Action(unix.EPERM)
		}
		return []bpf.Instruction{bpf.RetConstant{Val: uint32(def)}}, nil
	}
	nums := slices.Sorted(maps.Keys(rulesFor))
	bounds := []uint32{0} // bounds[i]: the lowest syscall number of part i
	inPart, afterConditional := 0, false
	for _, n := range nums {
		if conditional[n] && rulesFor[n] > 1 {
			return nil, fmt.Errorf("syscall %s: argument conditions under more than one action cannot be compiled", info.SyscallNumbers[int(n)])
		}
		switch {
		case afterConditional:
			bounds = append(bounds, bounds[len(bounds)-1]+1)
			inPart = 0
		case inPart > 0 && (conditional[n] || inPart == bucketSize):
			bounds = append(bounds, n)
			inPart = 0
		}
		if conditional[n] {
			bounds[len(bounds)-1] = n
		}
		inPart++
		afterConditional = conditional[n]
	}
	prog := []bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 4}} // seccomp_data.nr
	jumps := make([]int, len(bounds))                            // where each part is jumped to
	dispatch(&prog, bounds, jumps, 0, len(bounds)-1)
	for i := range bounds {
		in := func(name string) bool {
			n := num(name)
			return n >= bounds[i] && (i == len(bounds)-1 || n < bounds[i+1])
		}
		insts, err := assemblePart(pol, in)
		if err != nil {
			return nil, err
		}
		prog[jumps[i]] = bpf.Jump{Skip: uint32(len(prog) - jumps[i] - 1)}
		prog = append(prog, insts...)
	}
	return prog, nil
}

// assemblePart is the library's program for pol's rules of the syscalls in.
func assemblePart(pol *bpfseccomp.Policy, in func(name string) bool) ([]bpf.Instruction, error) {
	part := &bpfseccomp.Policy{DefaultAction: pol.DefaultAction}
	for _, g := range pol.Syscalls {
		sub := bpfseccomp.SyscallGroup{Action: g.Action}
		for _, n := range g.Names {
			if in(n) {
				sub.Names = append(sub.Names, n)
			}
		}
		for _, n := range g.NamesWithCondtions {
			if in(n.Name) {
				sub.NamesWithCondtions = append(sub.NamesWithCondtions, n)
			}
		}
		if len(sub.Names)+len(sub.NamesWithCondtions) > 0 {
			part.Syscalls = append(part.Syscalls, sub)
		}
	}
	return part.Assemble() // it checks the architecture itself
}

// dispatch appends the comparisons that choose among parts lo..hi by the syscall
// number, ending in a jump per part (its target is set once the part is placed).
func dispatch(prog *[]bpf.Instruction, bounds []uint32, jumps []int, lo, hi int) {
	if lo == hi {
		jumps[lo] = len(*prog)
		*prog = append(*prog, bpf.Jump{})
		return
	}
	mid := (lo + hi + 1) / 2
	at := len(*prog)
	*prog = append(*prog, nil)
	dispatch(prog, bounds, jumps, lo, mid-1) // below bounds[mid]: right after
	skip := len(*prog) - at - 1              // under 2·len(bounds): the syscalls of an architecture make a few dozen parts
	(*prog)[at] = bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: bounds[mid], SkipTrue: uint8(skip)}
	dispatch(prog, bounds, jumps, mid, hi)
}

// add records name under conds (nil: any arguments), which takes over any conditional
// rule of the same action.
func (g *rulesOf) add(name string, conds []bpfseccomp.ArgumentConditions) {
	if g.seen[name] {
		return // already matched whatever its arguments
	}
	if conds == nil {
		g.seen[name] = true
		g.any = append(g.any, name)
		kept := g.conds[:0]
		for _, c := range g.conds {
			if c.Name != name {
				kept = append(kept, c)
			}
		}
		g.conds = kept
		return
	}
	for _, c := range conds {
		g.conds = append(g.conds, bpfseccomp.NameWithConditions{Name: name, Conditions: c})
	}
}

// conditionsOf turns a rule's argument comparisons into sets of conditions, any of
// which matches: one set (all must hold), or, when an argument is compared more than
// once, one set per comparison, as runc does.
func conditionsOf(args []specs.LinuxSeccompArg) ([]bpfseccomp.ArgumentConditions, error) {
	if len(args) == 0 {
		return nil, nil
	}
	var all bpfseccomp.ArgumentConditions
	repeated := map[uint]int{}
	for _, a := range args {
		c, err := conditionOf(a)
		if err != nil {
			return nil, err
		}
		all = append(all, c)
		repeated[a.Index]++
	}
	if len(repeated) == len(args) {
		return []bpfseccomp.ArgumentConditions{all}, nil
	}
	out := make([]bpfseccomp.ArgumentConditions, len(all))
	for i, c := range all {
		out[i] = bpfseccomp.ArgumentConditions{c}
	}
	return out, nil
}

func conditionOf(a specs.LinuxSeccompArg) (bpfseccomp.Condition, error) {
	if a.Index > 5 {
		return bpfseccomp.Condition{}, fmt.Errorf("argument index %d is out of range", a.Index)
	}
	c := bpfseccomp.Condition{Argument: uint32(a.Index), Value: a.Value}
	if op, ok := comparisons[a.Op]; ok {
		c.Operation = op
		return c, nil
	}
	if a.Op != specs.OpMaskedEqual {
		return c, fmt.Errorf("operator %q is not supported", a.Op)
	}
	// (arg & Value) == ValueTwo: expressible for "none of these bits" and for "this
	// one bit".
	switch {
	case a.ValueTwo == 0:
		c.Operation = bpfseccomp.BitsNotSet
	case a.ValueTwo == a.Value && bits.OnesCount64(a.Value) == 1:
		c.Operation = bpfseccomp.BitsSet
	default:
		return c, fmt.Errorf("%s with value %#x and valueTwo %#x cannot be compiled", a.Op, a.Value, a.ValueTwo)
	}
	return c, nil
}

// comparisons are the profile's operators the library has as they are.
var comparisons = map[specs.LinuxSeccompOperator]bpfseccomp.Operation{
	specs.OpEqualTo: bpfseccomp.Equal, specs.OpNotEqual: bpfseccomp.NotEqual,
	specs.OpLessThan: bpfseccomp.LessThan, specs.OpLessEqual: bpfseccomp.LessOrEqual,
	specs.OpGreaterThan: bpfseccomp.GreaterThan, specs.OpGreaterEqual: bpfseccomp.GreaterOrEqual,
}

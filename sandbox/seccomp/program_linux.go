package seccomp

import (
	"encoding/binary"
	"maps"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// bucketSize is how many syscalls one part of the filter tests in turn.
const bucketSize = 24

// x32Bit marks the syscalls of x86's x32 ABI, which share x86-64's audit arch.
const x32Bit = 0x40000000

// program is the filter: the architecture checked, then a short tree of comparisons
// on the syscall number that leads to parts, each testing a range of numbers in turn.
// When a filter is loaded, the kernel runs it once for every syscall number (to learn
// which are always allowed): through one long list of comparisons that took half a
// millisecond of every container's start. A syscall with argument conditions gets a
// part of its own.
func (pol *policy) program() []bpf.Instruction {
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArchNative, SkipTrue: 1},
		bpf.RetConstant{Val: pol.def},
		bpf.LoadAbsolute{Off: 0, Size: 4}, // seccomp_data.nr
	}
	if auditArchNative == unix.AUDIT_ARCH_X86_64 {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32Bit, SkipFalse: 1},
			bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)})
	}
	nums := slices.Sorted(maps.Keys(pol.rules))
	if len(nums) == 0 {
		return append(prog, bpf.RetConstant{Val: pol.def})
	}
	// parts[i] holds the syscalls from bounds[i] up to bounds[i+1].
	bounds, parts := []uint32{0}, [][]uint32{nil}
	for _, n := range nums {
		last := len(parts) - 1
		alone := len(pol.rules[n].sets) > 0
		if len(parts[last]) > 0 && (alone || len(parts[last]) == bucketSize || len(pol.rules[parts[last][0]].sets) > 0) {
			bounds, parts = append(bounds, n), append(parts, nil)
			last++
		}
		parts[last] = append(parts[last], n)
	}
	jumps := make([]int, len(bounds)) // where each part is jumped to
	dispatch(&prog, bounds, jumps, 0, len(bounds)-1)
	for i, part := range parts {
		prog[jumps[i]] = bpf.Jump{Skip: uint32(len(prog) - jumps[i] - 1)}
		if len(pol.rules[part[0]].sets) > 0 {
			prog = append(prog, pol.conditional(part[0])...)
		} else {
			prog = append(prog, pol.list(part)...)
		}
	}
	return prog
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
	// The tree has two instructions per part, and an architecture's syscalls make a
	// few dozen parts: the skip fits its 8 bits.
	(*prog)[at] = bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: bounds[mid], SkipTrue: uint8(len(*prog) - at - 1)}
	dispatch(prog, bounds, jumps, mid, hi)
}

// list tests the syscalls nums (rules for any arguments) in turn: each jumps to the
// return of its action, after the default's.
func (pol *policy) list(nums []uint32) []bpf.Instruction {
	var actions []uint32
	for _, n := range nums {
		if !slices.Contains(actions, *pol.rules[n].any) {
			actions = append(actions, *pol.rules[n].any)
		}
	}
	out := make([]bpf.Instruction, 0, len(nums)+1+len(actions))
	for i, n := range nums {
		j := slices.Index(actions, *pol.rules[n].any)
		out = append(out, bpf.JumpIf{Cond: bpf.JumpEqual, Val: n, SkipTrue: uint8(len(nums) - i + j)})
	}
	out = append(out, bpf.RetConstant{Val: pol.def})
	for _, a := range actions {
		out = append(out, bpf.RetConstant{Val: a})
	}
	return out
}

// conditional is the part of syscall n: its condition sets in turn, then its rule for
// any arguments or the default. Other syscalls of its range meet the default.
func (pol *policy) conditional(n uint32) []bpf.Instruction {
	r := pol.rules[n]
	final := pol.def
	if r.any != nil {
		final = *r.any
	}
	var body []bpf.Instruction
	for _, s := range r.sets {
		body = append(body, set(s)...)
	}
	body = append(body, bpf.RetConstant{Val: final})
	out := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: n, SkipTrue: 1},
		bpf.Jump{Skip: uint32(len(body))}, // to the default, past the body
	}
	return append(append(out, body...), bpf.RetConstant{Val: pol.def})
}

// Where a comparison goes: on to the next instruction, to the next comparison of the
// set (it held), or past the set's return (it did not).
const (
	onward = iota
	held
	failed
)

// step is an instruction of a set before its jumps are resolved.
type step struct {
	ins    bpf.Instruction // a load or an AND; nil for a jump
	test   bpf.JumpTest
	val    uint32
	tr, fa int // onward, held or failed
}

// set compiles a condition set: every comparison must hold for its action.
func set(s condSet) []bpf.Instruction {
	var steps [][]step
	for _, a := range s.args {
		steps = append(steps, comparison(a))
	}
	total := 1 // the return
	for _, c := range steps {
		total += len(c)
	}
	var out []bpf.Instruction
	for _, c := range steps {
		end := len(out) + len(c) // where "held" goes
		for _, st := range c {
			if st.ins != nil {
				out = append(out, st.ins)
				continue
			}
			skip := func(to int) uint8 {
				switch to {
				case held:
					return uint8(end - len(out) - 1)
				case failed:
					return uint8(total - len(out) - 1)
				}
				return 0
			}
			out = append(out, bpf.JumpIf{Cond: st.test, Val: st.val, SkipTrue: skip(st.tr), SkipFalse: skip(st.fa)})
		}
	}
	return append(out, bpf.RetConstant{Val: s.action})
}

// comparisons are the profile's operators, as 64-bit comparisons made of 32-bit ones.
var comparisons = map[specs.LinuxSeccompOperator]func(hi, lo, vhi, vlo uint32) []step{
	specs.OpEqualTo: func(hi, lo, vhi, vlo uint32) []step {
		return []step{load(hi), {test: bpf.JumpEqual, val: vhi, tr: onward, fa: failed}, load(lo), {test: bpf.JumpEqual, val: vlo, tr: held, fa: failed}}
	},
	specs.OpNotEqual: func(hi, lo, vhi, vlo uint32) []step {
		return []step{load(hi), {test: bpf.JumpEqual, val: vhi, tr: onward, fa: held}, load(lo), {test: bpf.JumpEqual, val: vlo, tr: failed, fa: held}}
	},
	specs.OpGreaterThan:  ordered(bpf.JumpGreaterThan, held, failed),
	specs.OpGreaterEqual: ordered(bpf.JumpGreaterOrEqual, held, failed),
	specs.OpLessThan:     ordered(bpf.JumpGreaterOrEqual, failed, held),
	specs.OpLessEqual:    ordered(bpf.JumpGreaterThan, failed, held),
	specs.OpMaskedEqual:  nil, // needs valueTwo: see comparison
}

// ordered compares the high words, then, when they are equal, the low ones with low.
// For "greater" the high word's greater-than means held; for "less", failed.
func ordered(low bpf.JumpTest, tr, fa int) func(hi, lo, vhi, vlo uint32) []step {
	return func(hi, lo, vhi, vlo uint32) []step {
		above, below := tr, fa // the high word decides when it differs
		return []step{load(hi), {test: bpf.JumpGreaterThan, val: vhi, tr: above, fa: onward},
			{test: bpf.JumpEqual, val: vhi, tr: onward, fa: below}, load(lo), {test: low, val: vlo, tr: tr, fa: fa}}
	}
}

func load(off uint32) step { return step{ins: bpf.LoadAbsolute{Off: off, Size: 4}} }

// comparison is one argument comparison: (arg & value) == valueTwo for masked
// equality, else arg OP value.
func comparison(a specs.LinuxSeccompArg) []step {
	lo := uint32(16 + 8*a.Index) // seccomp_data.args[i]
	hi := lo + 4
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big-endian: the high word first
		lo, hi = hi, lo
	}
	if a.Op == specs.OpMaskedEqual {
		and := func(v uint32) step { return step{ins: bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: v}} }
		return []step{load(hi), and(uint32(a.Value >> 32)), {test: bpf.JumpEqual, val: uint32(a.ValueTwo >> 32), tr: onward, fa: failed},
			load(lo), and(uint32(a.Value)), {test: bpf.JumpEqual, val: uint32(a.ValueTwo), tr: held, fa: failed}}
	}
	return comparisons[a.Op](hi, lo, uint32(a.Value>>32), uint32(a.Value))
}

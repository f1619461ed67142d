package seccomp

import (
	"encoding/binary"
	"errors"
	"testing"

	bpfseccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/runtime"
)

// seccompData is struct seccomp_data for the bpf package's VM, which loads words
// big-endian: each 32-bit word goes where the kernel's layout has it, in that order.
func seccompData(nr uint32, auditArch uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], nr)
	binary.BigEndian.PutUint32(b[4:], auditArch)
	for i, a := range args {
		lo, hi := 16+8*i, 16+8*i+4
		if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big-endian host
			lo, hi = hi, lo
		}
		binary.BigEndian.PutUint32(b[lo:], uint32(a))
		binary.BigEndian.PutUint32(b[hi:], uint32(a>>32))
	}
	return b
}

// decide is what pol means for one syscall, to check the compiled filter against:
// rules in order, the first that matches decides; a syscall of another architecture
// meets the default action, an x32 one ENOSYS.
func decide(pol *bpfseccomp.Policy, info *arch.Info, nr, auditArch uint32, args [6]uint64) uint32 {
	ret := func(a bpfseccomp.Action) uint32 {
		if a == bpfseccomp.ActionErrno {
			a |= bpfseccomp.Action(unix.EPERM)
		}
		return uint32(a)
	}
	if auditArch != uint32(info.ID) {
		return ret(pol.DefaultAction)
	}
	if info.ID == arch.X86_64.ID && nr >= uint32(arch.X32.SeccompMask) {
		return ret(bpfseccomp.ActionErrno | bpfseccomp.Action(unix.ENOSYS))
	}
	holds := func(c bpfseccomp.Condition) bool {
		a := args[c.Argument]
		switch c.Operation {
		case bpfseccomp.Equal:
			return a == c.Value
		case bpfseccomp.NotEqual:
			return a != c.Value
		case bpfseccomp.LessThan:
			return a < c.Value
		case bpfseccomp.LessOrEqual:
			return a <= c.Value
		case bpfseccomp.GreaterThan:
			return a > c.Value
		case bpfseccomp.GreaterOrEqual:
			return a >= c.Value
		case bpfseccomp.BitsSet:
			return a&c.Value != 0
		case bpfseccomp.BitsNotSet:
			return a&c.Value == 0
		}
		panic(c.Operation)
	}
	for _, g := range pol.Syscalls {
		for _, n := range g.Names {
			if uint32(info.SyscallNames[n]) == nr {
				return ret(g.Action)
			}
		}
		for _, n := range g.NamesWithCondtions {
			if uint32(info.SyscallNames[n.Name]) != nr {
				continue
			}
			all := true
			for _, c := range n.Conditions {
				all = all && holds(c)
			}
			if all {
				return ret(g.Action)
			}
		}
	}
	return ret(pol.DefaultAction)
}

// TestSeccompFilter: the compiled filter (a tree of parts, see assemble) decides every
// syscall as its policy says, for Docker's default profile and one that denies by
// argument.
func TestSeccompFilter(t *testing.T) {
	info, err := arch.GetInfo("")
	if err != nil {
		t.Skip(err)
	}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: runtime.DefaultCapabilities()}}}
	def, err := seccomp.GetDefaultProfile(rs)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := seccomp.LoadProfile(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["mkdir","mkdirat","keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
		{"names":["clone"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}]}`, rs)
	if err != nil {
		t.Fatal(err)
	}
	argSets := [][6]uint64{{}, {unix.CLONE_NEWUSER}, {unix.CLONE_NEWNS | unix.CLONE_NEWUSER}, {8}, {0x20008},
		{0xffffffff}, {0x1_0000_0000}, {unix.AF_VSOCK}, {unix.AF_INET6}, {unix.AF_NETLINK}}
	for name, p := range map[string]*specs.LinuxSeccomp{"default": def, "custom": custom} {
		pol, err := policyOf(p, info)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := assemble(pol, info)
		if err != nil {
			t.Fatal(err)
		}
		vm, err := bpf.NewVM(tree)
		if err != nil {
			t.Fatal(err)
		}
		allowed := 0
		for _, a := range []uint32{uint32(info.ID), uint32(arch.I386.ID), 0} {
			for nr := uint32(0); nr < 1024; nr++ {
				for _, n := range []uint32{nr, nr | 0x40000000} {
					for _, args := range argSets {
						got, err := vm.Run(seccompData(n, a, args))
						if want := decide(pol, info, n, a, args); err != nil || uint32(got) != want {
							t.Fatalf("%s: nr %d arch %#x args %x: filter %#x (%v), policy %#x", name, n, a, args, got, err, want)
						}
						if uint32(got) == uint32(bpfseccomp.ActionAllow) {
							allowed++
						}
					}
				}
			}
		}
		if allowed == 0 {
			t.Fatalf("%s: nothing allowed", name)
		}
		t.Logf("%s: %d instructions", name, len(tree))
	}
}

// TestBadProfiles: a profile that does not parse, or that the library cannot express
// faithfully, is refused rather than loosened.
func TestBadProfiles(t *testing.T) {
	for _, bad := range []string{`{"defaultAction":`, `{"defaultAction":"SCMP_ACT_NOPE"}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":3,"valueTwo":1,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
			{"names":["clone"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}`} {
		if _, err := Compile(bad, runtime.DefaultCapabilities()); !errors.Is(err, ErrBadProfile) {
			t.Errorf("profile %s: %v", bad, err)
		}
	}
}

// BenchmarkCompileDefault is what one CLI process spends compiling Docker's default
// profile (once; Prepare overlaps it with creating the container).
func BenchmarkCompileDefault(b *testing.B) {
	for b.Loop() {
		if _, err := compile("", runtime.DefaultCapabilities()); err != nil {
			b.Fatal(err)
		}
	}
}

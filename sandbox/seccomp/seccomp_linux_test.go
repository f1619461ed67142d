package seccomp

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

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

// decide is what profile p means for one syscall, to check the compiled filter
// against: for the syscall's rules (those of another action than the default), its
// condition sets in the profile's order, then its first rule for any arguments, then
// the default; a syscall of another architecture meets the default action, an x32 one
// ENOSYS.
func decide(p *specs.LinuxSeccomp, nr, auditArch uint32, args [6]uint64) uint32 {
	act := func(a specs.LinuxSeccompAction, errno *uint) uint32 { r, _ := actionOf(a, errno); return r }
	def := act(p.DefaultAction, p.DefaultErrnoRet)
	if auditArch != uint32(auditArchNative) {
		return def
	}
	if auditArchNative == unix.AUDIT_ARCH_X86_64 && nr >= x32Bit {
		return unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	}
	holds := func(a specs.LinuxSeccompArg) bool {
		v := args[a.Index]
		switch a.Op {
		case specs.OpEqualTo:
			return v == a.Value
		case specs.OpNotEqual:
			return v != a.Value
		case specs.OpLessThan:
			return v < a.Value
		case specs.OpLessEqual:
			return v <= a.Value
		case specs.OpGreaterThan:
			return v > a.Value
		case specs.OpGreaterEqual:
			return v >= a.Value
		case specs.OpMaskedEqual:
			return v&a.Value == a.ValueTwo
		}
		panic(a.Op)
	}
	var anyArgs *uint32
	for _, sc := range p.Syscalls {
		a := act(sc.Action, sc.ErrnoRet)
		if a == def || !slices.ContainsFunc(sc.Names, func(n string) bool { m, ok := number(n); return ok && m == nr }) {
			continue
		}
		if len(sc.Args) == 0 {
			if anyArgs == nil {
				anyArgs = &a
			}
			continue
		}
		indexes := map[uint]bool{}
		for _, c := range sc.Args {
			indexes[c.Index] = true
		}
		all, some := true, false
		for _, c := range sc.Args {
			all = all && holds(c)
			some = some || holds(c)
		}
		if (len(indexes) == len(sc.Args) && all) || (len(indexes) < len(sc.Args) && some) {
			return a
		}
	}
	if anyArgs != nil {
		return *anyArgs
	}
	return def
}

// TestFilter: the compiled filter decides every syscall number (and x32's, and other
// architectures') as its profile says, for Docker's default profile and for one with
// every kind of argument comparison.
func TestFilter(t *testing.T) {
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: runtime.DefaultCapabilities()}}}
	def, err := seccomp.GetDefaultProfile(rs)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := seccomp.LoadProfile(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["mkdir","mkdirat","keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
		{"names":["clone"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967296,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":8,"op":"SCMP_CMP_NE"}]},
		{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":97,"args":[{"index":0,"value":10,"op":"SCMP_CMP_GT"},{"index":0,"value":40,"op":"SCMP_CMP_LE"}]},
		{"names":["socket","personality"],"action":"SCMP_ACT_LOG"},
		{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_LT"}]},
		{"names":["personality"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":4294967296,"op":"SCMP_CMP_GE"}]},
		{"names":["setns"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_LE"}]},
		{"names":["unshare"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_GT"},{"index":1,"value":8,"op":"SCMP_CMP_GE"}]},
		{"names":["kill"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967296,"op":"SCMP_CMP_LT"},{"index":1,"value":9,"op":"SCMP_CMP_EQ"}]}]}`, rs)
	if err != nil {
		t.Fatal(err)
	}
	values := []uint64{0, 1, 7, 8, 9, 10, 11, 40, 41, unix.CLONE_NEWUSER, unix.CLONE_NEWNS | unix.CLONE_NEWUSER,
		0x20008, 0xffffffff, 0x1_0000_0000, 0x1_0000_0008, 0xffff_ffff_ffff_ffff}
	for name, p := range map[string]*specs.LinuxSeccomp{"default": def, "custom": custom} {
		pol, err := policyOf(p)
		if err != nil {
			t.Fatal(err)
		}
		prog := pol.program()
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatal(err)
		}
		allowed := 0
		for _, a := range []uint32{auditArchNative, unix.AUDIT_ARCH_I386, 0} {
			for nr := uint32(0); nr < 1024; nr++ {
				for _, n := range []uint32{nr, nr | x32Bit} {
					for _, v0 := range values {
						for _, v1 := range []uint64{0, 8, 9, 0x1_0000_0009} {
							args := [6]uint64{v0, v1}
							got, err := vm.Run(seccompData(n, a, args))
							if want := decide(p, n, a, args); err != nil || uint32(got) != want {
								t.Fatalf("%s: nr %d arch %#x args %x: filter %#x (%v), profile %#x", name, n, a, args, got, err, want)
							}
							if uint32(got) == unix.SECCOMP_RET_ALLOW {
								allowed++
							}
						}
					}
				}
			}
		}
		if allowed == 0 {
			t.Fatalf("%s: nothing allowed", name)
		}
		t.Logf("%s: %d instructions", name, len(prog))
	}
}

// TestBadProfiles: a profile that does not parse, or asks for what seccomp has not, is
// refused.
func TestBadProfiles(t *testing.T) {
	for _, bad := range []string{`{"defaultAction":`, `{"defaultAction":"SCMP_ACT_NOPE"}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_SOMETIMES"}]}]}`} {
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

// TestCompileOnce: callers that come while a profile compiles (create, while Prepare's
// goroutine compiles the default) wait for that filter instead of compiling another.
func TestCompileOnce(t *testing.T) {
	caps := []string{"CAP_CHOWN", t.Name()} // a key no other test compiled
	const n = 8
	got, start := make(chan []byte, n), make(chan struct{})
	for range n {
		go func() {
			<-start
			f, err := Compile("", caps)
			if err != nil {
				t.Error(err)
			}
			got <- f
		}()
	}
	close(start)
	first := <-got
	for range n - 1 {
		if f := <-got; len(f) == 0 || &f[0] != &first[0] {
			t.Fatal("the profile was compiled more than once")
		}
	}
}

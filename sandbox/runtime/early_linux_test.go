package runtime

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/runtime/nsenter"
)

// As root (and rootless with one mapped id, see TestRootlessChild), a container's init
// is the fork its shim's constructor made (no exec of its own): a child of the shim,
// running the shim's protected binary, named dockling-init while it is held before its
// command. Start prepares the shim and then starts it, the path run takes.
func TestEarlyInitIsTheShimsFork(t *testing.T) {
	requireRoot(t)
	if !nsenter.Works() {
		t.Skip("built without cgo: no early init")
	}
	spec := newSpec(t, "true")
	spec.Process.Tty = true // held until the first attach: still our binary
	if err := Start(*spec, StartOptions{HoldUntilAttach: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Stop(spec.Dir, 0) })
	requireEarlyInit(t, spec.Dir)
}

// requireEarlyInit checks that the held init of the container in dir is its shim's fork.
func requireEarlyInit(t *testing.T, dir string) {
	t.Helper()
	st, err := status(dir)
	if err != nil {
		t.Fatal(err)
	}
	read := func(pid int, name string) string {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// No exec of its own: it still has the shim's command line.
	if args := strings.Split(read(st.Pid, "cmdline"), "\x00"); args[0] != "dockling-shim" {
		t.Errorf("the held init's command line is %q, want the shim's", args)
	}
	if comm := strings.TrimSpace(read(st.Pid, "comm")); comm != "dockling-init" {
		t.Errorf("the held init is %q, want dockling-init (the shim's fork)", comm)
	}
	if comm := strings.TrimSpace(read(st.ShimPid, "comm")); comm != "dockling-shim" {
		t.Errorf("the shim is %q, want dockling-shim", comm)
	}
	fields := strings.Fields(read(st.Pid, "stat")[strings.LastIndexByte(read(st.Pid, "stat"), ')')+1:])
	if len(fields) < 2 || fields[1] != strconv.Itoa(st.ShimPid) {
		t.Errorf("the init's parent is %v, want the shim %d", fields, st.ShimPid)
	}
	initExe, err1 := os.Stat("/proc/" + strconv.Itoa(st.Pid) + "/exe")
	if os.Geteuid() != 0 {
		// The held init keeps capabilities on Go's other threads until it execs: it is
		// not dumpable, so its owner (and so the container) cannot look into it.
		if !errors.Is(err1, fs.ErrPermission) {
			t.Errorf("the held init's exe: %v, want permission denied (not dumpable)", err1)
		}
		return
	}
	shimExe, err2 := os.Stat("/proc/" + strconv.Itoa(st.ShimPid) + "/exe")
	if err1 != nil || err2 != nil || !os.SameFile(initExe, shimExe) {
		t.Errorf("init and shim run different files (%v, %v)", err1, err2)
	}
}

package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dockling/dockling/sandbox/role"
)

// Init runs the runtime's role of a re-executed process (shim, container init, exec
// helper, capability probe, mapped helper waiting for its maps; package role decides
// which) and exits; in any other process it returns at once. The package's init calls
// it (see early_linux.go); calling it again is harmless.
func Init() {
	r := role.Current()
	switch r {
	case role.CLI, role.Mapped, role.Trash, role.LessonShell: // not the runtime's (see package role)
		return
	}
	// Its name in ps and top: started through /proc/self/fd/N, it would be "N". (Package
	// init runs on the main thread, whose name is the process's.)
	name := append([]byte("dockling-"+string(r)), 0)
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0)
	switch r {
	case role.Shim:
		shimMain()
	case role.Init:
		goruntime.LockOSThread() // capabilities are per thread: set them on the thread that execs
		initMain()
	case role.Exec:
		goruntime.LockOSThread()
		execMain()
	case role.Probe:
		probeMain()
	case role.MapWait:
		mapWaitMain()
	}
	fmt.Fprintf(os.Stderr, "dockling runtime: unknown role %q\n", r)
	os.Exit(2)
}

package trash

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// nameProcess sets the name ps and top show for this process. Package init runs on
// the main thread, whose name is the process's.
func nameProcess(name string) {
	b := append([]byte(name), 0)
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}

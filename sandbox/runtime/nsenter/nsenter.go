//go:build linux && cgo

package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void dockling_nsenter(void);
extern void dockling_early_init(void);
extern int dockling_early_pid;
extern int dockling_early_errno;
extern int dockling_early_child;
extern int dockling_nsenter_joined;
extern int dockling_nsenter_seccomp;
void __attribute__((constructor)) dockling_nsenter_init(void) {
	dockling_nsenter();
	dockling_early_init();
}
*/
import "C"

import "syscall"

// Works reports whether this build has the constructors (it needs cgo on Linux).
func Works() bool { return true }

// Joined reports whether the constructor put this process (an exec helper) in a
// container's namespaces.
func Joined() bool { return C.dockling_nsenter_joined != 0 }

// Seccomp reports whether the constructor loaded the container's seccomp filter in
// this process (an exec helper given one, see package doc): it is not to be loaded again.
func Seccomp() bool { return C.dockling_nsenter_seccomp != 0 }

// EarlyInit reports whether this process is a container init that the constructor
// forked in its shim: it is to play the init, whatever its environment says.
func EarlyInit() bool { return C.dockling_early_child != 0 }

// Early reports the container init the constructor started in this shim: its pid, or 0
// and why not (0 when it was not asked to).
func Early() (pid int, err error) {
	if C.dockling_early_errno != 0 {
		return 0, syscall.Errno(C.dockling_early_errno)
	}
	return int(C.dockling_early_pid), nil
}

//go:build linux && cgo

package trash

/*
#cgo CFLAGS: -Wall -O2
#include <stdlib.h>
extern void dockling_empty_trash(void);
extern int dockling_empty_trash_dir(const char *dir);
void __attribute__((constructor)) dockling_trash_init(void) {
	dockling_empty_trash();
}
*/
import "C"

import "unsafe"

// emptyInC is what the emptying process's constructor does (empty_linux.c), for tests:
// true when every trash entry of dir went.
func emptyInC(dir string) bool {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	return C.dockling_empty_trash_dir(cdir) == 0
}

//go:build linux && cgo

package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void dockling_nsenter(void);
void __attribute__((constructor)) dockling_nsenter_init(void) { dockling_nsenter(); }
*/
import "C"

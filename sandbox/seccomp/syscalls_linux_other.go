//go:build linux && !amd64 && !arm64

package seccomp

// No syscall table for this architecture (see mksyscalls.sh): Compile refuses, and
// containers run only with --security-opt seccomp=unconfined.
const auditArchNative = 0

var syscalls = [...]syscallNumber{}

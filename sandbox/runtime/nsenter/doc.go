// Package nsenter joins a running container's namespaces before the Go runtime starts.
//
// setns into a mount or user namespace is refused to a multi-threaded process, and the Go
// runtime starts threads before main, so it happens in a C constructor, when the process
// was started with _DOCKLING_NSENTER_PID set (by runtime.Exec). Namespaces the process
// already shares with the container (the host network) are skipped. After joining the pid
// namespace the constructor forks: the child, now a member of the container's pid
// namespace, goes on into Go; the parent waits and exits with the child's status.
// Errors are reported as a JSON sync message on fd 3, as runtime.Exec expects.
//
// Import it for its side effect only. Without cgo it does nothing.
package nsenter

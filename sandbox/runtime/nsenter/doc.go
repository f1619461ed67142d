// Package nsenter holds the runtime's work that must happen before the Go runtime starts
// threads, in C constructors.
//
// Joining a container (runtime.Exec): setns into a mount or user namespace is refused to
// a multi-threaded process, so it happens in a process started as the exec helper, with
// _DOCKLING_NSENTER_PID set. As in runc's nsexec, the process first makes itself
// non-dumpable, so that nothing in the container can ptrace it or open its memory, and,
// once in the namespaces, gives up every capability the container's processes lack
// (_DOCKLING_NSENTER_CAPS), bounding set included, before the Go runtime starts a
// thread. Before that it joins a fresh session keyring and, when the container leaves
// no_new_privs unset, loads the container's seccomp filter from the descriptor named by
// _DOCKLING_NSENTER_FILTER (Seccomp says so): without no_new_privs that takes
// CAP_SYS_ADMIN, which no Go thread of the helper may hold. Namespaces the process already shares with the container (the host network)
// are skipped. After joining the pid namespace the constructor forks: the child, now a
// member of the container's pid namespace, goes on into Go (Joined says so); the parent
// waits and exits with the child's status. Errors are reported as a JSON sync message on
// fd 3, as runtime.Exec expects.
//
// Starting a container's init early (runtime.Start, as root): a shim started with
// _DOCKLING_EARLY_INIT forks the container init before its own Go runtime starts; the
// child goes on into Go as the init (EarlyInit), so the two start-ups overlap; Early
// tells the shim's Go side the result.
//
// Without cgo it does nothing, and Early, EarlyInit and Joined report so: runtime.Exec
// then refuses, rather than run a command on the host.
package nsenter

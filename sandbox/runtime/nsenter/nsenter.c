//go:build linux && cgo

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// The sync socket of runtime.Exec: errors are reported there as the Go side does.
#define SYNC_FD 3

// Set once this process is in the container's namespaces, for the Go side (Joined);
// dockling_nsenter_seccomp once it loaded the container's seccomp filter (Seccomp).
int dockling_nsenter_joined = 0;
int dockling_nsenter_seccomp = 0;

static void report(const char *msg, int err) {
	char buf[512];
	int n = snprintf(buf, sizeof buf, "{\"type\":\"error\",\"msg\":\"%s: %s\"}", msg, strerror(err));
	if (n > 0)
		send(SYNC_FD, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, 0);
	_exit(125);
}

static void fail(const char *what, const char *ns, int err) {
	char msg[128];
	snprintf(msg, sizeof msg, "%s the container's %s namespace", what, ns);
	report(msg, err);
}

// join_keyring gives the process a fresh session keyring, so that the caller's keys are
// not the container's; as on the Go side (Security.beforeCredentials), a kernel without
// keyrings, or one that refuses, is tolerated. It must come before the seccomp filter:
// Docker's profile refuses keyctl.
static void join_keyring(void) {
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0 && errno != ENOSYS && errno != EPERM)
		report("joining a new session keyring", errno);
}

// load_seccomp loads the filter in the descriptor named by _DOCKLING_NSENTER_FILTER, if
// any (Exec passes one when the container leaves no_new_privs unset, see
// filterFile): without no_new_privs that takes CAP_SYS_ADMIN in the container's user
// namespace, which this process still holds here and gives up right after. The filter
// is a struct sock_filter array in host byte order, as the Go side compiled it.
static void load_seccomp(void) {
	static struct sock_filter insns[BPF_MAXINSNS];
	const char *s = getenv("_DOCKLING_NSENTER_FILTER");
	if (s == NULL || *s == '\0')
		return;
	int fd = atoi(s);
	struct stat st;
	if (fd < 3 || fstat(fd, &st) < 0)
		report("reading the seccomp filter", fd < 3 ? EBADF : errno);
	if (st.st_size <= 0 || st.st_size % sizeof insns[0] != 0 || st.st_size > (off_t)sizeof insns)
		report("reading the seccomp filter", EINVAL);
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = pread(fd, (char *)insns + off, st.st_size - off, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			report("reading the seccomp filter", n < 0 ? errno : EINVAL);
		off += n;
	}
	close(fd);
	struct sock_fprog prog = {(unsigned short)(st.st_size / sizeof insns[0]), insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		report("loading the seccomp filter", errno);
	dockling_nsenter_seccomp = 1;
}

// limit_caps leaves this process, still single-threaded, no capability outside keep in
// any set (the bounding set included), so that no thread the Go runtime starts holds
// more than the container's processes do.
static void limit_caps(unsigned long long keep) {
	for (int c = 0; c <= 63; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			fail("limiting capabilities in", "user", errno);
	}
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		fail("limiting capabilities in", "user", errno);
	for (int i = 0; i < 2; i++) {
		__u32 k = (__u32)(keep >> (32 * i));
		data[i].permitted &= k;
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("limiting capabilities in", "user", errno);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

// dockling_nsenter makes a process started as the exec helper (role "exec", see
// runtime.Exec) a member of the container of _DOCKLING_NSENTER_PID, as runc's nsexec
// does: non-dumpable before it joins anything, so that nothing in the container can
// ptrace it or open its memory; in every namespace; with no more capabilities than
// _DOCKLING_NSENTER_CAPS (the container's) once there, after a fresh session keyring
// and, if given, the container's seccomp filter.
void dockling_nsenter(void) {
	const char *role = getenv("_DOCKLING_RUNTIME_ROLE");
	if (role == NULL || strcmp(role, "exec") != 0)
		return;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("hiding from", "pid", errno);
	const char *s = getenv("_DOCKLING_NSENTER_PID");
	int pid = s == NULL ? 0 : atoi(s);
	if (pid <= 0)
		fail("finding", "pid", EINVAL);
	const char *caps = getenv("_DOCKLING_NSENTER_CAPS");
	if (caps == NULL || *caps == '\0')
		fail("finding the capabilities of", "user", EINVAL);
	unsigned long long keep = strtoull(caps, NULL, 0);
	// The container's freezer cgroup, joined while its host path is visible and before
	// the fork, so the process inherits it and a commit's freeze stops it too. A
	// container without one gets no variable; a refusal leaves the process unfrozen.
	const char *cg = getenv("_DOCKLING_NSENTER_CGROUP");
	if (cg != NULL && *cg != '\0') {
		char procs[4096];
		if ((size_t)snprintf(procs, sizeof procs, "%s/cgroup.procs", cg) < sizeof procs) {
			int fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "0", 1) < 0) {
					// best effort: see above
				}
				close(fd);
			}
		}
	}
	// user first: joining it grants the capabilities needed to join the others;
	// mnt last: it changes the root under the /proc paths.
	static const char *names[] = {"user", "ipc", "uts", "net", "pid", "mnt"};
	enum { N = sizeof names / sizeof names[0] };
	int fds[N];
	for (int i = 0; i < N; i++) {
		char path[64], self[64];
		struct stat a, b;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, names[i]);
		snprintf(self, sizeof self, "/proc/self/ns/%s", names[i]);
		fds[i] = -1;
		if (stat(path, &a) < 0)
			fail("finding", names[i], errno);
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue; // shared with us (e.g. the host network): nothing to join
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			fail("opening", names[i], errno);
	}
	for (int i = 0; i < N; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], 0) < 0)
			fail("joining", names[i], errno);
		close(fds[i]);
	}
	join_keyring();
	load_seccomp();
	limit_caps(keep);
	dockling_nsenter_joined = 1;
	// Only children enter the joined pid namespace.
	pid_t child = fork();
	if (child < 0)
		fail("forking into", "pid", errno);
	if (child == 0)
		return;
	close(SYNC_FD);
	int status;
	for (;;) {
		pid_t r = waitpid(child, &status, 0);
		if (r == child)
			break;
		if (r < 0 && errno != EINTR)
			_exit(125);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(125);
}

//go:build linux && cgo

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Set by dockling_early_init for the Go side (see Early and EarlyInit in nsenter.go).
int dockling_early_pid = 0;
int dockling_early_errno = 0;
int dockling_early_child = 0;

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// write_file writes s to path, for the id maps of a child.
static int write_file(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

// map_child makes uid and gid root in the user namespace of pid, as an unprivileged
// process may: one id each, setgroups denied.
static int map_child(long pid, long uid, long gid) {
	char path[64], line[64];
	snprintf(path, sizeof path, "/proc/%ld/setgroups", pid);
	if (write_file(path, "deny") < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/uid_map", pid);
	snprintf(line, sizeof line, "0 %ld 1\n", uid);
	if (write_file(path, line) < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/gid_map", pid);
	snprintf(line, sizeof line, "0 %ld 1\n", gid);
	return write_file(path, line);
}

// dockling_early_init runs in a container shim before the Go runtime starts, when Start
// asked for it (_DOCKLING_EARLY_INIT=cloneflags,sync,stdin,stdout,stderr[,uid,gid]:
// descriptor numbers in the shim; uid and gid when the init gets a user namespace of
// its own, in which they become root). It forks the container init at once, into its
// new namespaces; the child does not exec but goes on to start its own Go runtime as the
// init (the Go side asks EarlyInit), so the init's start-up runs while the shim's does,
// on another core, like runc's nsexec. Start ran the shim from a protected copy or mount
// of the binary, so the init, a fork of it, cannot be written through either (see
// protectedSelf). Anything unusual (a clone or a map refused) leaves it to the Go side,
// which starts the init the ordinary way with the same descriptors. The parent never
// closes them: the Go side owns them.
void dockling_early_init(void) {
	const char *role = getenv("_DOCKLING_RUNTIME_ROLE");
	const char *spec = getenv("_DOCKLING_EARLY_INIT");
	if (role == NULL || strcmp(role, "shim") != 0 || spec == NULL || *spec == '\0')
		return;
	long v[7];
	int n = 0;
	char *end = (char *)spec;
	while (n < 7) {
		v[n] = strtol(end, &end, 10);
		if (v[n] < 0 || (*end != ',' && *end != '\0')) {
			dockling_early_errno = EINVAL;
			return;
		}
		n++;
		if (*end == '\0')
			break;
		end++;
	}
	if ((n != 5 && n != 7) || *end != '\0') {
		dockling_early_errno = EINVAL;
		return;
	}
	int sync_fd = (int)v[1], in = (int)v[2], out = (int)v[3], err = (int)v[4];
	int userns = n == 7;

	// The container's v1 freezer cgroup (see joinFreezer in freezer_linux.go): made
	// here, joined by the child while it has one thread, by writing 0 to its tasks
	// file. A thread moving itself skips the lock whose taking waits out an RCU grace
	// period (milliseconds) when another process is moved. Failing that, the Go side
	// moves the init the ordinary way.
	const char *cg = getenv("_DOCKLING_EARLY_CGROUP");
	char tasks[4096];
	tasks[0] = '\0';
	if (cg != NULL && *cg != '\0' && strlen(cg) < sizeof tasks - 16) {
		if (mkdir(cg, 0755) < 0 && errno == ENOENT) {
			char parent[4096];
			strcpy(parent, cg);
			char *slash = strrchr(parent, '/');
			if (slash != NULL) {
				*slash = '\0';
				mkdir(parent, 0755);
				mkdir(cg, 0755);
			}
		}
		snprintf(tasks, sizeof tasks, "%s/tasks", cg);
	}

	// With a user namespace, the child waits until its ids are mapped.
	int mapped[2] = {-1, -1};
	if (userns && pipe2(mapped, O_CLOEXEC) < 0) {
		dockling_early_errno = errno;
		return;
	}
	long pid = syscall(SYS_clone, (unsigned long)v[0] | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		dockling_early_errno = errno;
		if (userns) {
			close(mapped[0]);
			close(mapped[1]);
		}
		return;
	}
	if (pid == 0) {
		// The container dies with its shim rather than running unsupervised. (A shim
		// that died before this took effect closed the sync socket: the init stops at
		// its next message.)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (tasks[0] != '\0') {
			int fd = open(tasks, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "0", 1) < 0) {
					// the Go side will see the init outside and move it
				}
				close(fd);
			}
		}
		if (userns) {
			char c;
			close(mapped[1]);
			if (read(mapped[0], &c, 1) != 1)
				_exit(1);
			close(mapped[0]);
		}
		setsid();
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(sync_fd, 3) < 0)
			_exit(125);
		syscall(SYS_close_range, 4, ~0U, 0);
		prctl(PR_SET_NAME, "dockling-init", 0, 0, 0);
		dockling_early_child = 1;
		return;
	}
	if (userns) {
		close(mapped[0]);
		if (map_child(pid, v[5], v[6]) < 0) {
			dockling_early_errno = errno;
			close(mapped[1]);
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, 0);
			return;
		}
		if (write(mapped[1], "m", 1) != 1) {
			dockling_early_errno = errno;
			close(mapped[1]);
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, 0);
			return;
		}
		close(mapped[1]);
	}
	dockling_early_pid = (int)pid;
}

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
#include <sys/syscall.h>
#include <unistd.h>

// Set by dockling_early_init for the Go side (see Early in early.go).
int dockling_early_pid = 0;
int dockling_early_errno = 0;

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define EARLY_OPEN_TREE_CLONE 1
#define EARLY_OPEN_TREE_CLOEXEC O_CLOEXEC
#define EARLY_AT_EMPTY_PATH 0x1000
#define EARLY_ATTR_RDONLY 0x1
#define EARLY_ATTR_NOSUID 0x2
#define EARLY_ATTR_NODEV 0x4

struct early_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

// dockling_early_init runs in a container shim before the Go runtime starts, when Start
// asked for it (_DOCKLING_EARLY_INIT=cloneflags,sync,stdin,stdout,stderr: descriptor
// numbers in the shim). It forks the container init at once, into its new namespaces and
// from a read-only bind mount of the binary, so the init's start-up runs while the shim's
// Go runtime starts, on another core. Anything unusual (no open_tree, a clone refused)
// leaves it to the Go side, which starts the init the ordinary way with the same
// descriptors. It never closes them: the Go side owns them.
void dockling_early_init(void) {
	const char *role = getenv("_DOCKLING_RUNTIME_ROLE");
	const char *spec = getenv("_DOCKLING_EARLY_INIT");
	if (role == NULL || strcmp(role, "shim") != 0 || spec == NULL || *spec == '\0')
		return;
	if (getenv("_DOCKLING_EXE_COPY") != NULL) { // the memfd copy was asked for: Go does it
		dockling_early_errno = EAGAIN;
		return;
	}
	long v[5];
	char *end = (char *)spec;
	for (int i = 0; i < 5; i++) {
		v[i] = strtol(end, &end, 10);
		if ((i < 4 && *end != ',') || (i == 4 && *end != '\0') || v[i] < 0) {
			dockling_early_errno = EINVAL;
			return;
		}
		end++;
	}
	int sync_fd = (int)v[1], in = (int)v[2], out = (int)v[3], err = (int)v[4];

	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", EARLY_OPEN_TREE_CLONE | EARLY_OPEN_TREE_CLOEXEC);
	if (tree < 0) {
		dockling_early_errno = errno;
		return;
	}
	struct early_mount_attr attr = {.attr_set = EARLY_ATTR_RDONLY | EARLY_ATTR_NOSUID | EARLY_ATTR_NODEV};
	if (syscall(SYS_mount_setattr, tree, "", EARLY_AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
		dockling_early_errno = errno;
		close(tree);
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", tree);

	long pid = syscall(SYS_clone, (unsigned long)v[0] | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		dockling_early_errno = errno;
		close(tree);
		return;
	}
	if (pid == 0) {
		// The container dies with its shim rather than running unsupervised.
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		setsid();
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(sync_fd, 3) < 0)
			_exit(125);
		if (tree > 4)
			syscall(SYS_close_range, 4, tree - 1, 0);
		syscall(SYS_close_range, tree + 1, ~0U, 0);
		char *argv[] = {"dockling-init", NULL};
		char *envp[] = {"_DOCKLING_RUNTIME_ROLE=init", NULL};
		execve(path, argv, envp);
		_exit(127);
	}
	close(tree);
	dockling_early_pid = (int)pid;
}

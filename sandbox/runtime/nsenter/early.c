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

// Set by dockling_early_init for the Go side (see Early and EarlyInit in nsenter.go).
int dockling_early_pid = 0;
int dockling_early_errno = 0;
int dockling_early_child = 0;

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// dockling_early_init runs in a container shim before the Go runtime starts, when Start
// asked for it (_DOCKLING_EARLY_INIT=cloneflags,sync,stdin,stdout,stderr: descriptor
// numbers in the shim). It forks the container init at once, into its new namespaces;
// the child does not exec but goes on to start its own Go runtime as the init (the Go
// side asks EarlyInit), so the init's start-up runs while the shim's does, on another
// core, like runc's nsexec. Start ran the shim from a read-only bind mount of the binary,
// so the init, a fork of it, cannot be written through either (see protectedSelf).
// Anything unusual (a clone refused) leaves it to the Go side, which starts the init the
// ordinary way with the same descriptors. The parent never closes them: the Go side owns
// them.
void dockling_early_init(void) {
	const char *role = getenv("_DOCKLING_RUNTIME_ROLE");
	const char *spec = getenv("_DOCKLING_EARLY_INIT");
	if (role == NULL || strcmp(role, "shim") != 0 || spec == NULL || *spec == '\0')
		return;
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

	long pid = syscall(SYS_clone, (unsigned long)v[0] | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		dockling_early_errno = errno;
		return;
	}
	if (pid == 0) {
		// The container dies with its shim rather than running unsupervised. (A shim
		// that died before this took effect closed the sync socket: the init stops at
		// its next message.)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		setsid();
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(sync_fd, 3) < 0)
			_exit(125);
		syscall(SYS_close_range, 4, ~0U, 0);
		prctl(PR_SET_NAME, "dockling-init", 0, 0, 0);
		dockling_early_child = 1;
		return;
	}
	dockling_early_pid = (int)pid;
}

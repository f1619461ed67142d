//go:build linux && cgo

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

// Deeper trees, and anything refused, are left to the Go side (Empty), rather than
// holding a descriptor and a stack frame per level here.
#define MAX_DEPTH 128

static const char trash_prefix[] = "trash-";

static int remove_at(int dirfd, const char *name, int depth);

// empty_dir deletes everything in the folder open as fd, and closes it.
static int empty_dir(int fd, int depth) {
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (e == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), e->d_name, depth + 1) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

// remove_at deletes name, in the folder open as dirfd, with everything below it. It
// never follows a symbolic link: one is deleted like a file.
static int remove_at(int dirfd, const char *name, int depth) {
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR || depth >= MAX_DEPTH)
		return -1;
	// Again if the folder was not empty after all: a listing need not show what was
	// added behind the reader.
	for (int try = 0; try < 3; try++) {
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		if (empty_dir(fd, depth) < 0)
			return -1;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != ENOTEMPTY)
			return -1;
	}
	return -1;
}

// dockling_empty_trash_dir deletes the trash-* entries of the folder dir, again until
// none is left. 0 when it did; -1 when something was refused (a folder without
// permissions, a tree too deep), which it leaves.
int dockling_empty_trash_dir(const char *dir) {
	int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -1;
	for (;;) {
		// A new open file each pass: a duplicate would share the last pass's position, at
		// the end, and miss what arrived since.
		int fd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd < 0 ? NULL : fdopendir(fd);
		if (d == NULL) {
			if (fd >= 0)
				close(fd);
			close(top);
			return -1;
		}
		int deleted = 0, failed = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, trash_prefix, sizeof trash_prefix - 1) != 0)
				continue;
			if (remove_at(top, e->d_name, 0) == 0)
				deleted++;
			else
				failed++;
		}
		closedir(d);
		if (failed > 0 || deleted == 0) {
			close(top);
			return failed > 0 ? -1 : 0;
		}
	}
}

// dockling_empty_trash runs before the Go runtime starts. In a dockling started to empty
// a trash folder (role "trash", the folder in _DOCKLING_EMPTY_TRASH, see Start and
// package role) it does that and exits: starting Go
// first would cost three times what the deleting does, after every rm and run --rm. If
// anything was refused it returns, and the Go side (the package's init) does it all: it
// makes folders writable and reports what remains.
void dockling_empty_trash(void) {
	const char *role = getenv("_DOCKLING_RUNTIME_ROLE");
	const char *dir = getenv("_DOCKLING_EMPTY_TRASH");
	if (role == NULL || strcmp(role, "trash") != 0 || dir == NULL || *dir == '\0')
		return;
	prctl(PR_SET_NAME, "dockling-trash", 0, 0, 0); // in ps and top, rather than "exe"
	if (dockling_empty_trash_dir(dir) == 0)
		_exit(0);
}

// SPDX-License-Identifier: MIT
/*
 * What qemu-user lacks, for make unit-aarch64, which links this into
 * every test with -Wl,--wrap=syscall and runs them with KEEL_QEMU_USER
 * set. Debian 12's QEMU (7.2) answers openat2 ENOSYS, so imaged/store/unpack.c
 * could unpack nothing there: openat2 as unpack.c calls it (a relative,
 * normalised name; RESOLVE_BENEATH, NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV;
 * a directory, O_NOFOLLOW) is walked here one component at a time with
 * openat. The native run (make unit) checks the kernel's own resolution;
 * this one checks the tar and path code on aarch64.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);

#define WALK_FLAGS (O_PATH | O_NOFOLLOW | O_CLOEXEC)

static long fail(int fd, int e)
{
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

static long walk_openat2(int dirfd, const char *name, const struct open_how *h)
{
	const __u64 known = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	char part[256];
	struct stat root, st;
	int fd, nfd;

	if (h->resolve != known || *name == '/')
		return fail(-1, h->resolve != known ? EINVAL : EXDEV);
	if (fstat(dirfd, &root) < 0)
		return -1;
	fd = openat(dirfd, ".", WALK_FLAGS);
	while (fd >= 0 && *name) {
		size_t k = strcspn(name, "/");

		if (k >= sizeof(part))
			return fail(fd, ENAMETOOLONG);
		memcpy(part, name, k);
		part[k] = 0;
		name += k + (name[k] == '/');
		if (!k || !strcmp(part, "."))
			continue;
		if (!strcmp(part, ".."))
			return fail(fd, EXDEV);
		nfd = openat(fd, part, WALK_FLAGS);
		if (nfd < 0)
			return fail(fd, errno);
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0)
			return fail(fd, errno);
		if (S_ISLNK(st.st_mode))
			return fail(fd, ELOOP);
		if (st.st_dev != root.st_dev)
			return fail(fd, EXDEV);
		if (*name && !S_ISDIR(st.st_mode))
			return fail(fd, ENOTDIR);
	}
	if (fd < 0)
		return -1;
	/* the O_PATH handle reopened with the caller's flags */
	nfd = openat(fd, ".", (int)h->flags);
	return nfd < 0 ? fail(fd, errno) : (close(fd), nfd);
}

long __wrap_syscall(long nr, ...)
{
	long a[6], r;
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	r = __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_openat2 && r < 0 && errno == ENOSYS &&
	    getenv("KEEL_QEMU_USER"))
		r = walk_openat2((int)a[0], (const char *)a[1],
				 (const struct open_how *)a[2]);
	return r;
}

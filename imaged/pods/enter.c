// SPDX-License-Identifier: MIT
#include "pods/enter.h"
#include "errmsg.h"
#include "file.h"
#include "run/container.h"
#include "run/runrecord.h"
#include "run/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int type;
} spaces[] = {
	[ENTER_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[ENTER_IPC] = { "ipc", CLONE_NEWIPC },
	[ENTER_UTS] = { "uts", CLONE_NEWUTS },
	[ENTER_NET] = { "net", CLONE_NEWNET },
	[ENTER_PID] = { "pid", CLONE_NEWPID },
	[ENTER_MNT] = { "mnt", CLONE_NEWNS },
};

/* "Key:\tvalue" of /proc/PID/status */
static const char *status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? p + strlen(key) + strspn(p + strlen(key), ":\t ") : NULL;
}

static char **read_environ(pid_t pid)
{
	static char buf[65536];
	static char *env[1024];
	char path[64];
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (len < 0)
		len = 0;
	buf[len] = '\0';
	for (char *p = buf; p < buf + len && n < 1023; p += strlen(p) + 1)
		env[n++] = p;
	env[n] = NULL;
	return env;
}

/*
 * How far the container's ids are shifted from the host's: 0 unless it
 * runs in a user namespace of its own (hostUsers: false), whose uid_map
 * ("inside outside count", as the host sees it) gives the shift.
 */
static long id_shift(pid_t pid, const char *map)
{
	char path[64], text[256];
	unsigned long inside, outside, count;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, map);
	if (read_text(path, text, sizeof(text)) <= 0 ||
	    sscanf(text, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return 0;
	return (long)outside - (long)inside;
}

static int user_ns(pid_t pid, struct ctr_entry *e, char *err, size_t errlen)
{
	char path[64];
	struct stat mine, theirs;

	e->userfd = -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (stat("/proc/self/ns/user", &mine) || stat(path, &theirs))
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
		return 0;
	if ((e->userfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	e->uid_shift = id_shift(pid, "uid_map");
	e->gid_shift = id_shift(pid, "gid_map");
	return 0;
}

/* run_dir/CTR_SECCOMP_FILE into e, or none when there is no such file */
static int profile(const char *run_dir, struct ctr_entry *e, char *err,
		   size_t errlen)
{
	char path[CTR_PATH_MAX + 16];
	ssize_t n;

	e->filter_n = 0;
	snprintf(path, sizeof(path), "%s/" CTR_SECCOMP_FILE, run_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0
				       : errmsg_errno(err, errlen, -errno,
						      errno, "%s", path);
	n = read(fd, e->filter, sizeof(e->filter));
	close(fd);
	if (n <= 0 || n % sizeof(*e->filter))
		return errmsg(err, errlen, -EINVAL, "%s: not a seccomp program",
			      path);
	e->filter_n = (size_t)n / sizeof(*e->filter);
	return 0;
}

int enter_open(pid_t pid, const char *run_dir, struct ctr_entry *e, char *err,
	       size_t errlen)
{
	char path[64];
	int r;

	for (int k = 0; k < 6; k++)
		e->fds[k] = -1;
	e->userfd = -1;
	if (!run_execd(run_dir))
		return errmsg(err, errlen, -EAGAIN,
			      "its setup is not done yet");
	for (int k = 0; k < 6; k++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid,
			 spaces[k].name);
		if ((e->fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return errmsg_errno(err, errlen, -errno, errno, "%s",
					    path);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, e->status, sizeof(e->status)) < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	e->env = read_environ(pid);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_text(path, e->cgroup, sizeof(e->cgroup)) < 0 ||
	    strncmp(e->cgroup, "0::", 3))
		return errmsg(err, errlen, -ENOENT, "%s: no cgroup v2 path",
			      path);
	e->cgroup[strcspn(e->cgroup, "\n")] = '\0';
	if ((r = profile(run_dir, e, err, errlen)))
		return r;
	return user_ns(pid, e, err, errlen);
}

void enter_close(struct ctr_entry *e)
{
	for (int k = 0; k < 6; k++)
		if (e->fds[k] >= 0)
			close(e->fds[k]);
	if (e->userfd >= 0)
		close(e->userfd);
	e->userfd = -1;
}

int enter_join(const struct ctr_entry *e, bool pid_too, char *err,
	       size_t errlen)
{
	char path[1100];

	snprintf(path, sizeof(path), "/sys/fs/cgroup%.1000s/cgroup.procs",
		 e->cgroup + 3);
	int cfd = open(path, O_WRONLY | O_CLOEXEC);
	if (cfd < 0 || write(cfd, "0", 1) != 1) {
		int r = errno;
		if (cfd >= 0)
			close(cfd);
		return errmsg_errno(err, errlen, -r, r, "join %s", path);
	}
	close(cfd);
	for (int k = 0; k < 6; k++)
		if ((k != ENTER_PID || pid_too) &&
		    setns(e->fds[k], spaces[k].type))
			return errmsg_errno(err, errlen, -errno, errno,
					    "join the %s namespace",
					    spaces[k].name);
	/* last: in it we have no say over the namespaces the host owns */
	if (e->userfd >= 0 && setns(e->userfd, CLONE_NEWUSER))
		return errmsg_errno(err, errlen, -errno, errno,
				    "join the user namespace");
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	_exit(126);
}

void enter_exec(const struct ctr_entry *e, const char *cwd, char **argv)
{
	const char *uid = status_field(e->status, "\nUid"),
		   *gid = status_field(e->status, "\nGid"),
		   *bnd = status_field(e->status, "\nCapBnd"),
		   *eff = status_field(e->status, "\nCapEff"),
		   *nnp = status_field(e->status, "\nNoNewPrivs"),
		   *sec = status_field(e->status, "\nSeccomp");
	uint64_t keep = bnd ? strtoull(bnd, NULL, 16) : 0;
	uint64_t effective = eff ? strtoull(eff, NULL, 16) : 0;
	/* the host's view of its ids, back to the container's own */
	uid_t u = uid ? strtoul(uid, NULL, 10) - e->uid_shift : 0;
	gid_t g = gid ? strtoul(gid, NULL, 10) - e->gid_shift : 0;
	char err[300];

	if (chdir(cwd) && chdir("/"))
		fail("chdir");
	for (int c = 0; c <= 63; c++)
		if (!(keep >> c & 1))
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (setgroups(1, &g) || setgid(g) || setuid(u))
		fail("the container's user");
	if (!u) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3
		};
		struct __user_cap_data_struct d[2] = { 0 };
		for (int w = 0; w < 2; w++)
			d[w].effective = d[w].permitted =
				(uint32_t)(effective >> (32 * w));
		if (syscall(SYS_capset, &h, d))
			fail("capset");
	}
	if (ctr_close_fds(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		_exit(126);
	}
	if (nnp && *nnp == '1' && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fail("no_new_privs");
	/* its profile's program, or the default filter */
	if (sec && *sec == '2' &&
	    (e->filter_n ? seccomp_install(e->filter, e->filter_n)
			 : seccomp_install_default()))
		fail("seccomp");
	ctr_exec(argv, e->env, err, sizeof(err));
	fprintf(stderr, "%s\n", err);
	_exit(errno == ENOENT ? 127 : 126);
}

// SPDX-License-Identifier: MIT
#include "run/container.h"
#include "errmsg.h"
#include "run/console.h"
#include "run/mounts.h"
#include "run/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The container's side of a start, run in its new namespaces before
 * execve: the same steps as runc and crun, for keel's subset of a Pod.
 * Its root and mounts are mounts.c's; here, who it runs as, what it may
 * do (capabilities, limits, no_new_privs, seccomp) and the execve.
 */

#define CAP_WORDS 2

#ifndef CLOSE_RANGE_CLOEXEC /* musl's headers lack it */
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Docker's default capabilities (moby oci/caps/defaults.go) */
static const uint64_t default_caps =
	1ull << CAP_CHOWN | 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_FSETID |
	1ull << CAP_FOWNER | 1ull << CAP_MKNOD | 1ull << CAP_NET_RAW |
	1ull << CAP_SETGID | 1ull << CAP_SETUID | 1ull << CAP_SETFCAP |
	1ull << CAP_SETPCAP | 1ull << CAP_NET_BIND_SERVICE |
	1ull << CAP_SYS_CHROOT | 1ull << CAP_KILL | 1ull << CAP_AUDIT_WRITE;

/* A user or group name from the image's /etc/passwd or /etc/group. */
static int lookup(const char *file, const char *name, uint32_t *id,
		  uint32_t *gid)
{
	char line[1024];
	FILE *f = fopen(file, "re");
	size_t n = strlen(name);
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		/* name:x:id:gid:... */
		char *p = strchr(line + n + 1, ':');
		if (!p)
			break;
		*id = strtoul(p + 1, &p, 10);
		if (gid && *p == ':')
			*gid = strtoul(p + 1, NULL, 10);
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* The groups that name user as a member in the image's /etc/group. */
static size_t member_groups(const char *user, gid_t *out, size_t max)
{
	char line[4096];
	FILE *f = fopen("/etc/group", "re");
	size_t n = 0;

	if (!f || !user)
		goto out;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *fields[4] = { line }, *p = line;
		for (int i = 1; i < 4 && (p = strchr(p, ':')); i++) {
			*p++ = '\0';
			fields[i] = p;
		}
		if (!p || !fields[3])
			continue;
		fields[3][strcspn(fields[3], "\n")] = '\0';
		for (char *m = strtok(fields[3], ","); m; m = strtok(NULL, ","))
			if (!strcmp(m, user)) {
				out[n++] = strtoul(fields[2], NULL, 10);
				break;
			}
	}
out:
	if (f)
		fclose(f);
	return n;
}

static int identity(const struct ctr_spec *s, uid_t *uid, gid_t *gid, char *err,
		    size_t errlen)
{
	const struct exec_spec *e = &s->e;
	uint32_t u = e->uid, g = e->gid, pg = 0;
	const char *user = e->user_name;
	char name[256];
	gid_t groups[32];
	size_t n;

	if (!e->uid_known && e->user_name) {
		if (lookup("/etc/passwd", e->user_name, &u, &pg))
			return errmsg(
				err, errlen, -ENOENT,
				"user %s is not in the image's /etc/passwd",
				e->user_name);
		if (!e->gid_known && !e->group_name)
			g = pg;
	} else {
		/*
		 * a numeric user: its passwd line's group (or 0), and its
		 * name for the groups it is a member of, as containerd's
		 * WithAdditionalGIDs gives a runAsUser
		 */
		struct passwd *pw;
		setpwent();
		while ((pw = getpwent()))
			if (pw->pw_uid == u) {
				if (!e->gid_known && !e->group_name)
					g = pw->pw_gid;
				snprintf(name, sizeof(name), "%s", pw->pw_name);
				user = name;
				break;
			}
		endpwent();
	}
	if (e->group_name && !e->gid_known &&
	    lookup("/etc/group", e->group_name, &g, NULL))
		return errmsg(err, errlen, -ENOENT,
			      "group %s is not in the image's /etc/group",
			      e->group_name);
	groups[0] = g;
	n = 1 + member_groups(user, groups + 1, 31 - s->n_groups);
	/* supplementalGroups and fsGroup, as the kubelet adds them */
	for (size_t i = 0; i < s->n_groups; i++)
		groups[n++] = s->groups[i];
	if (setgroups(n, groups) || setgid(g))
		return errmsg_errno(err, errlen, -errno, errno,
				    "groups of uid %u", u);
	*uid = u;
	*gid = g;
	return 0;
}

static int drop_caps(const struct pod_container *k, uid_t uid, char *err,
		     size_t errlen)
{
	uint64_t keep = k->drop_all ? 0 : default_caps & ~k->caps_drop;
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct d[CAP_WORDS] = { 0 };

	keep |= k->caps_add;
	/*
	 * privileged: every capability imaged holds. Asking capset for
	 * more (all 64 bits) fails where imaged lacks one, as in a
	 * container of its own.
	 */
	if (k->privileged) {
		if (syscall(SYS_capget, &h, d))
			return errmsg_errno(err, errlen, -errno, errno,
					    "capget");
		keep = d[0].permitted | (uint64_t)d[1].permitted << 32;
	}
	for (int c = 0; c <= 63; c++)
		if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) &&
		    errno != EINVAL)
			return errmsg_errno(err, errlen, -errno, errno,
					    "drop capability %d", c);
	/* a root user keeps the set through exec; anyone else starts bare */
	if (setuid(uid))
		return errmsg_errno(err, errlen, -errno, errno, "setuid %u",
				    uid);
	if (uid)
		return 0;
	for (int w = 0; w < CAP_WORDS; w++) {
		d[w].effective = d[w].permitted = (uint32_t)(keep >> (32 * w));
		d[w].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d))
		return errmsg_errno(err, errlen, -errno, errno, "capset");
	return 0;
}

/* Open files: the default containerd gives (1024 soft, 524288 hard). */
static int limits(char *err, size_t errlen)
{
	struct rlimit nofile = { 1024, 524288 };

	if (setrlimit(RLIMIT_NOFILE, &nofile))
		return errmsg_errno(err, errlen, -errno, errno,
				    "RLIMIT_NOFILE");
	return 0;
}

int ctr_close_fds(char *err, size_t errlen)
{
	/*
	 * Nothing above 2 reaches the program, whoever started it: a
	 * directory fd leaked into a container is a way out of its root
	 * (CVE-2024-21626). Close-on-exec rather than closed, so a pipe
	 * that reports a failed exec still works until the exec.
	 */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC))
		return errmsg_errno(err, errlen, -errno, errno, "close_range");
	return 0;
}

void ctr_exec(char *const argv[], char *const env[], char *err, size_t errlen)
{
	const char *prog = argv[0], *path = "/usr/local/sbin:/usr/local/bin:"
					    "/usr/sbin:/usr/bin:/sbin:/bin";
	char full[CTR_PATH_MAX];
	int last = ENOENT;
	if (strchr(prog, '/')) {
		execve(prog, argv, env);
		errmsg_errno(err, errlen, -errno, errno, "exec %s", prog);
		return;
	}
	for (size_t i = 0; env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			path = env[i] + 5;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(full, sizeof(full), "%.*s/%s", (int)n, n ? path : ".",
			 prog);
		execve(full, argv, env);
		if (errno != ENOENT)
			last = errno;
		path += n + (path[n] == ':');
	}
	errmsg_errno(err, errlen, -last, last,
		     "exec %s (on the container's PATH)", prog);
}

/*
 * Into the pod's user namespace, as its root: from here on the process
 * has capabilities over what that namespace owns (its network, its files
 * through the idmapped layers) and none over the host's.
 */
static int enter_userns(int usernsfd, char *err, size_t errlen)
{
	if (setns(usernsfd, CLONE_NEWUSER))
		return errmsg_errno(err, errlen, -errno, errno,
				    "join the pod's user namespace");
	if (setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return errmsg_errno(err, errlen, -errno, errno,
				    "become root of the pod's user namespace");
	return 0;
}

void ctr_setup_and_exec(const struct ctr_spec *s, int console, char *err,
			size_t errlen)
{
	const struct pod_container *k = s->k;
	char path[CTR_PATH_MAX + 8];
	uid_t uid = 0;
	gid_t gid = 0;
	int usernsfd = -1;

	/* opened now: pivot_root takes the path away */
	if (s->userns_base) {
		snprintf(path, sizeof(path), "%s/user", s->ns_dir);
		usernsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (usernsfd < 0) {
			errmsg_errno(err, errlen, -errno, errno, "%s", path);
			return;
		}
	}
	if (ctr_mount_root(s, usernsfd, err, errlen) || limits(err, errlen) ||
	    (usernsfd >= 0 && enter_userns(usernsfd, err, errlen)) ||
	    identity(s, &uid, &gid, err, errlen))
		return;
	/* workingDir is made when the image lacks it, as runc does */
	if (s->e.cwd[0] && chdir(s->e.cwd)) {
		int fd = ctr_open_in_root(AT_FDCWD, s->e.cwd, true);
		if (fd >= 0)
			close(fd);
		if (chdir(s->e.cwd)) {
			errmsg_errno(err, errlen, -errno, errno,
				     "workingDir %s", s->e.cwd);
			return;
		}
	}
	/*
	 * before the filter: from it on, only execve is made, so a profile
	 * needs to allow no call of ours but that (as under runc)
	 */
	if (drop_caps(k, uid, err, errlen) || ctr_close_fds(err, errlen))
		return;
	/* as the user it runs as: its terminal is its own */
	int r = console >= 0 ? console_setup(console) : 0;
	if (r) {
		errmsg_errno(err, errlen, r, -r, "a terminal");
		return;
	}
	if (!k->privileged) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
			errmsg_errno(err, errlen, -errno, errno,
				     "no_new_privs");
			return;
		}
		/* seccompProfile: Unconfined, Localhost, or the default */
		if (k->seccomp == POD_SECCOMP_LOCALHOST)
			r = s->seccomp ? seccomp_install(s->seccomp->f,
							 s->seccomp->n)
				       : -ENOENT;
		else if (k->seccomp != POD_SECCOMP_UNCONFINED)
			r = seccomp_install_default();
		if (r) {
			errmsg_errno(err, errlen, r, -r, "seccomp");
			return;
		}
	}
	ctr_exec((char *const *)s->e.argv, (char *const *)s->e.env, err,
		 errlen);
}

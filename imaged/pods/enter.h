/* SPDX-License-Identifier: MIT */
#ifndef KEEL_ENTER_H
#define KEEL_ENTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Into a running container from the host, as `imagectl exec` and an exec
 * probe go: its process tells everything (namespaces, cgroup, user,
 * capabilities, no_new_privs, seccomp, environment), so nothing of
 * imaged's is needed; a Localhost seccomp profile's program alone is
 * read from the run's folder (the kernel does not hand it back).
 */

enum { ENTER_CGROUP, ENTER_IPC, ENTER_UTS, ENTER_NET, ENTER_PID, ENTER_MNT };

struct ctr_entry {
	int fds[6]; /* its namespaces, in the order above */
	int userfd; /* its user namespace when not ours, or -1 */
	char status[4096]; /* /proc/PID/status */
	char **env; /* its environment (a static buffer) */
	long uid_shift, gid_shift; /* host ids minus its own */
	char cgroup[1024]; /* its cgroup's folder */
	/* its Localhost profile's program (run_dir's), or none: n 0 */
	struct sock_filter filter[BPF_MAXINSNS];
	size_t filter_n;
};

/*
 * Everything from /proc before its view is ours, and from run_dir (its
 * run's folder) the seccomp program it runs under when that is not the
 * default one: 0 or -errno with err
 */
int enter_open(pid_t pid, const char *run_dir, struct ctr_entry *e, char *err,
	       size_t errlen);
void enter_close(struct ctr_entry *e);

/*
 * The calling process into its cgroup and namespaces (the PID one, when
 * pid_too, takes only the caller's children). 0 or -errno with err.
 */
int enter_join(const struct ctr_entry *e, bool pid_too, char *err,
	       size_t errlen);

/*
 * In the joined namespaces: the container's identity (user, groups,
 * capabilities, no_new_privs, seccomp), cwd, then argv. On failure the
 * reason goes to stderr and the process ends with 126 (or 127 when the
 * program is not there).
 */
void enter_exec(const struct ctr_entry *e, const char *cwd, char **argv)
	__attribute__((noreturn));

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SPAWN_H
#define KEEL_SPAWN_H

#include "service.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * A service's process: who it runs as, resolved in init where a failure
 * can be reported; then its cgroup, session or console, stdio, readiness
 * fd, environment and working directory, set up in the child before
 * exec. What fails in the child is logged there and the child exits 126
 * (127: exec itself failed), which reaches init as an exit.
 */

struct creds {
	uid_t uid;
	gid_t gid;
	char home[SERVICE_PATH_MAX];
};

/* The user and group of s: 0, or -ENOENT with the reason in err. */
int spawn_creds(const struct service *s, struct creds *c, char *err,
		size_t len);

/* init's side of a process started for a service. */
struct spawned {
	pid_t pid;
	int out_fd; /* read end of its stdout/stderr (non-blocking), or -1 */
	int ready_fd; /* read end of its readiness pipe (non-blocking), or -1 */
};

/* Fork and exec s as c: 0, or -errno with what failed in err. */
int spawn_service(const struct service *s, const struct creds *c,
		  struct spawned *p, char *err, size_t len);

#endif

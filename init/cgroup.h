/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CGROUP_H
#define KEEL_CGROUP_H

#include <stdbool.h>

/*
 * Each service runs in /sys/fs/cgroup/system/<name>, so stopping it
 * reaches every process it forked, double-forked daemons included.
 */
#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_SYSTEM CGROUP_ROOT "/system"

/* Create the system group and enable controllers for later children. */
int cgroup_setup(void);

/* Create (or keep) the service's group. */
int cgroup_create(const char *name);

/* In the child before exec: move the calling process into the group. */
int cgroup_enter(const char *name);

/* SIGKILL every process in the group (cgroup.kill, Linux 5.14+). */
int cgroup_kill(const char *name);

/* Whether any process is left in the group. */
bool cgroup_populated(const char *name);

/* Remove the empty group. */
int cgroup_remove(const char *name);

#endif

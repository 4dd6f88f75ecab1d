/* SPDX-License-Identifier: MIT */
#ifndef KEEL_RUNRECORD_H
#define KEEL_RUNRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * What a run's shim leaves in its run_dir, read back by imaged (the shim
 * side is runtime.c):
 *
 * run_dir/run   pid=, shim=, started= (epoch ms): the run is live
 * run_dir/execd (empty): the container's program is exec'd, its setup
 *               done; only then may anything enter it (exec, hooks)
 * run_dir/exit  code=, signal=, oom=, finished=, reason=: it ended
 */

#define RUN_EXECD "execd"

struct run_info {
	bool live, ended; /* run file; exit file */
	pid_t pid, shim;
	long long started, finished; /* epoch ms */
	int code, signal;
	bool oom;
	char reason[256]; /* why it never started, or "" */
};

/* What run_dir says of the latest run. */
void run_read(const char *run_dir, struct run_info *r);

/*
 * Whether the latest run's program is exec'd (run_dir/execd). Before,
 * its process is still the shim's child setting itself up: root, every
 * capability, no seccomp, the host's mounts. Entering it then would be
 * entering that.
 */
bool run_execd(const char *run_dir);

/* The shim's side: the program is exec'd */
void run_mark_execd(const char *run_dir);

/* A run to stop: its folder and its container's cgroup. */
struct run_ref {
	const char *run_dir, *cgroup;
};

/*
 * Stop the runs together: SIGTERM to each, then after grace_ms every
 * process in the cgroups of those still live is killed, so n runs take
 * one grace period, not n. Returns once each shim has written its exit
 * record; a shim that hangs 5 s past the grace is killed.
 */
void runs_stop(const struct run_ref *runs, size_t n, long grace_ms);

#endif

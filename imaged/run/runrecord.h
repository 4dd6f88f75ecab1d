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
 * run_dir/exit  code=, signal=, oom=, finished=, reason=: it ended
 */

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

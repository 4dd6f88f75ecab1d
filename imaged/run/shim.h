/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SHIM_H
#define KEEL_SHIM_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The shim's watch over one container run, once the container is
 * started: it takes the container's setup error (if any) from errp, copies
 * its output from out (or its terminal) into the log (rotated to .1 past
 * log_max bytes) and to an attached client, holds its stdin (attach.h),
 * waits for it, and writes run_dir/exit. The shim is a program of its
 * own, keel-shim (a hard link to imaged beside it), so /proc/PID/exe,
 * comm and argv all say so: `pidof imaged` is the daemon alone.
 */
struct shim_run {
	const char *run_dir, *log, *cgroup;
	long long log_max;
	long long ooms; /* the cgroup's oom_kill count before the start */
	pid_t pid; /* the container, a child of the shim */
	int out, errp; /* read ends: its output, its setup's error */
	int in; /* stdin's write end (stdin without tty), or -1 */
	int console; /* tty: where its terminal's master comes, or -1 */
	bool open_stdin, stdin_once; /* stdin, stdinOnce: attach.h */
};

/* Exec keel-shim for r (its fds kept open); returns only if that fails. */
void shim_exec(const struct shim_run *r);

/* The watch itself, in this process: never returns. */
void shim_watch(const struct shim_run *r) __attribute__((noreturn));

/*
 * run_dir/exit for a run that ended with status (waitpid's), or never
 * started (reason not ""); oom from the cgroup's count against ooms.
 */
void shim_write_exit(const char *run_dir, const char *cgroup, int status,
		     long long ooms, const char *reason);

/* The cgroup's memory.events oom_kill count. */
long long shim_oom_kills(const char *cgroup);

/*
 * keel-shim RUN_DIR LOG LOG_MAX CGROUP PID OOMS OUT_FD ERR_FD IN_FD
 * CONSOLE_FD STDIN (IN_FD, CONSOLE_FD -1 for none; STDIN 0, 1 stdin,
 * 2 stdin and stdinOnce)
 */
int shim_main(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODEXEC_H
#define KEEL_PODEXEC_H

#include <stddef.h>
#include <sys/types.h>

/* imagectl logs and exec, which read the host directly */
int pod_logs_main(int argc, char **argv);
int pod_exec_main(int argc, char **argv);

/*
 * The container of pod (its key) in dir: ctr when given, else the pod's
 * only one with a file named <ctr>suffix in dir/<pod>/ (a log), or with
 * a run folder (suffix ""). 0, or 1 with the error printed.
 */
int pod_pick(const char *dir, const char *pod, const char *ctr,
	     const char *suffix, char *out, size_t len);

/* Its running process, and its working folder: 0, or 1 (printed) */
int pod_target(const char *pod, const char *name, pid_t *pid, char *cwd,
	       size_t len);

#endif

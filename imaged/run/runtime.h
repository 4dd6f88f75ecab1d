/* SPDX-License-Identifier: MIT */
#ifndef KEEL_RUNTIME_H
#define KEEL_RUNTIME_H

#include "run/container.h"
#include "run/runrecord.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Starting and stopping container runs. Each run has a shim: a process
 * that leaves imaged's cgroup at once, starts the container as its child,
 * copies its output to the log and records how it ended. A shim is not
 * imaged, so an imaged that crashes or restarts leaves containers, logs
 * and exit records going; the next imaged reads them back from run_dir
 * (runrecord.h).
 */

/*
 * A new run of s (its upper layer made fresh). The shim's pid, or -errno
 * with err saying why.
 */
pid_t run_start(const struct ctr_spec *s, char *err, size_t errlen);

/*
 * The pod's shared namespaces (ipc, uts, and net unless hostNetwork),
 * held by bind mounts in pod_dir/ns so they outlive every container, with
 * its hostname, hosts and resolv.conf files beside. userns_base not 0: a
 * user namespace too (pod_dir/ns/user), mapping ids 0-65535 to
 * userns_base onwards, which owns the others. 0 or -errno.
 */
int sandbox_create(const struct pod *p, const char *pod_dir,
		   uint32_t userns_base, char *err, size_t errlen);
/* Undo sandbox_create and remove pod_dir. */
void sandbox_remove(const char *pod_dir);

/* Overlayfs, for the image's layers; loaded on first use from pods.list. */
int overlay_ready(char *err, size_t errlen);

/* CLOCK_REALTIME in ms, as run files keep times */
long long epoch_ms(void);

/* The whole cgroup of a container gone (its processes killed first). */
void cgroup_destroy(const char *path);

#endif

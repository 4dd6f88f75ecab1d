/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CONTAINER_H
#define KEEL_CONTAINER_H

#include "run/merge.h"
#include "oci/pod.h"
#include "run/seccompprofile.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One run of a container: what its process needs, filled in by imaged
 * (runtime.c) before the fork, so the shim and the container read it from
 * their copy of imaged's memory.
 */

#define CTR_PATH_MAX 512
#define CTR_LOWER_MAX 4000 /* overlay options fit in a page */

/* Where a pod's pieces live on a keel host. */
#define PODS_RUN_DIR "/run/imaged/pods" /* <pod>/ns/, <pod>/<ctr>/ */
#define PODS_VAR_DIR "/var/lib/keel/containers" /* <pod>/<ctr>/upper */
#define PODS_LOG_DIR "/var/log/pods" /* <pod>/<ctr>.log */
#define PODS_CGROUP "/sys/fs/cgroup/pods" /* <pod>/<ctr>/ */
#define SHIMS_CGROUP "/sys/fs/cgroup/shims"
/*
 * run_dir/seccomp: a Localhost profile's program as the container runs
 * under it (struct sock_filter, native order), for exec into it
 * (pods/enter.c); none when it runs under the default filter or none.
 */
#define CTR_SECCOMP_FILE "seccomp"

struct ctr_spec {
	const struct pod *pod;
	const struct pod_container *k;
	struct exec_spec e;
	char run_dir[CTR_PATH_MAX]; /* PODS_RUN_DIR/<pod>/<ctr> */
	char ns_dir[CTR_PATH_MAX]; /* PODS_RUN_DIR/<pod>/ns */
	char rootfs[CTR_PATH_MAX]; /* run_dir/rootfs, the mount point */
	char upper[CTR_PATH_MAX], work[CTR_PATH_MAX];
	char volumes[CTR_PATH_MAX]; /* PODS_VAR_DIR/<pod>/volumes */
	char cgroup[CTR_PATH_MAX]; /* PODS_CGROUP/<pod>/<ctr> */
	char log[CTR_PATH_MAX]; /* PODS_LOG_DIR/<pod>/<ctr>.log */
	char lower[CTR_LOWER_MAX]; /* overlay lowerdir=, the top layer first */
	long long log_max; /* bytes before the log is rotated */
	long pids_max; /* pids.max; 0: no limit */
	/* not 0: its own user namespace (ns_dir/user), id 0 at this host id */
	uint32_t userns_base;
	/* each volume of the pod, by index: where it comes from on the host */
	char vol_src[POD_VOLUMES_MAX][CTR_PATH_MAX];
	bool vol_ro[POD_VOLUMES_MAX]; /* read-only whatever a mount says */
	/* seccompProfile Localhost: the profile, read by imaged before */
	const struct seccomp_filter *seccomp;
	/* supplementalGroups and fsGroup: groups the process has besides */
	size_t n_groups;
	uint32_t groups[POD_GROUPS_MAX + 1];
};

/*
 * In the container's fresh mount, PID, cgroup namespaces: its root file
 * system, mounts, identity, limits and confinement, then execve; with a
 * console socket (or -1), a terminal of its devpts, its master sent there
 * (console.h). Returns only on failure, with err saying which step failed.
 */
void ctr_setup_and_exec(const struct ctr_spec *s, int console, char *err,
			size_t errlen);

/*
 * Every fd past 2 close-on-exec: the step before the seccomp filter and
 * ctr_exec. 0 or -errno with err.
 */
int ctr_close_fds(char *err, size_t errlen);

/*
 * execve argv[0] as execvp finds it, but on env's PATH (the container's),
 * with env: only execve calls, so any seccomp filter that lets execve
 * through may be in place. Returns only on failure.
 */
void ctr_exec(char *const argv[], char *const env[], char *err, size_t errlen);

#endif

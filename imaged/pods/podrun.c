// SPDX-License-Identifier: MIT
#include "pods/podrun.h"
#include "ctlsock.h"
#include "imaged.h"
#include "pods/pods.h"
#include "pods/podspec.h"
#include "pods/sandbox.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A run's output, then how it ended, as the answer to imagectl run */
static void report(int fd, const struct ctr_spec *s, const char *run_dir)
{
	struct run_info ri;
	char buf[CTL_MSG_MAX - 2];
	ssize_t n;

	run_read(run_dir, &ri);
	int lfd = open(s->log, O_RDONLY | O_CLOEXEC);
	while (lfd >= 0 && (n = read(lfd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		ctl_send(fd, CTL_MORE, buf);
	}
	if (lfd >= 0)
		close(lfd);
	if (ri.reason[0])
		ctl_sendf(fd, CTL_ERR, "did not start: %s", ri.reason);
	else if (ri.code)
		ctl_sendf(fd, CTL_ERR, "%s %d",
			  ri.signal ? "killed by signal" : "exited with",
			  ri.signal ? ri.signal : ri.code);
	else
		ctl_send(fd, CTL_OK, "");
}

/*
 * imagectl run [--net=host] [--host-users=BOOL] IMAGE [COMMAND [ARG]...]:
 * one container, run to its end and removed, its output in the answer
 * (`docker run --rm`). Like a pod's, it gets a network namespace on
 * keel0 unless --net=host, and a user namespace when --host-users=false
 * (or by imaged.conf's default_host_users). A child of the daemon waits
 * for it, so the socket keeps answering.
 */
/* --net=host, --host-users=BOOL: the index of IMAGE, or -1 answered */
static int options(int fd, int argc, char **argv, struct pod *pod)
{
	int a = 1;

	for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
		if (!strcmp(argv[a], "--net=host"))
			pod->host_network = true;
		else if (!strncmp(argv[a], "--host-users=", 13) &&
			 text_bool(argv[a] + 13) >= 0) {
			pod->has_host_users = true;
			pod->host_users = text_bool(argv[a] + 13);
		} else {
			ctl_sendf(fd, CTL_ERR,
				  "run: unknown option %.40s (--net=host, "
				  "--host-users=false)",
				  argv[a]);
			return -1;
		}
	}
	if (a >= argc) {
		ctl_send(fd, CTL_ERR,
			 "usage: imagectl run [--net=host] "
			 "[--host-users=false] IMAGE [COMMAND]");
		return -1;
	}
	if (pod->host_network && pod->has_host_users && !pod->host_users) {
		ctl_send(fd, CTL_ERR,
			 "run: --host-users=false cannot go with "
			 "--net=host");
		return -1;
	}
	return a;
}

void pods_run_once(int fd, int argc, char **argv)
{
	static unsigned serial;
	struct pod *pod = calloc(1, sizeof(*pod));
	struct run_plan *plan = calloc(1, sizeof(*plan));
	char name[32], pod_dir[128], run_dir[256], err[512], ip[64];
	char path[CTR_PATH_MAX];
	int r, a;

	serial++;
	if (!pod || !plan) {
		ctl_send(fd, CTL_ERR, "out of memory");
		goto out;
	}
	if ((a = options(fd, argc, argv, pod)) < 0)
		goto out;
	pid_t child = fork();
	if (child) {
		if (child < 0)
			ctl_sendf(fd, CTL_ERR, "fork: %s", strerror(errno));
		goto out;
	}
	snprintf(name, sizeof(name), "run-%d-%u", getpid(), serial);
	pod->name = name;
	pod->ns = "default";
	pod->grace_s = -1;
	snprintf(pod->key, sizeof(pod->key), "%s", name);
	pod->restart = POD_RESTART_NEVER;
	pod->n_containers = 1;
	struct pod_container *k = &pod->containers[0];
	k->name = "run";
	k->image = argv[a];
	k->seccomp = POD_SECCOMP_RUNTIME_DEFAULT;
	for (int i = a + 1; i < argc; i++)
		k->command[k->n_command++] = argv[i];
	if (image_ref_parse(argv[a], &k->ref, err, sizeof(err)) ||
	    overlay_ready(err, sizeof(err))) {
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	snprintf(pod_dir, sizeof(pod_dir), PODS_RUN_DIR "/%s", name);
	snprintf(run_dir, sizeof(run_dir), "%s/run", pod_dir);
	/* its own namespaces, as a pod's: --net=host alone needs none */
	bool userns = pod_user_namespace(pod, pods_default_host_users());
	bool sandbox = !pod->host_network || userns;
	if (sandbox && pods_sandbox_up(pod, pod_dir, userns, ip, sizeof(ip),
				       err, sizeof(err))) {
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	pid_t shim = -1;
	if ((r = pods_plan(pod, k, sandbox ? pod_dir : NULL, run_dir, ip, plan,
			   err, sizeof(err))))
		ctl_sendf(fd, CTL_ERR, "%s%s", err,
			  r == -ENOENT ? " (imagectl pull it first)" : "");
	else if ((shim = run_start(&plan->s, err, sizeof(err))) < 0)
		ctl_send(fd, CTL_ERR, err);
	if (shim > 0) {
		waitpid(shim, NULL, 0);
		report(fd, &plan->s, run_dir);
	}
	cgroup_destroy(plan->s.cgroup);
	snprintf(path, sizeof(path), PODS_CGROUP "/%s", name);
	rmdir(path);
	if (sandbox)
		pods_sandbox_down(pod, pod_dir);
	store_rm_tree(pod_dir);
	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s", name);
	store_rm_tree(path);
	snprintf(path, sizeof(path), PODS_LOG_DIR "/%s", name);
	store_rm_tree(path);
	_exit(0);
out:
	free(pod);
	free(plan);
}

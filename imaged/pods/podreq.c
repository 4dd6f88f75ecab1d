// SPDX-License-Identifier: MIT
#include "pods/podreq.h"
#include "ctlsock.h"
#include "log.h"
#include "imaged.h"
#include "pods/pods.h"
#include "pods/podspec.h"
#include "pods/sandbox.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* imagectl's pod requests, daemon side: apply, delete, pods, stop, start. */

static void age(long long ms, char *out, size_t len)
{
	long long s = ms > 0 ? ms / 1000 : 0;

	if (s < 120)
		snprintf(out, len, "%llds", s);
	else if (s < 2 * 3600)
		snprintf(out, len, "%lldm", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, len, "%lldh", s / 3600);
	else
		snprintf(out, len, "%lldd", s / 86400);
}

static void list(int fd)
{
	char *text = malloc(CTL_MSG_MAX), status[64], when[16];
	size_t used = 0;
	int ready, total, restarts;

	if (!text) {
		ctl_send(fd, CTL_ERR, "out of memory");
		return;
	}
	used += snprintf(text, CTL_MSG_MAX, "%-24s %-6s %-22s %-8s %-5s %s\n",
			 "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP");
	for (size_t i = 0; i < n_pods; i++) {
		const struct pod_rt *p = pods[i];
		char rdy[16];
		pods_status(p, status, sizeof(status));
		pods_counts(p, &ready, &total, &restarts);
		snprintf(rdy, sizeof(rdy), "%d/%d", ready, total);
		age(p->created ? epoch_ms() - p->created : 0, when,
		    sizeof(when));
		int n = snprintf(text + used, CTL_MSG_MAX - used,
				 "%-24s %-6s %-22s %-8d %-5s %s\n",
				 p->spec->name, rdy, status, restarts,
				 p->created ? when : "-",
				 p->spec->host_network ? "(host)"
				 : p->ip[0]	       ? p->ip
						       : "-");
		if (n < 0 || (size_t)n >= CTL_MSG_MAX - used) {
			ctl_send(fd, CTL_MORE, text);
			used = 0;
			i--; /* again, on an empty page */
			continue;
		}
		used += n;
	}
	/* the last line's newline: ctl prints one of its own */
	if (used && text[used - 1] == '\n')
		text[--used] = '\0';
	ctl_send(fd, CTL_OK, text);
	free(text);
}

/* Each container's last words: why it is not running */
static void describe(int fd, const struct pod_rt *p)
{
	char line[700];

	if (p->error[0])
		ctl_sendf(fd, CTL_MORE, "%s: %s", p->spec->name, p->error);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		const struct run_info *r = &c->ri;
		if (c->error[0])
			snprintf(line, sizeof(line), "%s: %s", c->k->name,
				 c->error);
		else if (r->live)
			snprintf(line, sizeof(line),
				 "%s: running, pid %d, restarts %d", c->k->name,
				 r->pid, c->restarts);
		else if (r->ended)
			snprintf(line, sizeof(line),
				 "%s: %s, exit code %d%s%s, restarts %d",
				 c->k->name,
				 r->oom	   ? "OOMKilled"
				 : r->code ? "Error"
					   : "Completed",
				 r->code, r->reason[0] ? ": " : "", r->reason,
				 c->restarts);
		else
			snprintf(line, sizeof(line), "%s: waiting", c->k->name);
		ctl_send(fd, CTL_MORE, line);
	}
}

static void apply(int fd, const char *path)
{
	static char text[POD_TEXT_MAX + 1], old[POD_TEXT_MAX + 1];
	char err[600], dst[CTR_PATH_MAX];
	ssize_t n = read_text(path, text, sizeof(text));

	if (n < 0) {
		ctl_sendf(fd, CTL_ERR, "%s: %s", path, strerror((int)-n));
		return;
	}
	struct pod *spec = malloc(sizeof(*spec));
	if (!spec || pod_parse(text, n, path, spec, err, sizeof(err))) {
		ctl_send(fd, CTL_ERR, spec ? err : "out of memory");
		free(spec);
		return;
	}
	struct pod_rt *p = pods_find(spec->name);
	if (p && p->source != SRC_APPLIED) {
		ctl_sendf(fd, CTL_ERR,
			  "pod %s comes from %s; change it there, or give this "
			  "one another name",
			  spec->name, p->file);
		free(spec);
		return;
	}
	snprintf(dst, sizeof(dst), PODS_APPLIED_DIR "/%s.yaml", spec->name);
	ssize_t m = read_text(dst, old, sizeof(old));
	if (p && m == n && !memcmp(old, text, n)) {
		ctl_sendf(fd, CTL_OK, "pod/%s unchanged", spec->name);
		free(spec);
		return;
	}
	mkdir("/var/lib/keel", 0755);
	mkdir(PODS_APPLIED_DIR, 0755);
	int r = write_atomic(dst, text, n, 0600);
	if (r) {
		ctl_sendf(fd, CTL_ERR, "%s: %s", dst, strerror(-r));
		free(spec);
		return;
	}
	if (p) {
		/* a pod is not changed in place: the old one goes first */
		pods_stop(p);
		pods_remove(p);
	}
	if ((r = pods_add(spec, dst, SRC_APPLIED))) {
		unlink(dst);
		ctl_sendf(fd, CTL_ERR, "pod %s: %s", spec->name,
			  r == -ENOSPC ? "too many pods" : strerror(-r));
		free(spec);
		return;
	}
	log_info("pod %s %s from %s", spec->name, p ? "replaced" : "added",
		 path);
	ctl_sendf(fd, CTL_OK, "pod/%s %s", spec->name,
		  p ? "configured" : "created");
}

static struct pod_rt *named(int fd, const char *name)
{
	struct pod_rt *p = pods_find(name);

	if (!p)
		ctl_sendf(fd, CTL_ERR, "no pod %s (imagectl pods)", name);
	return p;
}

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
static void run_once(int fd, int argc, char **argv)
{
	static unsigned serial;
	struct pod *pod = calloc(1, sizeof(*pod));
	struct ctr_spec *s = calloc(1, sizeof(*s));
	struct store_view *v = malloc(sizeof(*v));
	char name[32], pod_dir[128], run_dir[256], err[512], ip[64];
	char path[CTR_PATH_MAX];
	int r, a = 1;

	serial++;
	if (!pod || !s || !v) {
		ctl_send(fd, CTL_ERR, "out of memory");
		goto out;
	}
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
			goto out;
		}
	}
	if (a >= argc) {
		ctl_send(fd, CTL_ERR,
			 "usage: imagectl run [--net=host] "
			 "[--host-users=false] IMAGE [COMMAND]");
		goto out;
	}
	if (pod->host_network && pod->has_host_users && !pod->host_users) {
		ctl_send(fd, CTL_ERR,
			 "run: --host-users=false cannot go with "
			 "--net=host");
		goto out;
	}
	pid_t child = fork();
	if (child) {
		if (child < 0)
			ctl_sendf(fd, CTL_ERR, "fork: %s", strerror(errno));
		goto out;
	}
	snprintf(name, sizeof(name), "run-%d-%u", getpid(), serial);
	pod->name = name;
	pod->restart = POD_RESTART_NEVER;
	pod->n_containers = 1;
	struct pod_container *k = &pod->containers[0];
	k->name = "run";
	k->image = argv[a];
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
	if ((r = pods_spec(pod, k, sandbox ? pod_dir : NULL, run_dir, s, v, err,
			   sizeof(err))))
		ctl_sendf(fd, CTL_ERR, "%s%s", err,
			  r == -ENOENT ? " (imagectl pull it first)" : "");
	else if ((shim = run_start(s, err, sizeof(err))) < 0)
		ctl_send(fd, CTL_ERR, err);
	if (shim > 0) {
		waitpid(shim, NULL, 0);
		report(fd, s, run_dir);
	}
	cgroup_destroy(s->cgroup);
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
	free(s);
	free(v);
}

bool pods_handle(int fd, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct pod_rt *p;

	if (!strcmp(cmd, "run") && argc >= 2) {
		run_once(fd, argc, argv);
		return true;
	} else if ((!strcmp(cmd, "pods") || !strcmp(cmd, "ps")) && argc == 1) {
		list(fd);
	} else if (!strcmp(cmd, "describe") && argc == 2) {
		if ((p = named(fd, argv[1]))) {
			describe(fd, p);
			ctl_sendf(fd, CTL_OK, "from %s", p->file);
		}
	} else if (!strcmp(cmd, "apply") && argc == 2) {
		apply(fd, argv[1]);
	} else if (!strcmp(cmd, "delete") && argc == 2) {
		if (!(p = named(fd, argv[1])))
			return true;
		if (p->source != SRC_APPLIED) {
			ctl_sendf(fd, CTL_ERR,
				  "pod %s comes from %s, which imagectl does "
				  "not change (imagectl stop %s stops it)",
				  p->spec->name, p->file, p->spec->name);
			return true;
		}
		char file[CTR_PATH_MAX], name[POD_NAME_MAX + 1];
		snprintf(file, sizeof(file), "%s", p->file);
		snprintf(name, sizeof(name), "%s", p->spec->name);
		pods_stop(p);
		pods_remove(p);
		unlink(file);
		log_info("pod %s deleted", name);
		ctl_sendf(fd, CTL_OK, "pod/%s deleted", name);
	} else if (!strcmp(cmd, "stop") && argc == 2) {
		if (!(p = named(fd, argv[1])))
			return true;
		pods_set_stopped(p, true);
		ctl_sendf(fd, CTL_OK, "pod/%s stopped", p->spec->name);
	} else if (!strcmp(cmd, "start") && argc == 2) {
		if (!(p = named(fd, argv[1])))
			return true;
		pods_set_stopped(p, false);
		ctl_sendf(fd, CTL_OK, "pod/%s started", p->spec->name);
	} else if (!strcmp(cmd, "pods") || !strcmp(cmd, "ps") ||
		   !strcmp(cmd, "describe") || !strcmp(cmd, "apply") ||
		   !strcmp(cmd, "delete") || !strcmp(cmd, "stop") ||
		   !strcmp(cmd, "start")) {
		ctl_sendf(fd, CTL_ERR, "usage: imagectl %s%s", cmd,
			  !strcmp(cmd, "pods") || !strcmp(cmd, "ps") ? ""
			  : !strcmp(cmd, "apply") ? " -f FILE"
						  : " POD");
	} else
		return false;
	pods_tick();
	return true;
}

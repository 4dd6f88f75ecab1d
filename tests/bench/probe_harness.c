// SPDX-License-Identifier: MIT
/*
 * probe_harness: imaged's probes (pods/probes.c, pods/handler.c) as its
 * event loop runs them, on the build host, for tests/bench/pod_probes.py.
 *
 *   probe_harness POD.yaml SECONDS IP...
 *
 * Each IP is a pod's address. Every pod runs the first container
 * of POD.yaml's probes, scheduled, tried and judged by imaged's own code;
 * the loop around them is pods.c's in small: one poll over every probe's
 * socket, then a step of each pod. After SECONDS, prints the tries that
 * failed and the pods that are ready. No container runs: the probes
 * find a server at each address, started by the bench, which also
 * reads this process's CPU time. Left out of imaged's loop: the other
 * steps of each pod (podstep.c), which do nothing while pods run. Exec handlers fail at once: there is no
 * container to enter (pods/enter.c is left out).
 */
#include "clock.h"
#include "pods/pods.h"
#include "pods/enter.h"
#include "pods/probes.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* probes.c's and handler.c's partners in pods.c */
struct pod_rt *pods[PODS_MAX];
size_t n_pods;
static int failures;
static struct pollfd watched[PODS_MAX * 2 * PROBES];
static int n_watched;

void pods_event(struct pod_rt *p, bool warning, const char *reason,
		const char *fmt, ...)
{
	(void)p;
	(void)fmt;
	failures += warning && !strcmp(reason, "Unhealthy");
}

/* runtime.c's, which brings the shim with it */
long long epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* No container runs here, so an exec handler has none to enter */
int enter_open(pid_t pid, const char *run_dir, struct ctr_entry *e, char *err,
	       size_t errlen)
{
	(void)pid;
	(void)run_dir;
	(void)e;
	snprintf(err, errlen, "no container in probe_harness");
	return -ENOENT;
}

void enter_close(struct ctr_entry *e)
{
	(void)e;
}

int enter_join(const struct ctr_entry *e, bool pid_too, char *err,
	       size_t errlen)
{
	(void)e;
	(void)pid_too;
	(void)err;
	(void)errlen;
	return -ENOENT;
}

void enter_exec(const struct ctr_entry *e, const char *cwd, char **argv)
{
	(void)e;
	(void)cwd;
	(void)argv;
	_exit(127);
}

bool pods_fired(int fd)
{
	for (int i = 0; i < n_watched; i++)
		if (watched[i].fd == fd)
			return watched[i].revents != 0;
	return false;
}

/* A pod whose container runs and is exec'd: its probes start now */
static struct pod_rt *pod_at(struct pod *spec, const char *ip)
{
	struct pod_rt *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->spec = spec;
	snprintf(p->ip, sizeof(p->ip), "%s", ip);
	p->n_ctrs = 1;
	struct ctr_rt *c = &p->ctrs[0];
	c->k = &spec->containers[0];
	c->ri.live = true;
	c->ri.pid = getpid();
	c->pidfd = -1;
	for (int i = 0; i < PROBES; i++)
		c->probes[i].fd = c->probes[i].out = -1;
	c->hook.fd = c->hook.out = -1;
	probes_start(c);
	c->execd = true;
	return p;
}

int main(int argc, char **argv)
{
	static char text[65536], err[512];
	static struct pod spec;
	FILE *f;
	size_t len;

	if (argc < 4) {
		fprintf(stderr,
			"usage: probe_harness POD.yaml SECONDS IP...\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "probe_harness: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	if (pod_parse(text, len, argv[1], &spec, err, sizeof(err))) {
		fprintf(stderr, "probe_harness: %s\n", err);
		return 1;
	}
	for (int i = 3; i < argc && n_pods < PODS_MAX; i++)
		if (!(pods[n_pods++] = pod_at(&spec, argv[i])))
			return 1;
	long long end = boottime_ms() + atol(argv[2]) * 1000LL;
	for (long long now = boottime_ms(); now < end; now = boottime_ms()) {
		long long due = end;
		n_watched = 0;
		for (size_t i = 0; i < n_pods; i++) {
			struct ctr_rt *c = &pods[i]->ctrs[0];
			long long at = probes_due(c);
			if (at >= 0 && at < due)
				due = at;
			n_watched += probes_watch(
				c, watched + n_watched,
				(int)(sizeof(watched) / sizeof(*watched)) -
					n_watched);
		}
		if (poll(watched, (nfds_t)n_watched,
			 due > now ? (int)(due - now) : 0) < 0 &&
		    errno != EINTR)
			return 1;
		for (size_t i = 0; i < n_pods; i++)
			probes_step(pods[i], &pods[i]->ctrs[0]);
	}
	int ready = 0;
	for (size_t i = 0; i < n_pods; i++)
		ready += pods[i]->ctrs[0].ready;
	printf("probe_harness: %d of %zu pods ready, %d tries failed\n", ready,
	       n_pods, failures);
	return 0;
}

// SPDX-License-Identifier: MIT
#include "pods/ctrs.h"
#include "clock.h"
#include "imaged.h"
#include "log.h"
#include "pods/podspec.h"
#include "pods/probes.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void ctrs_save(const struct ctr_rt *c)
{
	char path[CTR_PATH_MAX + 8], text[256];

	snprintf(text, sizeof(text),
		 "restarts=%d\nhandled=%lld\ndelay=%lld\nnext=%lld\ndone=%d\n",
		 c->restarts, c->handled, (long long)c->bo.delay_ms, c->next_ms,
		 c->done);
	snprintf(path, sizeof(path), "%s/state", c->run_dir);
	write_atomic(path, text, strlen(text), 0644);
}

static long long key(const char *text, const char *k)
{
	size_t n = strlen(k);

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, k, n) && l[n] == '=')
			return atoll(l + n + 1);
	return 0;
}

static void state_load(struct ctr_rt *c)
{
	char path[CTR_PATH_MAX + 8], text[256];

	snprintf(path, sizeof(path), "%s/state", c->run_dir);
	if (read_text(path, text, sizeof(text)) <= 0)
		return;
	c->restarts = key(text, "restarts");
	c->handled = key(text, "handled");
	c->bo.delay_ms = key(text, "delay");
	c->next_ms = key(text, "next");
	c->done = key(text, "done");
}

/*
 * A live run's shim, watched: not every shim is imaged's child (a
 * restarted imaged adopts those of the one before), so its end is seen
 * through a pidfd rather than SIGCHLD.
 */
void ctrs_watch(struct ctr_rt *c)
{
	if (c->pidfd < 0 && c->ri.shim > 0)
		c->pidfd = (int)syscall(SYS_pidfd_open, c->ri.shim, 0);
}

void ctrs_unwatch(struct ctr_rt *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

int ctrs_start(struct pod_rt *p, struct ctr_rt *c)
{
	struct run_plan *plan = calloc(1, sizeof(*plan));
	const char *pn = p->spec->key, *cn = c->k->name;
	int r = -ENOMEM;

	c->error[0] = '\0';
	if (!plan)
		snprintf(c->error, sizeof(c->error), "out of memory");
	else
		r = pods_plan(p->spec, c->k, p->dir, c->run_dir, p->ip, plan,
			      c->error, sizeof(c->error));
	if (!r) {
		pid_t shim = run_start(&plan->s, c->error, sizeof(c->error));
		r = shim < 0 ? (int)shim : 0;
		if (!r) {
			log_info("pod %s: started %s (%s)", pn, cn,
				 c->k->image);
			pods_event(p, false, "Started", "Started container %s",
				   cn);
			/* the shim writes run soon; until then this is the run */
			memset(&c->ri, 0, sizeof(c->ri));
			c->ri.live = true;
			c->ri.shim = shim;
			c->ri.started = epoch_ms();
			ctrs_watch(c);
		}
	}
	if (r) {
		log_err("unable to start pod %s container %s: %s", pn, cn,
			c->error);
		pods_event(p, true, "Failed", "Error: %s", c->error);
	}
	free(plan);
	return r;
}

/* How a run ended, in words for the log */
static void how_it_ended(const struct run_info *ri, char *how, size_t len)
{
	if (ri->reason[0])
		snprintf(how, len, "%s: %s",
			 ri->pid > 0 ? "ended" : "did not start", ri->reason);
	else if (ri->oom)
		snprintf(how, len, "was killed: out of memory");
	else if (ri->signal)
		snprintf(how, len, "was killed by signal %d", ri->signal);
	else
		snprintf(how, len, "exited with %d", ri->code);
}

void ctrs_ended(struct pod_rt *p, struct ctr_rt *c)
{
	const struct run_info *ri = &c->ri;
	long long id = ri->started ? ri->started : ri->finished;
	char how[320];

	if (c->handled == id)
		return;
	c->handled = id;
	c->last = *ri;
	probes_stop(c);
	c->kill_at = 0;
	bool killed = ri->signal || ri->oom;
	/* a sidecar runs as long as the pod, whatever the pod's policy */
	bool again =
		c->k->sidecar ? true
		: c->is_init
			? ri->code != 0 && p->spec->restart != POD_RESTART_NEVER
			: restart_wanted(p->spec->restart, ri->code, killed);
	how_it_ended(ri, how, sizeof(how));
	if (p->state == POD_STOPPED) {
		log_info("pod %s: %s %s (stopped)", p->spec->key, c->k->name,
			 how);
	} else if (again) {
		int64_t d = backoff_next(&c->bo, ri->finished - ri->started);
		c->next_ms = boottime_ms() + d;
		log_info("pod %s: %s %s; starting again in %lld s",
			 p->spec->key, c->k->name, how, (long long)d / 1000);
		pods_event(p, true, "BackOff",
			   "Back-off restarting failed container %s",
			   c->k->name);
	} else {
		c->done = true;
		log_info("pod %s: %s %s", p->spec->key, c->k->name, how);
	}
	ctrs_save(c);
}

/* What the run's files say, or the start this imaged made before them */
void ctrs_refresh(struct ctr_rt *c)
{
	struct run_info r;

	run_read(c->run_dir, &r);
	if (!r.live && !r.ended && c->ri.live && !c->ri.pid && c->ri.shim > 0) {
		if (!kill(c->ri.shim, 0))
			return; /* the shim has not written its record yet */
		r = c->ri;
		r.live = false;
		r.ended = true;
		r.code = 128;
		snprintf(r.reason, sizeof(r.reason), "its shim ended early");
	}
	c->ri = r;
	if (!r.live)
		ctrs_unwatch(c);
}

void ctrs_load(struct ctr_rt *c)
{
	state_load(c); /* a run imaged left behind is adopted */
	run_read(c->run_dir, &c->ri);
	c->pidfd = -1;
	if (c->ri.live)
		ctrs_watch(c);
}

// SPDX-License-Identifier: MIT
#include "pods/probes.h"
#include "clock.h"
#include "log.h"
#include "pods/enter.h"
#include "pods/handler.h"
#include "run/runrecord.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEL_GRACE_S 10 /* terminationGracePeriodSeconds when not given */

static const char *const names[PROBES] = { "Liveness", "Readiness", "Startup" };

static const struct pod_probe *probe_of(const struct pod_container *k, int i)
{
	return i == PROBE_LIVENESS    ? &k->liveness
	       : i == PROBE_READINESS ? &k->readiness
				      : &k->startup;
}

void probes_stop(struct ctr_rt *c)
{
	for (int i = 0; i < PROBES; i++)
		handler_cancel(&c->probes[i]);
	handler_cancel(&c->hook);
	c->ready = c->started = false;
	c->ready_since = 0;
}

static void set_ready(struct pod_rt *p, struct ctr_rt *c, bool ready)
{
	if (c->ready == ready)
		return;
	c->ready = ready;
	c->ready_since = ready ? epoch_ms() : 0;
	log_info("pod %s: %s is %sready", p->spec->key, c->k->name,
		 ready ? "" : "not ");
}

void probes_start(struct ctr_rt *c)
{
	long long now = boottime_ms();

	probes_stop(c);
	c->kill_at = 0;
	c->execd = false;
	c->hooked = !c->k->post_start.kind;
	c->hook.next_ms = c->hooked ? 0 : now;
	c->started = !c->k->startup.h.kind;
	for (int i = 0; i < PROBES; i++) {
		const struct pod_probe *pb = probe_of(c->k, i);
		c->probes[i].next_ms =
			pb->h.kind ? now + pb->initial_delay_s * 1000LL : 0;
	}
}

void probes_kill(struct pod_rt *p, struct ctr_rt *c, const char *why)
{
	const struct pod_probe *lv = &c->k->liveness;
	long grace = lv->grace_s >= 0	     ? lv->grace_s
		     : p->spec->grace_s >= 0 ? p->spec->grace_s
					     : KEEL_GRACE_S;

	if (c->kill_at || !c->ri.live)
		return;
	pods_event(p, false, "Killing", "%s", why);
	log_info("pod %s: %s", p->spec->key, why);
	for (int i = 0; i < PROBES; i++)
		handler_cancel(&c->probes[i]);
	handler_cancel(&c->hook);
	c->ready = false;
	if (c->ri.pid > 0)
		kill(c->ri.pid, SIGTERM);
	c->kill_at = boottime_ms() + grace * 1000;
}

/* The grace of a liveness kill is over: every process of it goes */
static void kill_now(struct pod_rt *p, struct ctr_rt *c)
{
	char path[CTR_PATH_MAX + 32];

	snprintf(path, sizeof(path), PODS_CGROUP "/%s/%s/cgroup.kill",
		 p->spec->key, c->k->name);
	write_text(path, "1");
	c->kill_at = 0;
}

static void result(struct pod_rt *p, struct ctr_rt *c, int i)
{
	const struct pod_probe *pb = probe_of(c->k, i);
	struct probe_rt *pr = &c->probes[i];
	char why[300];

	if (pr->ok) {
		pr->successes++;
		pr->failures = 0;
	} else {
		pr->failures++;
		pr->successes = 0;
		pods_event(p, true, "Unhealthy", "%s probe failed: %s",
			   names[i], pr->why);
	}
	if (i == PROBE_STARTUP && pr->ok) {
		c->started = true;
		pr->next_ms = 0; /* done: the others take over */
		for (int j = 0; j < PROBES; j++)
			if (j != PROBE_STARTUP && c->probes[j].next_ms)
				c->probes[j].next_ms = boottime_ms();
	}
	if (i == PROBE_READINESS && pr->ok &&
	    pr->successes >= pb->success_threshold)
		set_ready(p, c, true);
	if (i == PROBE_READINESS && !pr->ok &&
	    pr->failures >= pb->failure_threshold)
		set_ready(p, c, false);
	if (i != PROBE_READINESS && !pr->ok &&
	    pr->failures >= pb->failure_threshold) {
		snprintf(why, sizeof(why),
			 "Container %s failed %s probe, will be restarted",
			 c->k->name,
			 i == PROBE_STARTUP ? "startup" : "liveness");
		probes_kill(p, c, why);
	}
}

/*
 * Nothing runs until the container's program is exec'd (runrecord.h:
 * before, its process is its setup, with the host's mounts and every
 * capability, so an exec handler would enter that), as the kubelet
 * starts hooks and probes once the container is started. Looked at
 * again every ENTER_RETRY_MS until it is.
 */
#define ENTER_RETRY_MS 50
static bool execd(struct ctr_rt *c)
{
	return c->execd || (c->execd = run_execd(c->run_dir));
}

/* postStart: the probes wait for it; a failed one kills the container */
static void hook_step(struct pod_rt *p, struct ctr_rt *c, long long now)
{
	struct probe_rt *h = &c->hook;
	char why[300];

	if (handler_busy(h)) {
		if (!handler_due(h, now) ||
		    !handler_progress(h, &c->k->post_start, now))
			return;
		if (h->ok) {
			c->hooked = true;
			return;
		}
		snprintf(why, sizeof(why), "PostStartHook failed: %s", h->why);
		pods_event(p, true, "FailedPostStartHook", "%s", why);
		probes_kill(p, c, why);
		return;
	}
	if (h->next_ms && now >= h->next_ms) {
		h->next_ms = 0;
		handler_launch(p, c, &c->k->post_start, h,
			       p->spec->grace_s >= 0 ? p->spec->grace_s
						     : KEEL_GRACE_S,
			       now);
	}
}

/* Whether probe i may run now: startup first, the others after it */
static bool may_run(const struct ctr_rt *c, int i)
{
	return c->hooked && !c->kill_at &&
	       (i == PROBE_STARTUP ? !c->started : c->started);
}

void probes_step(struct pod_rt *p, struct ctr_rt *c)
{
	long long now = boottime_ms();

	if (c->kill_at) {
		if (now >= c->kill_at)
			kill_now(p, c);
		return;
	}
	if (!execd(c))
		return;
	if (!c->hooked)
		hook_step(p, c, now);
	for (int i = PROBES - 1; i >= 0 && !c->kill_at; i--) {
		const struct pod_probe *pb = probe_of(c->k, i);
		struct probe_rt *pr = &c->probes[i];
		if (handler_busy(pr)) {
			if (handler_due(pr, now) &&
			    handler_progress(pr, &pb->h, now))
				result(p, c, i);
			continue;
		}
		if (!pr->next_ms || now < pr->next_ms || !may_run(c, i))
			continue;
		/* the kubelet's period: from one try's start to the next */
		pr->next_ms = now + pb->period_s * 1000LL;
		handler_launch(p, c, &pb->h, pr, pb->timeout_s, now);
		if (!handler_busy(pr))
			result(p, c, i); /* it could not even start */
	}
	/* without a readinessProbe: ready once started */
	if (!c->k->readiness.h.kind)
		set_ready(p, c, c->hooked && c->started && !c->kill_at);
}

long long probes_due(const struct ctr_rt *c)
{
	long long at = -1;

#define SOONER(t)                                  \
	do {                                       \
		long long t_ = (t);                \
		if (t_ > 0 && (at < 0 || t_ < at)) \
			at = t_;                   \
	} while (0)
	if (!c->ri.live)
		return -1;
	if (c->kill_at)
		return c->kill_at;
	if (!c->execd)
		return boottime_ms() + ENTER_RETRY_MS;
	if (!c->hooked)
		SOONER(handler_busy(&c->hook) ? c->hook.deadline_ms
					      : c->hook.next_ms);
	for (int i = 0; i < PROBES; i++) {
		const struct probe_rt *pr = &c->probes[i];
		if (handler_busy(pr))
			SOONER(pr->deadline_ms);
		else if (may_run(c, i))
			SOONER(pr->next_ms);
	}
#undef SOONER
	return at;
}

int probes_watch(const struct ctr_rt *c, struct pollfd *fds, int max)
{
	int n = handler_watch(&c->hook, fds, max);

	for (int i = 0; i < PROBES; i++)
		n += handler_watch(&c->probes[i], fds + n, max - n);
	return n;
}

bool probes_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs; j++) {
			struct ctr_rt *c = &pods[i]->ctrs[j];
			if (handler_reaped(&c->hook, pid, status))
				return true;
			for (int k = 0; k < PROBES; k++)
				if (handler_reaped(&c->probes[k], pid, status))
					return true;
		}
	return false;
}

long probes_pre_stop(struct pod_rt *p, long grace_ms)
{
	long long start = boottime_ms(), now = start;
	bool any = false;

	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct ctr_rt *c = &p->ctrs[i];
		probes_stop(c);
		if (!c->k || !c->k->pre_stop.kind || !c->ri.live)
			continue;
		handler_launch(p, c, &c->k->pre_stop, &c->hook,
			       (int)((grace_ms + 999) / 1000), now);
		any = true;
	}
	while (any && now - start < grace_ms) {
		any = false;
		for (size_t i = 0; i < p->n_ctrs; i++) {
			struct ctr_rt *c = &p->ctrs[i];
			if (!handler_busy(&c->hook))
				continue;
			handler_wait(&c->hook, 50);
			if (!handler_progress(&c->hook, &c->k->pre_stop,
					      boottime_ms()))
				any = true;
			else if (!c->hook.ok)
				pods_event(p, true, "FailedPreStopHook", "%s",
					   c->hook.why);
		}
		now = boottime_ms();
	}
	for (size_t i = 0; i < p->n_ctrs; i++)
		handler_cancel(&p->ctrs[i].hook);
	return (long)(now - start);
}

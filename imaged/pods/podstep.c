// SPDX-License-Identifier: MIT
#include "pods/podstep.h"
#include "clock.h"
#include "imaged.h"
#include "log.h"
#include "pods/ctrs.h"
#include "pods/objects.h"
#include "pods/probes.h"
#include "pods/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_RETRY_MS 1000 /* a failed sandbox (no overlayfs, netd) */

void podstep_set_state(struct pod_rt *p, enum pod_state s)
{
	if (p->state == s)
		return;
	log_info("pod %s: %s -> %s", p->spec->key, pod_state_name(p->state),
		 pod_state_name(s));
	p->state = s;
}

/* Every image the pod runs: its containers', its image volumes' */
static size_t pod_images(const struct pod_rt *p, const struct image_ref **out,
			 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_ctrs && n < max; i++)
		out[n++] = &p->ctrs[i].k->ref;
	for (size_t i = 0; i < p->spec->n_image_refs && n < max; i++)
		out[n++] = &p->spec->image_refs[i];
	return n;
}

#define IMAGES_MAX (2 * POD_CONTAINERS_MAX + POD_IMAGE_VOLUMES_MAX)

static void pull_missing(struct pod_rt *p)
{
	const struct image_ref *refs[IMAGES_MAX];
	size_t n = pod_images(p, refs, IMAGES_MAX);
	pid_t pid = fork();

	if (pid) {
		p->puller = pid > 0 ? pid : 0;
		if (pid < 0)
			p->pull_next_ms =
				boottime_ms() + backoff_next(&p->pull_bo, 0);
		return;
	}
	char err[1024], path[CTR_PATH_MAX + 16], ref[IMAGE_REF_MAX + 1];
	snprintf(path, sizeof(path), "%s/pull.err", p->dir);
	for (size_t i = 0; i < n; i++) {
		image_ref_format(refs[i], ref, sizeof(ref));
		if (images_pull_ref(pods_images(), ref, err, sizeof(err))) {
			char text[1300];
			snprintf(text, sizeof(text), "pull %.200s: %s", ref,
				 err);
			mkdir_parents(p->dir, 0755);
			write_atomic(path, text, strlen(text), 0644);
			_exit(1);
		}
	}
	unlink(path);
	_exit(0);
}

bool podstep_reaped(pid_t pid, int status)
{
	char path[CTR_PATH_MAX + 16];

	for (size_t i = 0; i < n_pods; i++) {
		struct pod_rt *p = pods[i];
		if (p->puller != pid)
			continue;
		p->puller = 0;
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			p->error[0] = '\0';
			p->pull_bo.delay_ms = 0;
			pods_event(p, false, "Pulled", "its images are pulled");
			return true;
		}
		snprintf(path, sizeof(path), "%s/pull.err", p->dir);
		if (read_text(path, p->error, sizeof(p->error)) <= 0)
			snprintf(p->error, sizeof(p->error), "pull failed");
		/* ImagePullBackOff: the kubelet's 10 s doubling to 5 min */
		p->pull_next_ms = boottime_ms() + backoff_next(&p->pull_bo, 0);
		log_err("unable to pull pod %s's images: %s", p->spec->key,
			p->error);
		pods_event(p, true, "Failed", "%s", p->error);
		return true;
	}
	return false;
}

/* Whether each image the pod runs is in the store */
static bool images_present(const struct pod_rt *p)
{
	const struct image_ref *refs[IMAGES_MAX];
	size_t n = pod_images(p, refs, IMAGES_MAX);
	struct store_image img;
	char name[IMAGE_REF_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		image_ref_format(refs[i], name, sizeof(name));
		if (store_image_get(pods_images()->store, name, &img))
			return false;
	}
	return true;
}

/* Overlayfs, then the pod's namespaces and address. */
static void sandbox(struct pod_rt *p)
{
	char err[300], text[32], path[CTR_PATH_MAX + 16];
	int r = overlay_ready(err, sizeof(err));

	if (!r)
		r = pods_sandbox_up(
			p->spec, p->dir,
			pod_user_namespace(p->spec, pods_default_host_users()),
			p->ip, sizeof(p->ip), err, sizeof(err));
	if (r) {
		if (strcmp(p->error, err)) {
			log_err("unable to make pod %s's sandbox: %s",
				p->spec->key, err);
			pods_event(p, true, "FailedCreatePodSandBox", "%s",
				   err);
		}
		snprintf(p->error, sizeof(p->error), "%s", err);
		p->retry_ms = boottime_ms() + SANDBOX_RETRY_MS;
		return;
	}
	p->created = epoch_ms();
	snprintf(path, sizeof(path), "%s/created", p->dir);
	snprintf(text, sizeof(text), "%lld", p->created);
	write_atomic(path, text, strlen(text), 0644);
	p->sandbox = true;
	p->error[0] = '\0';
	log_info("pod %s: namespaces ready%s%s", p->spec->key,
		 p->ip[0] ? ", address " : "", p->ip);
}

/* Whether c is waiting to start and may now */
static bool ctr_due(const struct ctr_rt *c, long long now)
{
	return !c->ri.live && !c->done && now >= c->next_ms;
}

/*
 * Init containers in order, each to success; a sidecar (restartPolicy
 * Always) counts once it runs and its startupProbe passed, and runs on.
 */
static void init_facts(const struct pod_rt *p, long long now,
		       struct pod_facts *f)
{
	bool next = true; /* the first not done is the one to run */

	for (size_t i = 0; i < p->n_ctrs && p->ctrs[i].is_init; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		f->n_init++;
		if (c->k->sidecar && c->ri.live && c->started) {
			f->init_done++;
		} else if (!c->k->sidecar && c->done && c->ri.code) {
			f->init_failed = true;
		} else if (!c->k->sidecar && c->done) {
			f->init_done++;
		} else if (next) {
			next = false;
			f->init_live = c->ri.live;
			f->init_due = ctr_due(c, now);
		}
	}
}

static void ctr_facts(const struct pod_rt *p, long long now,
		      struct pod_facts *f)
{
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		if (c->is_init && !c->k->sidecar)
			continue;
		f->n_ctrs += !c->is_init; /* a sidecar ends with the pod */
		if (c->done) {
			f->succeeded += !c->ri.code;
			f->failed += !!c->ri.code;
		} else if (ctr_due(c, now)) {
			f->due |= !c->is_init || f->init_done == f->n_init;
		} else if (!c->ri.live) {
			f->create_error |= c->error[0] != '\0';
			f->oom_wait |= c->ri.oom;
			f->crash_wait = true;
		}
	}
}

static void facts(const struct pod_rt *p, bool config, struct pod_facts *f)
{
	long long now = boottime_ms();

	*f = (struct pod_facts){
		.config = config,
		.pulling = p->puller > 0,
		.pull_due = now >= p->pull_next_ms,
		.sandbox = p->sandbox,
		.sandbox_due = now >= p->retry_ms,
	};
	/* the store is asked only while it matters */
	if (p->state == POD_PENDING || p->state == POD_PULLING)
		f->images = images_present(p);
	init_facts(p, now, f);
	ctr_facts(p, now, f);
}

/* Start what is due: the next init container, or the rest */
static void start_due(struct pod_rt *p, bool init)
{
	long long now = boottime_ms();

	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct ctr_rt *c = &p->ctrs[i];
		bool sidecar = c->is_init && c->k->sidecar;
		if (init ? !c->is_init : c->is_init && !sidecar)
			continue;
		if (init && c->done)
			continue; /* passed already */
		if (init && sidecar && c->ri.live) {
			if (c->started)
				continue; /* runs on beside the rest */
			return; /* its startupProbe first */
		}
		if (init && !ctr_due(c, now))
			return; /* the next one waits: in order */
		if (!ctr_due(c, now))
			continue;
		if (c->handled)
			c->restarts++;
		c->next_ms = 0;
		if (ctrs_start(p, c))
			/* tried again as a crash would be */
			c->next_ms = now + backoff_next(&c->bo, 0);
		else
			probes_start(c);
		ctrs_save(c);
		if (init)
			return; /* one at a time, in order */
	}
}

static void act(struct pod_rt *p, enum pod_action a)
{
	switch (a) {
	case POD_ACT_PULL:
		pull_missing(p);
		break;
	case POD_ACT_SANDBOX:
		sandbox(p);
		break;
	case POD_ACT_START_INIT:
	case POD_ACT_START:
		start_due(p, a == POD_ACT_START_INIT);
		break;
	case POD_ACT_NONE:
		break;
	}
}

/* ConfigMaps, Secrets and claims it names: there, or the pod waits */
static bool config(struct pod_rt *p)
{
	char why[300];

	if (!objects_pod_ready(p->spec, why, sizeof(why)))
		return true;
	if (p->state != POD_CONFIG_ERROR) {
		log_err("unable to start pod %s: %s", p->spec->key, why);
		pods_event(p, true, "Failed", "Error: %s", why);
	}
	snprintf(p->error, sizeof(p->error), "%s", why);
	return false;
}

void podstep(struct pod_rt *p)
{
	struct pod_facts f;
	enum pod_action a;
	bool ok = true;

	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct ctr_rt *c = &p->ctrs[i];
		/* a run known live, its shim not ended: its files are as read */
		bool quiet = c->ri.live && c->ri.pid > 0 && c->pidfd >= 0 &&
			     !pods_fired(c->pidfd);
		if (!quiet)
			ctrs_refresh(c);
		if (c->ri.ended)
			ctrs_ended(p, c);
		else if (c->ri.live)
			probes_step(p, c);
	}
	if (p->state == POD_PENDING || p->state == POD_CONFIG_ERROR)
		ok = config(p);
	for (int i = 0; i < 8; i++) {
		facts(p, ok, &f);
		enum pod_state was = p->state, next = pod_step(was, &f, &a);
		if (was == POD_CONFIG_ERROR && next != was)
			p->error[0] = '\0';
		podstep_set_state(p, next);
		act(p, a);
		if (next == was && a == POD_ACT_NONE)
			break;
	}
}

/*
 * A pull or sandbox to try again, a container's back-off running out, a
 * probe due, a liveness kill's grace running out.
 */
long long podstep_due(const struct pod_rt *p, long long now)
{
	long long at = -1;

	if (p->state == POD_PULL_BACKOFF)
		return p->pull_next_ms;
	if (p->state == POD_SANDBOX_ERROR)
		return p->retry_ms;
	for (size_t j = 0; j < p->n_ctrs; j++) {
		const struct ctr_rt *c = &p->ctrs[j];
		long long t = probes_due(c);
		if (pod_state_starts(p->state) && !c->ri.live && !c->done &&
		    c->next_ms > now && (t < 0 || c->next_ms < t))
			t = c->next_ms;
		if (t >= 0 && (at < 0 || t < at))
			at = t;
	}
	return at;
}

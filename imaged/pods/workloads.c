// SPDX-License-Identifier: MIT
#include "pods/workloads.h"
#include "clock.h"
#include "imaged.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OWNED_MAX 64

uint64_t workloads_hash(const struct obj_rt *w)
{
	return w->o->wl->template_hash ^
	       (uint64_t)w->wl.restarts * 0x9e3779b97f4a7c15ULL;
}

static void state_path(const struct obj_rt *w, char *out, size_t len)
{
	char k[32];
	size_t i = 0;

	for (const char *c = kobj_kind_name(w->o->kind); *c && i < 31; c++)
		k[i++] = (char)tolower((unsigned char)*c);
	k[i] = '\0';
	snprintf(out, len, WORKLOADS_DIR "/%s_%s_%s", k, w->o->meta->ns,
		 w->o->meta->name);
}

static long long field(const char *text, const char *k)
{
	const char *p = strstr(text, k);
	return p ? atoll(p + strlen(k)) : 0;
}

static void save(const struct obj_rt *w)
{
	char path[CTR_PATH_MAX], text[512];

	state_path(w, path, sizeof(path));
	snprintf(text, sizeof(text),
		 "restarts=%d\nsucceeded=%d\nfailed=%d\ncomplete=%d\n"
		 "job_failed=%d\nstarted=%lld\nwhy=%s\n",
		 w->wl.restarts, w->wl.succeeded, w->wl.failed, w->wl.complete,
		 w->wl.job_failed, w->wl.started, w->wl.why);
	mkdir_parents(WORKLOADS_DIR, 0700);
	write_atomic(path, text, strlen(text), 0600);
}

void workloads_adopt(struct obj_rt *w)
{
	char path[CTR_PATH_MAX], text[512];
	const char *why;

	state_path(w, path, sizeof(path));
	if (read_text(path, text, sizeof(text)) <= 0)
		return;
	w->wl.restarts = (int)field(text, "restarts=");
	w->wl.succeeded = (int)field(text, "succeeded=");
	w->wl.failed = (int)field(text, "failed=");
	w->wl.complete = field(text, "complete=");
	w->wl.job_failed = field(text, "job_failed=");
	w->wl.started = field(text, "started=");
	if ((why = strstr(text, "why=")))
		snprintf(w->wl.why, sizeof(w->wl.why), "%.*s",
			 (int)strcspn(why + 4, "\n"), why + 4);
}

static size_t owned(const struct obj_rt *w, struct pod_rt **out)
{
	size_t n = 0;

	for (size_t i = 0; i < n_pods && n < OWNED_MAX; i++)
		if (pods[i]->owner == w)
			out[n++] = pods[i];
	return n;
}

/*
 * The n of the next pod <name>-<n>: one a run folder is left of (an
 * imaged before this one made it: adopted), else the lowest no pod has.
 */
static int free_index(const struct obj_rt *w)
{
	char name[POD_NAME_MAX + 16], key[POD_NAME_MAX + 1];
	char path[CTR_PATH_MAX];

	for (int pass = 0; pass < 2; pass++)
		for (int n = 0; n < OWNED_MAX * 2; n++) {
			snprintf(name, sizeof(name), "%s-%d", w->o->meta->name,
				 n);
			if (pods_find(w->o->meta->ns, name) ||
			    pod_key(w->o->meta->ns, name, key, sizeof(key)))
				continue;
			snprintf(path, sizeof(path), PODS_RUN_DIR "/%s", key);
			if (pass || !access(path, F_OK))
				return n;
		}
	return OWNED_MAX * 2;
}

static struct pod_rt *make_pod(struct obj_rt *w)
{
	char name[POD_NAME_MAX + 16], err[600];
	int index = free_index(w);
	struct pod_rt *p;

	snprintf(name, sizeof(name), "%s-%d", w->o->meta->name, index);
	struct pod *spec = kobj_instance(w->o, name, err, sizeof(err));
	if (!spec) {
		log_err("unable to make pod %s of %s: %s", name,
			w->o->meta->name, err);
		return NULL;
	}
	if (pods_add(spec, NULL, w, w->file, w->origin, &p)) {
		log_err("unable to make pod %s: too many pods", name);
		free(spec);
		return NULL;
	}
	p->hash = workloads_hash(w);
	p->index = index;
	log_info("%s %s/%s: pod %s made", kobj_kind_name(w->o->kind),
		 w->o->meta->ns, w->o->meta->name, name);
	return p;
}

/* Ready for minReadySeconds: what a rolling update counts as available */
static bool available(const struct obj_rt *w, const struct pod_rt *p)
{
	long long since = 0;

	if (!pods_ready(p))
		return false;
	for (size_t i = 0; i < p->n_ctrs; i++)
		if (p->ctrs[i].ready_since > since)
			since = p->ctrs[i].ready_since;
	return epoch_ms() - since >= w->o->wl->min_ready_s * 1000LL;
}

/* Whether two pods of the template could not run side by side */
static bool exclusive(const struct pod *t)
{
	if (t->host_network)
		return true;
	for (size_t i = 0; i < t->n_containers; i++)
		for (size_t j = 0; j < t->containers[i].n_ports; j++)
			if (t->containers[i].ports[j].host_port)
				return true;
	return false;
}

/* The old pods: the one not available first, else the first found */
static struct pod_rt *oldest(const struct obj_rt *w, struct pod_rt **ps,
			     size_t n, uint64_t hash)
{
	struct pod_rt *pick = NULL;

	for (size_t i = 0; i < n; i++)
		if (ps[i]->hash != hash &&
		    (!pick || (available(w, pick) && !available(w, ps[i]))))
			pick = ps[i];
	return pick;
}

static void remove_pod(struct obj_rt *w, struct pod_rt *p, const char *why)
{
	log_info("%s %s/%s: pod %s deleted (%s)", kobj_kind_name(w->o->kind),
		 w->o->meta->ns, w->o->meta->name, p->spec->name, why);
	pods_delete(p);
}

/* One change toward replicas pods of the template: true if one was made */
static bool replicas_step(struct obj_rt *w)
{
	const struct workload *wl = w->o->wl;
	struct pod_rt *ps[OWNED_MAX], *p;
	size_t n = owned(w, ps);
	uint64_t hash = workloads_hash(w);
	int want = wl->kind == WL_DAEMONSET ? 1 : wl->replicas, fresh = 0,
	    ready = 0;
	bool excl = exclusive(wl->tmpl);
	int surge = excl ? 0 : wl->max_surge;
	int unavail = excl && wl->max_unavailable < 1 ? 1 : wl->max_unavailable;

	for (size_t i = 0; i < n; i++) {
		fresh += ps[i]->hash == hash;
		ready += available(w, ps[i]);
	}
	/* too many of the template: the last made go */
	if (fresh > want) {
		for (size_t i = n; i-- > 0;)
			if (ps[i]->hash == hash) {
				remove_pod(w, ps[i], "scaled down");
				return true;
			}
	}
	p = oldest(w, ps, n, hash);
	if (p &&
	    (wl->recreate ? wl->kind == WL_DEPLOYMENT
			  : !available(w, p) || ready - 1 >= want - unavail)) {
		remove_pod(w, p, "replaced");
		return true;
	}
	/* DaemonSet OnDelete: an old pod stays until someone deletes it */
	if (p && wl->recreate && wl->kind == WL_DAEMONSET)
		return false;
	if (fresh < want && (int)n < want + surge && !(wl->recreate && p))
		return make_pod(w) != NULL;
	return false;
}

static void job_end(struct obj_rt *w, bool ok, const char *why)
{
	struct pod_rt *ps[OWNED_MAX];
	size_t n = owned(w, ps);

	w->wl.complete = ok;
	w->wl.job_failed = !ok;
	snprintf(w->wl.why, sizeof(w->wl.why), "%s", why);
	log_info("Job %s/%s: %s%s%s", w->o->meta->ns, w->o->meta->name,
		 ok ? "complete" : "failed", ok ? "" : ": ", ok ? "" : why);
	/* what still runs of a failed Job is stopped; its pods stay */
	for (size_t i = 0; !ok && i < n; i++)
		if (pod_state_starts(ps[i]->state))
			pods_set_stopped(ps[i], true);
	save(w);
}

static bool job_step(struct obj_rt *w)
{
	const struct workload *wl = w->o->wl;
	struct pod_rt *ps[OWNED_MAX];
	size_t n = owned(w, ps);
	int active = 0, succeeded = 0, failed = 0;

	if (w->wl.complete || w->wl.job_failed)
		return false;
	if (!w->wl.started) {
		w->wl.started = epoch_ms();
		save(w);
	}
	for (size_t i = 0; i < n; i++) {
		enum pod_state s = ps[i]->state;
		succeeded += s == POD_SUCCEEDED;
		failed += s == POD_FAILED || s == POD_INIT_ERROR;
		active += s != POD_SUCCEEDED && s != POD_FAILED &&
			  s != POD_INIT_ERROR;
		/* OnFailure: each restart is a failure, as the Job counts */
		for (size_t j = 0; j < ps[i]->n_ctrs; j++)
			failed += ps[i]->ctrs[j].restarts;
	}
	w->wl.succeeded =
		succeeded > w->wl.succeeded ? succeeded : w->wl.succeeded;
	w->wl.failed = failed;
	if (w->wl.succeeded >= wl->completions)
		job_end(w, true, "");
	else if (failed > wl->backoff_limit)
		job_end(w, false,
			"BackoffLimitExceeded: Job has reached the "
			"specified backoff limit");
	else if (wl->active_deadline_s > 0 &&
		 epoch_ms() - w->wl.started > wl->active_deadline_s * 1000)
		job_end(w, false,
			"DeadlineExceeded: Job was active longer "
			"than specified deadline");
	else if (active < wl->parallelism &&
		 active + w->wl.succeeded < wl->completions)
		return make_pod(w) != NULL;
	return false;
}

void workloads_step(void)
{
	for (size_t i = 0; i < n_objs; i++) {
		struct obj_rt *w = objs[i];
		if (!w->o->wl)
			continue;
		/* a few changes a step: each deletion takes a grace period */
		for (int k = 0; k < OWNED_MAX; k++)
			if (!(w->o->wl->kind == WL_JOB ? job_step(w)
						       : replicas_step(w)))
				break;
	}
}

void workloads_delete(struct obj_rt *w)
{
	struct pod_rt *ps[OWNED_MAX];
	size_t n = owned(w, ps);
	char path[CTR_PATH_MAX];

	for (size_t i = 0; i < n; i++)
		pods_delete(ps[i]);
	state_path(w, path, sizeof(path));
	unlink(path);
}

int workloads_restart(struct obj_rt *w)
{
	if (!w->o->wl || w->o->wl->kind == WL_JOB)
		return -EINVAL;
	w->wl.restarts++;
	save(w);
	return 0;
}

void workloads_counts(const struct obj_rt *w, int *ready, int *updated,
		      int *total)
{
	struct pod_rt *ps[OWNED_MAX];
	size_t n = owned(w, ps);
	uint64_t hash = workloads_hash(w);

	*ready = *updated = 0;
	*total = (int)n;
	for (size_t i = 0; i < n; i++) {
		*ready += pods_ready(ps[i]);
		*updated += ps[i]->hash == hash;
	}
}

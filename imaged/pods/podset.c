// SPDX-License-Identifier: MIT
#include "pods/podset.h"
#include "errmsg.h"
#include "log.h"
#include "pods/podload.h"
#include "pods/workloads.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* o's namesake in the tables (a Pod's pod, any other kind's object) */
static const char *holder(const struct kobj *o, enum pod_origin *origin,
			  const struct kobj **now)
{
	if (o->kind == KOBJ_POD) {
		struct pod_rt *p = pods_find(o->meta->ns, o->meta->name);
		if (!p)
			return NULL;
		*origin = p->source;
		*now = p->obj;
		return p->file;
	}
	struct obj_rt *r = objects_find(o->kind, o->meta->ns, o->meta->name);
	if (!r)
		return NULL;
	*origin = r->origin;
	*now = r->o;
	return r->file;
}

int podset_check(struct kobj *const *o, size_t n, enum pod_origin src,
		 const char *file_name, char *err, size_t errlen)
{
	enum pod_origin origin;
	const struct kobj *now;
	const char *file;

	for (size_t i = 0; i < n; i++) {
		if (!(file = holder(o[i], &origin, &now)) || origin == src)
			continue;
		return errmsg(err, errlen, -EEXIST,
			      "%s:%d: metadata.name: %s %s/%s comes from %s; "
			      "the channel does not manage it",
			      file_name, o[i]->line, kobj_kind_name(o[i]->kind),
			      o[i]->meta->ns, o[i]->meta->name, file);
	}
	return 0;
}

/* One object of the new set: left as it runs when its text is the same */
static int put(struct kobj *o, enum pod_origin src, const char *file, char *err,
	       size_t errlen)
{
	enum pod_origin origin;
	const struct kobj *now = NULL;
	char name[160];
	const char *what;

	podload_name(o, name, sizeof(name));
	if (holder(o, &origin, &now) && origin == src && now &&
	    now->len == o->len && !memcmp(now->text, o->text, o->len)) {
		if (o->kind == KOBJ_POD)
			snprintf(pods_find(o->meta->ns, o->meta->name)->file,
				 CTR_PATH_MAX, "%s", file);
		else
			snprintf(objects_find(o->kind, o->meta->ns,
					      o->meta->name)
					 ->file,
				 CTR_PATH_MAX, "%s", file);
		kobj_free(o);
		log_info("%s unchanged", name);
		return 0;
	}
	int r = podload_object(o, src, file, &what, err, errlen);
	if (r)
		return errmsg_prefix(err, errlen, r, "%s: ", name);
	log_info("%s %s from %s", name, what, file);
	return 0;
}

static bool named(struct kobj *const *keep, size_t n, enum kobj_kind kind,
		  const char *ns, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i]->kind == kind && !strcmp(keep[i]->meta->ns, ns) &&
		    !strcmp(keep[i]->meta->name, name))
			return true;
	return false;
}

/* What src has and keep does not name: pods and workloads, then the rest */
static void drop(struct kobj *const *keep, size_t n, enum pod_origin src)
{
	for (size_t i = n_pods; i-- > 0;) {
		struct pod_rt *p = pods[i];
		if (p->source == src && !p->owner && p->obj &&
		    !named(keep, n, KOBJ_POD, p->spec->ns, p->spec->name)) {
			log_info("pod/%s deleted: not in %s any more",
				 p->spec->name, "the revision");
			pods_delete(p);
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = n_objs; i-- > 0;) {
			struct obj_rt *r = objs[i];
			bool data = r->o->data || r->o->pvc;
			if (r->origin != src || data != (pass == 1) ||
			    named(keep, n, r->o->kind, r->o->meta->ns,
				  r->o->meta->name))
				continue;
			log_info("%s %s/%s deleted: not in the revision",
				 kobj_kind_name(r->o->kind), r->o->meta->ns,
				 r->o->meta->name);
			if (r->o->wl)
				workloads_delete(r);
			objects_remove(r);
		}
}

int podset_replace(struct kobj **o, size_t n, enum pod_origin src,
		   const char *file, char *err, size_t errlen)
{
	int first = 0;

	/* the names kept, before the objects are taken */
	drop(o, n, src);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool data = o[i] && (o[i]->data || o[i]->pvc);
			if (!o[i] || data != !pass)
				continue;
			int r = put(o[i], src, file, err, errlen);
			if (r && !first)
				first = r;
			else if (r)
				log_err("unable to load %s", err);
			o[i] = NULL;
		}
	return first;
}

static bool workload_ready(const struct obj_rt *r, char *why, size_t len)
{
	int ready, updated, total, want = r->o->wl->replicas;

	if (r->o->kind == KOBJ_JOB) {
		if (r->wl.complete)
			return true;
		errmsg(why, len, 0, "job %s/%s is not complete%s%s",
		       r->o->meta->ns, r->o->meta->name,
		       r->wl.job_failed ? ": " : "", r->wl.why);
		return false;
	}
	if (r->o->kind == KOBJ_DAEMONSET)
		want = 1;
	workloads_counts(r, &ready, &updated, &total);
	if (ready >= want && updated == total && total == want)
		return true;
	errmsg(why, len, 0, "%s %s/%s has %d of %d pods ready and up to date",
	       kobj_kind_name(r->o->kind), r->o->meta->ns, r->o->meta->name,
	       ready < updated ? ready : updated, want);
	return false;
}

/* A pod that is not ready: its STATUS, and what says why */
static void pod_why(const struct pod_rt *p, char *why, size_t len)
{
	char status[64];
	const char *detail = p->error;

	pods_status(p, status, sizeof(status));
	for (size_t i = 0; !detail[0] && i < p->n_ctrs; i++) {
		if (p->ctrs[i].probes[PROBE_READINESS].why[0])
			detail = p->ctrs[i].probes[PROBE_READINESS].why;
		else if (p->ctrs[i].error[0])
			detail = p->ctrs[i].error;
	}
	errmsg(why, len, 0, "pod %s is %s, not ready%s%s", p->spec->key, status,
	       detail[0] ? ": " : "", detail);
}

bool podset_ready(enum pod_origin src, char *why, size_t len)
{
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i]->source == src && !pods_ready(pods[i])) {
			pod_why(pods[i], why, len);
			return false;
		}
	for (size_t i = 0; i < n_objs; i++)
		if (objs[i]->origin == src && objs[i]->o->wl &&
		    !workload_ready(objs[i], why, len))
			return false;
	return true;
}

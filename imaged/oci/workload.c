// SPDX-License-Identifier: MIT
#include "oci/workload.h"
#include "oci/meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a workload's name leaves room for its pods' "-<n>" */
#define WORKLOAD_NAME_MAX (POD_NAME_MAX - 5)

struct wl_walk {
	struct workload *wl;
	yaml_node_t *tmpl_node;
};

static int selector_pair(struct walk *w, yaml_node_t *v, const char *key,
			 const char *value, void *obj)
{
	struct workload *wl = obj;

	if (wl->n_selector == POD_LABELS_MAX)
		return walk_fail(w, v, "more than %d labels", POD_LABELS_MAX);
	wl->selector[wl->n_selector++] = (struct pod_kv){ key, value };
	return 0;
}

static int selector_field(struct walk *w, const char *key, yaml_node_t *v,
			  void *obj)
{
	if (!strcmp(key, "matchLabels"))
		return walk_string_map(w, v, selector_pair, obj);
	if (!strcmp(key, "matchExpressions"))
		return walk_fail(w, v,
				 "not supported by keel: matchLabels say "
				 "which pods are the workload's");
	return walk_unsupported(w, v);
}

/*
 * IntOrString: 1, or "25%" of replicas, kept as -1 - 25 until replicas
 * is known (resolve: surge rounded up, unavailable down).
 */
static int count_or_percent(struct walk *w, yaml_node_t *v, int *out)
{
	const char *s = v->type == YAML_SCALAR_NODE ? walk_scalar(v) : "";
	long n;
	char *end;

	if (v->type == YAML_SCALAR_NODE && *s && s[strlen(s) - 1] == '%') {
		n = strtol(s, &end, 10);
		if (*end != '%' || n < 0 || n > 100)
			return walk_fail(w, v, "a number or a percentage");
		*out = -1 - (int)n;
		return 0;
	}
	int r = walk_int(w, v, 0, 100000, &n);
	*out = (int)n;
	return r;
}

static int rolling_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct workload *wl = obj;

	if (!strcmp(key, "maxSurge"))
		return count_or_percent(w, v, &wl->max_surge);
	if (!strcmp(key, "maxUnavailable"))
		return count_or_percent(w, v, &wl->max_unavailable);
	if (!strcmp(key, "partition") && wl->kind != WL_DEPLOYMENT)
		return walk_fail(w, v, "not supported by keel");
	return walk_unsupported(w, v);
}

static int strategy_field(struct walk *w, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct workload *wl = obj;
	const char *s;
	int r;

	if (!strcmp(key, "type")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		const char *other =
			wl->kind == WL_DEPLOYMENT ? "Recreate" : "OnDelete";
		if (strcmp(s, "RollingUpdate") && strcmp(s, other))
			return walk_fail(w, v, "RollingUpdate or %s", other);
		wl->recreate = !strcmp(s, other);
		return 0;
	}
	if (!strcmp(key, "rollingUpdate"))
		return walk_fields(w, v, rolling_field, wl);
	return walk_unsupported(w, v);
}

static int template_field(struct walk *w, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod *p = obj;
	struct meta_walk mw = { &p->meta, POD_NAME_MAX };

	if (!strcmp(key, "metadata"))
		return walk_fields(w, v, meta_field, &mw);
	if (!strcmp(key, "spec"))
		return pod_walk_spec(w, v, p);
	return walk_unsupported(w, v);
}

/* The Job's own fields; 1: none of them */
static int job_field(struct walk *w, const char *key, yaml_node_t *v,
		     struct workload *wl)
{
	long n;
	int r;

	if (!strcmp(key, "completions") || !strcmp(key, "parallelism") ||
	    !strcmp(key, "backoffLimit")) {
		r = walk_int(w, v, key[0] == 'b' ? 0 : 1, 10000, &n);
		*(key[0] == 'c'	  ? &wl->completions
		  : key[0] == 'p' ? &wl->parallelism
				  : &wl->backoff_limit) = (int)n;
		return r;
	}
	if (!strcmp(key, "activeDeadlineSeconds"))
		return walk_int(w, v, 1, 1L << 31, &wl->active_deadline_s);
	if (!strcmp(key, "ttlSecondsAfterFinished"))
		return walk_int(w, v, 0, 1L << 31, &n); /* kept: one host */
	if (!strcmp(key, "completionMode")) {
		const char *s;
		r = walk_str(w, v, &s);
		return r ? r
		       : strcmp(s, "NonIndexed")
			       ? walk_fail(w, v, "only NonIndexed")
			       : 0;
	}
	return 1;
}

static int spec_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct wl_walk *ww = obj;
	struct workload *wl = ww->wl;
	long n;
	int r;

	if (wl->kind == WL_JOB && (r = job_field(w, key, v, wl)) <= 0)
		return r;
	if (!strcmp(key, "template")) {
		ww->tmpl_node = v; /* walked last, into the template's arena */
		return walk_map(w, v);
	}
	if (!strcmp(key, "selector"))
		return walk_fields(w, v, selector_field, wl);
	if (wl->kind == WL_DEPLOYMENT && !strcmp(key, "replicas")) {
		r = walk_int(w, v, 0, 1000, &n);
		wl->replicas = (int)n;
		return r;
	}
	if (wl->kind != WL_JOB &&
	    !strcmp(key,
		    wl->kind == WL_DEPLOYMENT ? "strategy" : "updateStrategy"))
		return walk_fields(w, v, strategy_field, wl);
	if (wl->kind != WL_JOB && !strcmp(key, "minReadySeconds")) {
		r = walk_int(w, v, 0, 86400, &n);
		wl->min_ready_s = (int)n;
		return r;
	}
	/* the controller's bookkeeping in a cluster: nothing to keep here */
	if ((wl->kind != WL_JOB && !strcmp(key, "revisionHistoryLimit")) ||
	    (wl->kind == WL_DEPLOYMENT &&
	     !strcmp(key, "progressDeadlineSeconds")))
		return walk_int(w, v, 0, 1L << 31, &n);
	if (!strcmp(key, "paused") || !strcmp(key, "suspend")) {
		bool b;
		r = walk_bool(w, v, &b);
		return r ? r : b ? walk_fail(w, v, "not supported by keel") : 0;
	}
	return walk_unsupported(w, v);
}

static int top_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct wl_walk *ww = obj;
	struct meta_walk mw = { &ww->wl->meta, WORKLOAD_NAME_MAX };

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind") ||
	    !strcmp(key, "status"))
		return 0; /* manifest.c read them */
	if (!strcmp(key, "metadata"))
		return walk_fields(w, v, meta_field, &mw);
	if (!strcmp(key, "spec"))
		return walk_fields(w, v, spec_field, ww);
	return walk_unsupported(w, v);
}

/* The template: walked into its pod, named after the workload */
static int walk_template(struct walk *w, yaml_node_t *root, struct wl_walk *ww)
{
	struct workload *wl = ww->wl;
	struct pod *p = wl->tmpl;
	int r;

	if (!ww->tmpl_node)
		return walk_fail(w, root, "spec.template is missing");
	w->arena = p->arena;
	w->arena_size = sizeof(p->arena);
	w->arena_used = &p->arena_used;
	w->notes = p->notes;
	w->noteslen = sizeof(p->notes);
	p->grace_s = -1;
	walk_push_key(w, "spec");
	walk_push_key(w, "template");
	r = walk_fields(w, ww->tmpl_node, template_field, p);
	w->depth = 0;
	if (r)
		return r;
	wl->template_hash = walk_hash(w, ww->tmpl_node);
	/* in the pod's own arena: a pod made of it outlives the workload */
	if (!(p->meta.name = walk_keep(w, root, wl->meta.name)) ||
	    !(p->meta.ns = walk_keep(w, root, wl->meta.ns)))
		return -EINVAL;
	return pod_finish(w, root, p);
}

static int resolve(int n, int replicas, bool up)
{
	return n >= 0 ? n : ((-1 - n) * replicas + (up ? 99 : 0)) / 100;
}

static int check(struct walk *w, yaml_node_t *root, struct workload *wl)
{
	const struct pod *p = wl->tmpl;

	if (!wl->n_selector && wl->kind != WL_JOB)
		return walk_fail(w, root,
				 "spec.selector.matchLabels is "
				 "missing");
	if (!meta_selects(wl->selector, wl->n_selector, p->meta.labels,
			  p->meta.n_labels))
		return walk_fail(w, root,
				 "spec.selector: the template's labels do "
				 "not match it");
	if (wl->kind == WL_JOB && p->restart == POD_RESTART_ALWAYS)
		return walk_fail(w, root,
				 "spec.template.spec.restartPolicy: a Job's "
				 "is OnFailure or Never");
	if (wl->kind != WL_JOB && p->restart != POD_RESTART_ALWAYS)
		return walk_fail(w, root,
				 "spec.template.spec.restartPolicy: only "
				 "Always");
	wl->max_surge = resolve(wl->max_surge, wl->replicas, true);
	wl->max_unavailable = resolve(wl->max_unavailable, wl->replicas, false);
	if (!wl->recreate && !wl->max_surge && !wl->max_unavailable)
		return walk_fail(w, root,
				 "spec: maxSurge and maxUnavailable cannot "
				 "both be 0");
	return 0;
}

int workload_walk(struct walk *w, yaml_node_t *root, enum workload_kind kind,
		  struct workload **out)
{
	struct workload *wl = calloc(1, sizeof(*wl));
	struct wl_walk ww = { .wl = wl };
	int r;

	if (!(*out = wl) || !(wl->tmpl = calloc(1, sizeof(*wl->tmpl))))
		return walk_fail(w, root, "out of memory");
	wl->kind = kind;
	/* the defaults of apps/v1 and batch/v1 */
	wl->replicas = 1;
	/* 25% each for a Deployment; a DaemonSet's one at a time */
	wl->max_surge = kind == WL_DEPLOYMENT ? -1 - 25 : 0;
	wl->max_unavailable = kind == WL_DEPLOYMENT ? -1 - 25 : 1;
	wl->completions = wl->parallelism = 1;
	wl->backoff_limit = 6;
	wl->active_deadline_s = -1;
	w->arena = wl->arena;
	w->arena_size = sizeof(wl->arena);
	w->arena_used = &wl->arena_used;
	if ((r = walk_fields(w, root, top_field, &ww)) ||
	    (r = meta_check(w, root, &wl->meta)) ||
	    (r = walk_template(w, root, &ww)))
		return r;
	if (kind == WL_JOB)
		wl->replicas = wl->completions;
	return check(w, root, wl);
}

void workload_free(struct workload *wl)
{
	if (wl)
		free(wl->tmpl);
	free(wl);
}

int pod_rename(struct pod *p, const char *name)
{
	if (snprintf(p->instance, sizeof(p->instance), "%s", name) >=
	    (int)sizeof(p->instance))
		return -EINVAL;
	p->name = p->meta.name = p->instance;
	return pod_key(p->ns, p->name, p->key, sizeof(p->key));
}

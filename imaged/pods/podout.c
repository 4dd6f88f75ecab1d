// SPDX-License-Identifier: MIT
#include "pods/podout.h"
#include "pods/workloads.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

void podout_time(long long epoch_ms, char *out, size_t len)
{
	time_t t = (time_t)(epoch_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A plain scalar as YAML 1.1 reads it: null, a bool, a number, or text */
static cJSON *scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	char *end;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cJSON_CreateString(s);
	if (!*s || !strcmp(s, "~") || !strcasecmp(s, "null"))
		return cJSON_CreateNull();
	if (!strcasecmp(s, "true") || !strcasecmp(s, "false"))
		return cJSON_CreateBool(tolower((unsigned char)*s) == 't');
	double d = strtod(s, &end);
	if (!*end && (isdigit((unsigned char)*s) || *s == '-' || *s == '+'))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

static cJSON *to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	cJSON *j;

	if (!n || depth > 64)
		return cJSON_CreateNull();
	if (n->type == YAML_SCALAR_NODE)
		return scalar(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		j = cJSON_CreateArray();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     j && it < n->data.sequence.items.top; it++)
			cJSON_AddItemToArray(
				j,
				to_json(doc, yaml_document_get_node(doc, *it),
					depth + 1));
		return j;
	}
	j = cJSON_CreateObject();
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     j && pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		if (k->type == YAML_SCALAR_NODE)
			cJSON_AddItemToObject(
				j, (const char *)k->data.scalar.value,
				to_json(doc,
					yaml_document_get_node(doc, pr->value),
					depth + 1));
	}
	return j;
}

/* A document's text (YAML or JSON) as cJSON, or NULL */
static cJSON *parse_doc(const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	cJSON *j = NULL;

	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (yaml_parser_load(&parser, &doc)) {
		j = to_json(&doc, yaml_document_get_root_node(&doc), 0);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return j;
}

/* A growing text */
struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->cap + n + 1) * 2;
		char *s2 = realloc(t->s, cap);
		if (!s2)
			return;
		t->s = s2;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void indent(struct text *t, int n)
{
	for (int i = 0; i < n; i++)
		put(t, " ", 1);
}

/* A string YAML would read as itself: else written as JSON quotes it */
static bool plain_ok(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"
	};
	char *end;

	if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ", *s) ||
	    s[strlen(s) - 1] == ' ' || strstr(s, ": ") || strstr(s, " #") ||
	    strpbrk(s, "\n\r\t"))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcasecmp(s, words[i]))
			return false;
	strtod(s, &end);
	return *end != '\0';
}

static void scalar_out(struct text *t, const cJSON *j)
{
	if (cJSON_IsString(j) && plain_ok(j->valuestring)) {
		puts_(t, j->valuestring);
		return;
	}
	char *s = cJSON_PrintUnformatted(j);
	if (s)
		puts_(t, s);
	free(s);
}

static bool nested(const cJSON *j)
{
	return (cJSON_IsObject(j) || cJSON_IsArray(j)) && j->child;
}

static void yaml_out(struct text *t, const cJSON *j, int ind,
		     bool inline_first);

static void value_out(struct text *t, const cJSON *v, int ind)
{
	if (nested(v)) {
		puts_(t, "\n");
		yaml_out(t, v, cJSON_IsArray(v) ? ind : ind + 2, false);
	} else {
		puts_(t, " ");
		if (cJSON_IsObject(v) || cJSON_IsArray(v))
			puts_(t, cJSON_IsObject(v) ? "{}" : "[]");
		else
			scalar_out(t, v);
		puts_(t, "\n");
	}
}

/* The block style kubectl prints; inline_first: after "- " already */
static void yaml_out(struct text *t, const cJSON *j, int ind, bool inline_first)
{
	const cJSON *c;

	if (cJSON_IsArray(j)) {
		cJSON_ArrayForEach(c, j)
		{
			indent(t, ind);
			puts_(t, "- ");
			if (nested(c) && cJSON_IsObject(c))
				yaml_out(t, c, ind + 2, true);
			else if (nested(c)) {
				puts_(t, "\n");
				yaml_out(t, c, ind + 2, false);
			} else {
				if (cJSON_IsObject(c) || cJSON_IsArray(c))
					puts_(t,
					      cJSON_IsObject(c) ? "{}" : "[]");
				else
					scalar_out(t, c);
				puts_(t, "\n");
			}
		}
		return;
	}
	bool first = true;
	cJSON_ArrayForEach(c, j)
	{
		if (!(first && inline_first))
			indent(t, ind);
		first = false;
		scalar_out(t, &(cJSON){ .type = cJSON_String,
					.valuestring = c->string });
		puts_(t, ":");
		value_out(t, c, ind);
	}
}

static char *render(cJSON *j, bool json)
{
	struct text t = { 0 };

	if (!j)
		return NULL;
	if (json) {
		char *s = cJSON_Print(j);
		cJSON_Delete(j);
		return s;
	}
	yaml_out(&t, j, 0, false);
	cJSON_Delete(j);
	return t.s;
}

static cJSON *condition(const char *type, bool ok, const char *reason)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", ok ? "True" : "False");
	if (reason)
		cJSON_AddStringToObject(c, "reason", reason);
	return c;
}

static cJSON *terminated(const struct run_info *ri)
{
	cJSON *t = cJSON_CreateObject();
	char when[32];

	cJSON_AddNumberToObject(t, "exitCode", ri->code);
	cJSON_AddStringToObject(t, "reason",
				ri->oom	   ? "OOMKilled"
				: ri->code ? "Error"
					   : "Completed");
	if (ri->reason[0])
		cJSON_AddStringToObject(t, "message", ri->reason);
	if (ri->signal)
		cJSON_AddNumberToObject(t, "signal", ri->signal);
	podout_time(ri->started, when, sizeof(when));
	cJSON_AddStringToObject(t, "startedAt", when);
	podout_time(ri->finished, when, sizeof(when));
	cJSON_AddStringToObject(t, "finishedAt", when);
	return t;
}

static cJSON *ctr_status(const struct pod_rt *p, const struct ctr_rt *c)
{
	cJSON *s = cJSON_CreateObject(), *state = cJSON_CreateObject();
	char when[32], status[64];

	cJSON_AddStringToObject(s, "name", c->k->name);
	cJSON_AddStringToObject(s, "image", c->k->image);
	cJSON_AddBoolToObject(s, "ready", c->ri.live && c->ready);
	cJSON_AddBoolToObject(s, "started", c->ri.live && c->started);
	cJSON_AddNumberToObject(s, "restartCount", c->restarts);
	if (c->ri.live) {
		cJSON *r = cJSON_AddObjectToObject(state, "running");
		podout_time(c->ri.started, when, sizeof(when));
		cJSON_AddStringToObject(r, "startedAt", when);
	} else if (c->ri.ended && (c->done || !pod_state_starts(p->state))) {
		cJSON_AddItemToObject(state, "terminated", terminated(&c->ri));
	} else {
		cJSON *w = cJSON_AddObjectToObject(state, "waiting");
		pods_status(p, status, sizeof(status));
		cJSON_AddStringToObject(w, "reason",
					c->ri.ended ? "CrashLoopBackOff"
					: p->state == POD_RUNNING
						? "ContainerCreating"
						: status);
		if (c->error[0])
			cJSON_AddStringToObject(w, "message", c->error);
	}
	cJSON_AddItemToObject(s, "state", state);
	cJSON *last = cJSON_AddObjectToObject(s, "lastState");
	if (c->last.ended && c->last.started != c->ri.started)
		cJSON_AddItemToObject(last, "terminated", terminated(&c->last));
	return s;
}

static const char *phase(enum pod_state s)
{
	switch (s) {
	case POD_RUNNING:
	case POD_CRASH_LOOP:
	case POD_OOM_KILLED:
	case POD_CREATE_ERROR:
		return "Running";
	case POD_SUCCEEDED:
		return "Succeeded";
	case POD_FAILED:
	case POD_INIT_ERROR:
		return "Failed";
	default:
		return "Pending";
	}
}

static cJSON *pod_status(const struct pod_rt *p)
{
	cJSON *st = cJSON_CreateObject(), *conds, *ctrs, *inits;
	char when[32], status[64];
	bool init_done = pod_state_starts(p->state) && p->state != POD_INIT &&
			 p->state != POD_INIT_BACKOFF;

	pods_status(p, status, sizeof(status));
	cJSON_AddStringToObject(st, "phase", phase(p->state));
	if (p->state == POD_STOPPED)
		cJSON_AddStringToObject(st, "reason", "Stopped");
	conds = cJSON_AddArrayToObject(st, "conditions");
	cJSON_AddItemToArray(conds, condition("PodScheduled", true, NULL));
	cJSON_AddItemToArray(conds, condition("Initialized", init_done, NULL));
	cJSON_AddItemToArray(conds,
			     condition("ContainersReady", pods_ready(p), NULL));
	cJSON_AddItemToArray(conds, condition("Ready", pods_ready(p), NULL));
	if (p->ip[0]) {
		cJSON_AddStringToObject(st, "podIP", p->ip);
		cJSON *ips = cJSON_AddArrayToObject(st, "podIPs");
		cJSON *ip = cJSON_CreateObject();
		cJSON_AddStringToObject(ip, "ip", p->ip);
		cJSON_AddItemToArray(ips, ip);
	}
	if (p->created) {
		podout_time(p->created, when, sizeof(when));
		cJSON_AddStringToObject(st, "startTime", when);
	}
	inits = cJSON_CreateArray();
	ctrs = cJSON_CreateArray();
	for (size_t i = 0; i < p->n_ctrs; i++)
		cJSON_AddItemToArray(p->ctrs[i].is_init ? inits : ctrs,
				     ctr_status(p, &p->ctrs[i]));
	if (cJSON_GetArraySize(inits))
		cJSON_AddItemToObject(st, "initContainerStatuses", inits);
	else
		cJSON_Delete(inits);
	cJSON_AddItemToObject(st, "containerStatuses", ctrs);
	return st;
}

/* A workload's pod: its template's spec, named, owned */
static cJSON *instance(const struct pod_rt *p)
{
	cJSON *w = parse_doc(p->owner->o->text, p->owner->o->len);
	cJSON *tmpl =
		cJSON_GetObjectItem(cJSON_GetObjectItem(w, "spec"), "template");
	cJSON *j = cJSON_CreateObject(), *meta, *owner, *refs;

	cJSON_AddStringToObject(j, "apiVersion", "v1");
	cJSON_AddStringToObject(j, "kind", "Pod");
	meta = cJSON_DetachItemFromObject(tmpl, "metadata");
	if (!meta)
		meta = cJSON_CreateObject();
	cJSON_DeleteItemFromObject(meta, "name");
	cJSON_AddStringToObject(meta, "name", p->spec->name);
	cJSON_AddStringToObject(meta, "namespace", p->spec->ns);
	refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	owner = cJSON_CreateObject();
	cJSON_AddStringToObject(owner, "kind",
				kobj_kind_name(p->owner->o->kind));
	cJSON_AddStringToObject(owner, "name", p->owner->o->meta->name);
	cJSON_AddBoolToObject(owner, "controller", true);
	cJSON_AddItemToArray(refs, owner);
	cJSON_AddItemToObject(j, "metadata", meta);
	cJSON_AddItemToObject(j, "spec",
			      cJSON_DetachItemFromObject(tmpl, "spec"));
	cJSON_Delete(w);
	return j;
}

char *podout_pod(const struct pod_rt *p, bool json)
{
	cJSON *j = p->obj ? parse_doc(p->obj->text, p->obj->len) : instance(p);

	if (!j)
		return NULL;
	cJSON_DeleteItemFromObject(j, "status");
	cJSON *meta = cJSON_GetObjectItem(j, "metadata");
	if (meta && !cJSON_GetObjectItem(meta, "namespace"))
		cJSON_AddStringToObject(meta, "namespace", p->spec->ns);
	cJSON_AddItemToObject(j, "status", pod_status(p));
	return render(j, json);
}

static cJSON *workload_status(const struct obj_rt *r)
{
	cJSON *st = cJSON_CreateObject();
	int ready, updated, total;
	char when[32];

	workloads_counts(r, &ready, &updated, &total);
	if (r->o->kind == KOBJ_JOB) {
		cJSON_AddNumberToObject(st, "active",
					total - r->wl.succeeded - r->wl.failed >
							0
						? total - r->wl.succeeded
						: 0);
		cJSON_AddNumberToObject(st, "succeeded", r->wl.succeeded);
		cJSON_AddNumberToObject(st, "failed", r->wl.failed);
		podout_time(r->wl.started, when, sizeof(when));
		if (r->wl.started)
			cJSON_AddStringToObject(st, "startTime", when);
		if (r->wl.complete || r->wl.job_failed) {
			cJSON *c = cJSON_AddArrayToObject(st, "conditions");
			cJSON_AddItemToArray(
				c,
				condition(r->wl.complete ? "Complete"
							 : "Failed",
					  true,
					  r->wl.job_failed ? r->wl.why : NULL));
		}
		return st;
	}
	cJSON_AddNumberToObject(st, "replicas", total);
	cJSON_AddNumberToObject(st, "readyReplicas", ready);
	cJSON_AddNumberToObject(st, "updatedReplicas", updated);
	cJSON_AddNumberToObject(st, "availableReplicas", ready);
	cJSON *c = cJSON_AddArrayToObject(st, "conditions");
	cJSON_AddItemToArray(
		c, condition("Available",
			     ready >= r->o->wl->replicas -
					      r->o->wl->max_unavailable,
			     NULL));
	return st;
}

char *podout_object(const struct obj_rt *r, bool json)
{
	cJSON *j = parse_doc(r->o->text, r->o->len), *meta;

	if (!j)
		return NULL;
	cJSON_DeleteItemFromObject(j, "status");
	if ((meta = cJSON_GetObjectItem(j, "metadata")) &&
	    !cJSON_GetObjectItem(meta, "namespace"))
		cJSON_AddStringToObject(meta, "namespace", r->o->meta->ns);
	if (r->o->wl)
		cJSON_AddItemToObject(j, "status", workload_status(r));
	if (r->o->pvc) {
		cJSON *st = cJSON_AddObjectToObject(j, "status");
		char size[32];
		snprintf(size, sizeof(size), "%llu",
			 (unsigned long long)r->o->pvc->storage);
		cJSON_AddStringToObject(st, "phase", "Bound");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "capacity"),
					"storage", size);
	}
	return render(j, json);
}

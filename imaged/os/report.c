// SPDX-License-Identifier: MIT
#include "os/report.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The version of the document's layout, for receivers. */
#define REPORT_FORMAT 1

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->booted = -1;
	r->channel_serial = -1;
	r->workloads_current = -1;
	r->workloads_rejected = -1;
}

/*
 * s as a JSON string, every byte outside printable ASCII a '?': what a
 * host reports is ASCII (versions, names, its own messages), and a
 * receiver must be able to read the document whatever a message quoted.
 */
static cJSON *text(const char *s)
{
	char clean[REPORT_REASON_MAX];
	size_t i;

	for (i = 0; s[i] && i < sizeof(clean) - 1; i++)
		clean[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	clean[i] = '\0';
	return cJSON_CreateString(clean);
}

/* s, or null when empty */
static cJSON *str_or_null(const char *s)
{
	return s && s[0] ? text(s) : cJSON_CreateNull();
}

static cJSON *num_or_null(long long v)
{
	return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static cJSON *slot_json(const struct report *r, int i)
{
	const struct report_slot *s = &r->slot[i];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "version", str_or_null(s->version));
	cJSON_AddItemToObject(o, "state", str_or_null(s->state));
	cJSON_AddNumberToObject(o, "tries", s->tries);
	cJSON_AddBoolToObject(o, "booted", r->booted == i);
	cJSON_AddBoolToObject(o, "boots_next", s->boots_next);
	return o;
}

static cJSON *slots_json(const struct report *r)
{
	cJSON *o;

	if (!r->slots_known)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "a", slot_json(r, 0));
	cJSON_AddItemToObject(o, "b", slot_json(r, 1));
	return o;
}

static cJSON *booted_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();
	char slot[2] = { r->booted >= 0 ? 'a' + r->booted : 0, 0 };

	cJSON_AddItemToObject(o, "slot", str_or_null(slot));
	cJSON_AddItemToObject(o, "version", str_or_null(r->version));
	return o;
}

static cJSON *channel_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "serial", num_or_null(r->channel_serial));
	cJSON_AddItemToObject(o, "expires", str_or_null(r->channel_expires));
	cJSON_AddItemToObject(o, "min_version", str_or_null(r->floor));
	return o;
}

static cJSON *workloads_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "current", num_or_null(r->workloads_current));
	cJSON_AddItemToObject(o, "rejected",
			      num_or_null(r->workloads_rejected));
	return o;
}

static cJSON *pods_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < r->n_pods && i < REPORT_PODS_MAX; i++) {
		const struct report_pod *p = &r->pods[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "name", text(p->name));
		cJSON_AddItemToObject(o, "phase", text(p->phase));
		cJSON_AddNumberToObject(o, "ready", p->ready);
		cJSON_AddNumberToObject(o, "containers", p->total);
		cJSON_AddNumberToObject(o, "restarts", p->restarts);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *outcome_json(const struct report *r)
{
	const struct report_outcome *l = &r->last;
	cJSON *o;

	if (!r->has_last)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "event", text(l->event));
	cJSON_AddItemToObject(o, "result", text(l->result));
	cJSON_AddItemToObject(o, "time", str_or_null(l->time));
	cJSON_AddItemToObject(o, "reason", text(l->reason));
	return o;
}

static cJSON *report_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "format", REPORT_FORMAT);
	cJSON_AddStringToObject(o, "report",
				r->heartbeat ? "heartbeat" : "outcome");
	cJSON_AddItemToObject(o, "time", str_or_null(r->time));
	cJSON_AddItemToObject(o, "machine_id", str_or_null(r->machine_id));
	cJSON_AddItemToObject(o, "hostname", str_or_null(r->hostname));
	cJSON_AddItemToObject(o, "board", str_or_null(r->board));
	cJSON_AddItemToObject(o, "booted", booted_json(r));
	cJSON_AddItemToObject(o, "slots", slots_json(r));
	cJSON_AddItemToObject(o, "channel", channel_json(r));
	cJSON_AddItemToObject(o, "workloads", workloads_json(r));
	cJSON_AddItemToObject(o, "pods", pods_json(r));
	cJSON_AddItemToObject(o, "outcome", outcome_json(r));
	return o;
}

int report_encode(const struct report *r, bool pretty, char *buf, size_t len)
{
	cJSON *o = report_json(r);
	char *text = !o	      ? NULL
		     : pretty ? cJSON_Print(o)
			      : cJSON_PrintUnformatted(o);
	int n = -ENOMEM;

	if (text) {
		size_t l = strlen(text);
		n = l < len && l <= REPORT_DOC_MAX ? (int)l : -ENOSPC;
		if (n >= 0)
			memcpy(buf, text, l + 1);
		cJSON_free(text);
	}
	cJSON_Delete(o);
	return n;
}

/* s with each newline a space, so a field stays one line */
static void one_line(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s);
	for (char *c = dst; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

int report_outcome_format(const struct report_outcome *o, char *buf, size_t len)
{
	char f[4][REPORT_REASON_MAX];

	one_line(f[0], sizeof(f[0]), o->event);
	one_line(f[1], sizeof(f[1]), o->result);
	one_line(f[2], sizeof(f[2]), o->time);
	one_line(f[3], sizeof(f[3]), o->reason);
	int n = snprintf(buf, len, "%s\n%s\n%s\n%s\n", f[0], f[1], f[2], f[3]);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* The next line of *p into dst (cut to len), *p past it; false at the end */
static bool next_line(const char **p, char *dst, size_t len)
{
	const char *nl = strchr(*p, '\n');

	if (!nl)
		return false;
	size_t n = nl - *p;
	snprintf(dst, len, "%.*s", (int)(n < len ? n : len - 1), *p);
	/* a carriage return read as writing makes it: a space (fuzz_report) */
	for (char *c = dst; *c; c++)
		if (*c == '\r')
			*c = ' ';
	*p = nl + 1;
	return true;
}

int report_outcome_parse(struct report_outcome *o, const char *text)
{
	const char *p = text;

	memset(o, 0, sizeof(*o));
	if (!next_line(&p, o->event, sizeof(o->event)) ||
	    !next_line(&p, o->result, sizeof(o->result)) ||
	    !next_line(&p, o->time, sizeof(o->time)) ||
	    !next_line(&p, o->reason, sizeof(o->reason)) || !o->event[0] ||
	    !o->result[0]) {
		memset(o, 0, sizeof(*o));
		return -EINVAL;
	}
	return 0;
}

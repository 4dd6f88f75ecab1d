// SPDX-License-Identifier: MIT
#include "pods/podget.h"
#include "clock.h"
#include "ctlsock.h"
#include "pods/objects.h"
#include "pods/podout.h"
#include "pods/workloads.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Lines gathered into answer packets: CTL_MORE when one fills */
struct page {
	int fd;
	size_t used;
	char text[CTL_MSG_MAX];
};

static void line(struct page *pg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(struct page *pg, const char *fmt, ...)
{
	char l[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(l, sizeof(l) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(l) - 1)
		n = sizeof(l) - 2;
	l[n++] = '\n';
	l[n] = '\0';
	if (pg->used + (size_t)n >= sizeof(pg->text) - 1) {
		ctl_send(pg->fd, CTL_MORE, pg->text);
		pg->used = 0;
	}
	memcpy(pg->text + pg->used, l, (size_t)n + 1);
	pg->used += (size_t)n;
}

static void page_end(struct page *pg)
{
	/* the last line's newline: ctl prints one of its own */
	if (pg->used && pg->text[pg->used - 1] == '\n')
		pg->text[--pg->used] = '\0';
	pg->text[pg->used] = '\0';
	ctl_send(pg->fd, CTL_OK, pg->text);
}

/* A long text (get -o yaml) in packets */
static void send_long(int fd, const char *s)
{
	char part[CTL_MSG_MAX - 2];

	for (size_t n = strlen(s); n;) {
		size_t k = n < sizeof(part) - 1 ? n : sizeof(part) - 1;
		memcpy(part, s, k);
		part[k] = '\0';
		ctl_send(fd, CTL_MORE, part);
		s += k;
		n -= k;
	}
}

static void age(long long since, char *out, size_t len)
{
	long long s = since > 0 ? (epoch_ms() - since) / 1000 : -1;

	if (s < 0)
		snprintf(out, len, "-");
	else if (s < 120)
		snprintf(out, len, "%llds", s);
	else if (s < 2 * 3600)
		snprintf(out, len, "%lldm", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, len, "%lldh", s / 3600);
	else
		snprintf(out, len, "%lldd", s / 86400);
}

/* When an object was made: its file's time (it outlives a reboot) */
static long long made(const struct obj_rt *r)
{
	struct stat st;

	return stat(r->file, &st) ? 0 : st.st_mtime * 1000LL;
}

/* -A's first column, padded as the header is */
static int pad(const char *ns)
{
	int n = (int)strlen(ns);

	return n < 16 ? 16 - n : 1;
}

static bool wanted(const struct req *q, const char *ns, const char *name)
{
	const char *only = q->argc > 2 ? q->argv[2] : NULL;

	return (q->all || !strcmp(ns, q->ns)) && (!only || !strcmp(only, name));
}

static void pod_row(struct page *pg, const struct req *q,
		    const struct pod_rt *p)
{
	char status[64], rdy[16], when[16];
	int ready, total, restarts;

	pods_status(p, status, sizeof(status));
	pods_counts(p, &ready, &total, &restarts);
	snprintf(rdy, sizeof(rdy), "%d/%d", ready, total);
	age(p->created, when, sizeof(when));
	line(pg, "%s%-*s%-24s %-6s %-22s %-8d %-5s %s",
	     q->all ? p->spec->ns : "", q->all ? pad(p->spec->ns) : 0, "",
	     p->spec->name, rdy, status, restarts, when,
	     p->spec->host_network ? "(host)"
	     : p->ip[0]		   ? p->ip
				   : "-");
}

static void pods_table(struct page *pg, const struct req *q)
{
	line(pg, "%s%-24s %-6s %-22s %-8s %-5s %s",
	     q->all ? "NAMESPACE       " : "", "NAME", "READY", "STATUS",
	     "RESTARTS", "AGE", "IP");
	for (size_t i = 0; i < n_pods; i++)
		if (wanted(q, pods[i]->spec->ns, pods[i]->spec->name))
			pod_row(pg, q, pods[i]);
}

static void head(struct page *pg, const struct req *q, enum kobj_kind kind)
{
	static const char *const heads[KOBJ_KINDS] = {
		[KOBJ_DEPLOYMENT] = "READY   UP-TO-DATE   AVAILABLE",
		[KOBJ_DAEMONSET] = "DESIRED   CURRENT   READY   UP-TO-DATE",
		[KOBJ_JOB] = "STATUS     COMPLETIONS",
		[KOBJ_CONFIG_MAP] = "DATA",
		[KOBJ_SECRET] = "TYPE                             DATA",
		[KOBJ_PVC] = "STATUS   CAPACITY",
	};
	line(pg, "%s%-32s %s   AGE", q->all ? "NAMESPACE       " : "", "NAME",
	     heads[kind]);
}

static void object_row(struct page *pg, const struct req *q,
		       const struct obj_rt *r)
{
	const struct kobj *o = r->o;
	char cols[128], when[16];
	int ready, updated, total;

	age(made(r), when, sizeof(when));
	if (o->wl)
		workloads_counts(r, &ready, &updated, &total);
	if (o->kind == KOBJ_DEPLOYMENT)
		snprintf(cols, sizeof(cols), "%d/%-5d %-12d %-9d", ready,
			 o->wl->replicas, updated, ready);
	else if (o->kind == KOBJ_DAEMONSET)
		snprintf(cols, sizeof(cols), "%-9d %-9d %-7d %-10d", 1, total,
			 ready, updated);
	else if (o->kind == KOBJ_JOB)
		snprintf(cols, sizeof(cols), "%-10s %d/%-9d",
			 r->wl.complete	    ? "Complete"
			 : r->wl.job_failed ? "Failed"
					    : "Running",
			 r->wl.succeeded, o->wl->completions);
	else if (o->kind == KOBJ_CONFIG_MAP)
		snprintf(cols, sizeof(cols), "%-4zu", o->data->n);
	else if (o->kind == KOBJ_SECRET)
		snprintf(cols, sizeof(cols), "%-32s %-4zu", o->data->type,
			 o->data->n);
	else
		snprintf(cols, sizeof(cols), "%-8s %-8llu", "Bound",
			 (unsigned long long)o->pvc->storage);
	line(pg, "%s%-*s%-32s %s   %s", q->all ? o->meta->ns : "",
	     q->all ? pad(o->meta->ns) : 0, "", o->meta->name, cols, when);
}

/* -o yaml|json: each object's text; a list when more than one */
static void print_objects(int fd, const struct req *q, enum kobj_kind kind)
{
	bool json = !strcmp(q->output, "json");
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; kind == KOBJ_POD && i < n_pods; i++) {
			if (!wanted(q, pods[i]->spec->ns, pods[i]->spec->name))
				continue;
			n += !pass;
			char *s = pass ? podout_pod(pods[i], json) : NULL;
			if (s) {
				send_long(fd, s);
				send_long(fd, json ? "\n" : "---\n");
			}
			free(s);
		}
		for (size_t i = 0; kind != KOBJ_POD && i < n_objs; i++) {
			const struct obj_rt *r = objs[i];
			if (r->o->kind != kind ||
			    !wanted(q, r->o->meta->ns, r->o->meta->name))
				continue;
			n += !pass;
			char *s = pass ? podout_object(r, json) : NULL;
			if (s) {
				send_long(fd, s);
				send_long(fd, json ? "\n" : "---\n");
			}
			free(s);
		}
		if (!n) {
			ctl_sendf(fd, CTL_ERR, "no %s found",
				  kobj_kind_name(kind));
			return;
		}
	}
	ctl_send(fd, CTL_OK, "");
}

void podget_list(int fd, const struct req *q, enum kobj_kind kind)
{
	struct page *pg = calloc(1, sizeof(*pg));

	if (!pg) {
		ctl_send(fd, CTL_ERR, "out of memory");
		return;
	}
	pg->fd = fd;
	if (q->output &&
	    (!strcmp(q->output, "yaml") || !strcmp(q->output, "json"))) {
		print_objects(fd, q, kind);
	} else if (kind == KOBJ_POD) {
		pods_table(pg, q);
		page_end(pg);
	} else {
		head(pg, q, kind);
		for (size_t i = 0; i < n_objs; i++)
			if (objs[i]->o->kind == kind &&
			    wanted(q, objs[i]->o->meta->ns,
				   objs[i]->o->meta->name))
				object_row(pg, q, objs[i]);
		page_end(pg);
	}
	free(pg);
}

static void kv_lines(struct page *pg, const char *title,
		     const struct pod_kv *kv, size_t n)
{
	if (!n)
		line(pg, "%-16s<none>", title);
	for (size_t i = 0; i < n; i++)
		line(pg, "%-16s%s=%s", i ? "" : title, kv[i].key, kv[i].value);
}

static void container_lines(struct page *pg, const struct ctr_rt *c)
{
	const struct run_info *r = &c->ri;

	line(pg, "  %s:", c->k->name);
	line(pg, "    Image:          %s", c->k->image);
	if (c->error[0])
		line(pg, "    State:          Waiting: %s", c->error);
	else if (r->live)
		line(pg, "    State:          Running, pid %d", r->pid);
	else if (r->ended)
		line(pg, "    State:          Terminated: %s, exit code %d%s%s",
		     r->oom    ? "OOMKilled"
		     : r->code ? "Error"
			       : "Completed",
		     r->code, r->reason[0] ? ": " : "", r->reason);
	else
		line(pg, "    State:          Waiting");
	if (c->last.ended && c->last.started != r->started)
		line(pg, "    Last State:     Terminated: %s, exit code %d",
		     c->last.oom    ? "OOMKilled"
		     : c->last.code ? "Error"
				    : "Completed",
		     c->last.code);
	line(pg, "    Ready:          %s",
	     r->live && c->ready ? "True" : "False");
	line(pg, "    Restart Count:  %d", c->restarts);
}

static void events(struct page *pg, const struct pod_rt *p)
{
	char when[16], over[32];

	line(pg, "Events:");
	if (!p->n_events) {
		line(pg, "  <none>");
		return;
	}
	line(pg, "  %-8s %-22s %-10s %s", "Type", "Reason", "Age", "Message");
	for (size_t i = 0; i < p->n_events; i++) {
		const struct pod_event *e =
			&p->events[(p->next_event + POD_EVENTS_MAX -
				    p->n_events + i) %
				   POD_EVENTS_MAX];
		age(e->at, when, sizeof(when));
		if (e->count > 1) {
			char first[16];
			age(e->first, first, sizeof(first));
			snprintf(over, sizeof(over), " (x%d over %s)", e->count,
				 first);
		} else {
			over[0] = '\0';
		}
		line(pg, "  %-8s %-22s %-10s %s",
		     e->warning ? "Warning" : "Normal", e->reason, when,
		     e->message);
		if (over[0])
			line(pg, "  %-8s %-22s %-10s%s", "", "", "", over);
	}
}

/* describe pod: its facts, its containers' states, its events */
static void describe_pod(struct page *pg, const struct pod_rt *p)
{
	char status[64];

	pods_status(p, status, sizeof(status));
	line(pg, "Name:           %s", p->spec->name);
	line(pg, "Namespace:      %s", p->spec->ns);
	kv_lines(pg, "Labels:", p->spec->meta.labels, p->spec->meta.n_labels);
	kv_lines(pg, "Annotations:", p->spec->meta.annotations,
		 p->spec->meta.n_annotations);
	line(pg, "Status:         %s", status);
	line(pg, "IP:             %s", p->ip[0] ? p->ip : "<none>");
	if (p->owner)
		line(pg, "Controlled By:  %s/%s",
		     kobj_kind_name(p->owner->o->kind),
		     p->owner->o->meta->name);
	line(pg, "From:           %s", p->file);
	if (p->error[0])
		line(pg, "Message:        %s", p->error);
	for (int init = 1; init >= 0; init--) {
		bool any = false;
		for (size_t i = 0; i < p->n_ctrs; i++) {
			if (p->ctrs[i].is_init != init)
				continue;
			if (!any)
				line(pg, "%s:",
				     init ? "Init Containers" : "Containers");
			any = true;
			container_lines(pg, &p->ctrs[i]);
		}
	}
	events(pg, p);
}

void podget_describe(int fd, const struct req *q, enum kobj_kind kind,
		     const char *name)
{
	struct page *pg = calloc(1, sizeof(*pg));
	struct pod_rt *p = kind == KOBJ_POD ? pods_find(q->ns, name) : NULL;
	struct obj_rt *r =
		kind != KOBJ_POD ? objects_find(kind, q->ns, name) : NULL;

	if (!pg || (!p && !r)) {
		ctl_sendf(fd, CTL_ERR, "no %s %s in namespace %s",
			  kobj_kind_name(kind), name, q->ns);
		free(pg);
		return;
	}
	pg->fd = fd;
	if (p) {
		describe_pod(pg, p);
	} else {
		char *s = podout_object(r, false);
		line(pg, "%s", s ? s : "");
		free(s);
	}
	page_end(pg);
	free(pg);
}

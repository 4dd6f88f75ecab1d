// SPDX-License-Identifier: MIT
#include "pods/pods.h"
#include "clock.h"
#include "imaged.h"
#include "log.h"
#include "pods/ctrs.h"
#include "pods/podload.h"
#include "pods/podstep.h"
#include "pods/probes.h"
#include "pods/sandbox.h"
#include "pods/workloads.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct pod_rt *pods[PODS_MAX];
size_t n_pods;

static const struct images_ctx *images;
static int ready_fd = -1;
static bool default_host_users = true; /* imaged.conf */

#define KEEL_GRACE_MS 10000 /* terminationGracePeriodSeconds not given */

bool pods_default_host_users(void)
{
	return default_host_users;
}

const struct images_ctx *pods_images(void)
{
	return images;
}

struct pod_rt *pods_find(const char *ns, const char *name)
{
	for (size_t i = 0; i < n_pods; i++)
		if (!strcmp(pods[i]->spec->name, name) &&
		    !strcmp(pods[i]->spec->ns, ns))
			return pods[i];
	return NULL;
}

void pods_event(struct pod_rt *p, bool warning, const char *reason,
		const char *fmt, ...)
{
	char msg[sizeof(p->events[0].message)];
	struct pod_event *last =
		p->n_events ? &p->events[(p->next_event + POD_EVENTS_MAX - 1) %
					 POD_EVENTS_MAX]
			    : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the same again is counted, as the API server aggregates them */
	if (last && !strcmp(last->reason, reason) &&
	    !strcmp(last->message, msg)) {
		last->count++;
		last->at = epoch_ms();
		return;
	}
	struct pod_event *e = &p->events[p->next_event];
	p->next_event = (p->next_event + 1) % POD_EVENTS_MAX;
	if (p->n_events < POD_EVENTS_MAX)
		p->n_events++;
	*e = (struct pod_event){ .at = epoch_ms(),
				 .first = epoch_ms(),
				 .count = 1,
				 .warning = warning };
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	snprintf(e->message, sizeof(e->message), "%s", msg);
}

int pods_watch(struct pollfd *fds, int max)
{
	int n = 0;

	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs && n < max; j++) {
			const struct ctr_rt *c = &pods[i]->ctrs[j];
			if (c->pidfd >= 0)
				fds[n++] = (struct pollfd){ .fd = c->pidfd,
							    .events = POLLIN };
			n += probes_watch(c, fds + n, max - n);
		}
	return n;
}

/* What a pod's folder says of it: made by an imaged before this one. */
static void adopt(struct pod_rt *p)
{
	char path[CTR_PATH_MAX], num[32];

	snprintf(path, sizeof(path), "%s/ns", p->dir);
	p->sandbox = !access(path, F_OK);
	snprintf(path, sizeof(path), "%s/stopped", p->dir);
	p->state = access(path, F_OK) ? POD_PENDING : POD_STOPPED;
	snprintf(path, sizeof(path), "%s/ip", p->dir);
	if (read_text(path, p->ip, sizeof(p->ip)) < 0)
		p->ip[0] = '\0';
	p->ip[strcspn(p->ip, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/created", p->dir);
	p->created = read_text(path, num, sizeof(num)) > 0 ? atoll(num) : 0;
}

static void no_fds(struct ctr_rt *c)
{
	c->pidfd = -1;
	c->hook.fd = c->hook.out = -1;
	for (int i = 0; i < PROBES; i++)
		c->probes[i].fd = c->probes[i].out = -1;
}

int pods_add(struct pod *spec, struct kobj *obj, struct obj_rt *owner,
	     const char *file, enum pod_origin src, struct pod_rt **out)
{
	if (n_pods == PODS_MAX)
		return -ENOSPC;
	struct pod_rt *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->spec = spec;
	p->obj = obj;
	p->owner = owner;
	p->source = src;
	snprintf(p->file, sizeof(p->file), "%s", file);
	snprintf(p->dir, sizeof(p->dir), PODS_RUN_DIR "/%s", spec->key);
	for (size_t i = 0; i < spec->n_init + spec->n_containers; i++) {
		struct ctr_rt *c = &p->ctrs[p->n_ctrs++];
		no_fds(c);
		c->is_init = i < spec->n_init;
		c->k = c->is_init ? &spec->init[i]
				  : &spec->containers[i - spec->n_init];
		snprintf(c->run_dir, sizeof(c->run_dir), "%s/%s", p->dir,
			 c->k->name);
		ctrs_load(c);
		/* a run adopted: its probes begin again, as on a new kubelet */
		if (c->ri.live)
			probes_start(c);
	}
	adopt(p);
	pods[n_pods++] = p;
	*out = p;
	return 0;
}

void pods_init(const struct images_ctx *x, int fd, bool host_users,
	       const char *revision, bool fresh)
{
	images = x;
	default_host_users = host_users;
	ready_fd = fd;
	podload_all(fresh ? NULL : revision);
	/* the workloads' pods first: their runs are adopted, not orphans */
	workloads_step();
	podload_orphans();
	if (fresh && revision) {
		/* every run the revision's pods had is gone: made again */
		podload_all_revision(revision);
		workloads_step();
	}
	log_info("%zu pods, %zu other objects", n_pods, n_objs);
}

static void ctr_cgroup(const struct pod_rt *p, const struct ctr_rt *c,
		       char *out, size_t len)
{
	snprintf(out, len, PODS_CGROUP "/%s/%s", p->spec->key,
		 c->k ? c->k->name : strrchr(c->run_dir, '/') + 1);
}

/*
 * All its containers at once: preStop hooks, then SIGTERM, then after
 * terminationGracePeriodSeconds (less what preStop took) every process.
 */
void pods_stop(struct pod_rt *p)
{
	char cgs[2 * POD_CONTAINERS_MAX][CTR_PATH_MAX];
	struct run_ref runs[2 * POD_CONTAINERS_MAX];
	long grace = p->spec->grace_s >= 0 ? p->spec->grace_s * 1000L
					   : KEEL_GRACE_MS;

	grace -= probes_pre_stop(p, grace);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], cgs[i], sizeof(cgs[i]));
		runs[i] = (struct run_ref){ p->ctrs[i].run_dir, cgs[i] };
	}
	runs_stop(runs, p->n_ctrs, grace > 0 ? grace : 0);
	for (size_t i = 0; i < p->n_ctrs; i++)
		run_read(p->ctrs[i].run_dir, &p->ctrs[i].ri);
}

/* Every mount in folder dir let go (its entries' names are short) */
static void unmount_each(const char *dir)
{
	char vol[CTR_PATH_MAX + 128];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		snprintf(vol, sizeof(vol), "%s/%.63s", dir, e->d_name);
		if (e->d_name[0] != '.')
			umount2(vol, MNT_DETACH);
	}
	if (d)
		closedir(d);
}

/* tmpfs mounts (emptyDir medium Memory, configMap, secret) go first */
static void unmount_volumes(const char *key)
{
	char path[CTR_PATH_MAX + 64];

	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s/volumes", key);
	unmount_each(path);
	snprintf(path, sizeof(path), PODS_RUN_DIR "/%s/vol", key);
	unmount_each(path);
}

/* Out of the table, its runtime state gone (its manifest stays). */
void pods_remove(struct pod_rt *p)
{
	char path[CTR_PATH_MAX + 64];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], path, sizeof(path));
		cgroup_destroy(path);
		ctrs_unwatch(&p->ctrs[i]);
		if (p->ctrs[i].k)
			probes_stop(&p->ctrs[i]);
	}
	/* shareProcessNamespace's pause, pid 1 of the pod's namespace */
	snprintf(path, sizeof(path), PODS_CGROUP "/%s/pause", p->spec->key);
	cgroup_destroy(path);
	snprintf(path, sizeof(path), PODS_CGROUP "/%s", p->spec->key);
	rmdir(path);
	if (p->sandbox && !p->spec->host_network)
		pods_netd_del(p->spec->key);
	if (p->puller > 0)
		kill(p->puller, SIGKILL);
	unmount_volumes(p->spec->key);
	sandbox_remove(p->dir);
	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s", p->spec->key);
	store_rm_tree(path);
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i] == p) {
			pods[i] = pods[--n_pods];
			if (p->obj)
				kobj_free(p->obj); /* its spec with it */
			else
				free(p->spec);
			free(p);
			return;
		}
}

void pods_delete(struct pod_rt *p)
{
	pods_stop(p);
	pods_remove(p);
}

void pods_set_stopped(struct pod_rt *p, bool stopped)
{
	char path[CTR_PATH_MAX + 16];
	/* from a state that rests, what completed runs again */
	bool again = p->state == POD_STOPPED || p->state == POD_INIT_ERROR ||
		     p->state == POD_SUCCEEDED || p->state == POD_FAILED;

	snprintf(path, sizeof(path), "%s/stopped", p->dir);
	if (stopped) {
		mkdir(PODS_RUN_DIR, 0755);
		mkdir(p->dir, 0755);
		write_atomic(path, "", 0, 0644);
		podstep_set_state(p, POD_STOPPED);
		pods_stop(p);
		return;
	}
	unlink(path);
	/* a fresh start: no back-off */
	for (size_t i = 0; i < p->n_ctrs; i++) {
		p->ctrs[i].done &= !again;
		p->ctrs[i].next_ms = 0;
		p->ctrs[i].bo.delay_ms = 0;
	}
	p->pull_next_ms = 0;
	p->retry_ms = 0;
	if (again)
		podstep_set_state(p, POD_PENDING);
}

void pods_reaped(pid_t pid, int status)
{
	if (!podstep_reaped(pid, status))
		probes_reaped(pid, status);
}

const char *pods_image_user(const char *ref)
{
	struct image_ref r;
	char want[IMAGE_REF_MAX + 1], have[IMAGE_REF_MAX + 1], err[300];

	if (image_ref_parse(ref, &r, err, sizeof(err)))
		return NULL;
	image_ref_format(&r, want, sizeof(want));
	for (size_t i = 0; i < n_pods; i++) {
		const struct pod *s = pods[i]->spec;
		for (size_t j = 0; j < pods[i]->n_ctrs; j++) {
			image_ref_format(&pods[i]->ctrs[j].k->ref, have,
					 sizeof(have));
			if (!strcmp(want, have))
				return s->key;
		}
		for (size_t j = 0; j < s->n_image_refs; j++) {
			image_ref_format(&s->image_refs[j], have, sizeof(have));
			if (!strcmp(want, have))
				return s->key;
		}
	}
	return NULL;
}

void pods_status(const struct pod_rt *p, char *status, size_t len)
{
	size_t inits = 0, done = 0;

	if (p->state != POD_INIT) {
		snprintf(status, len, "%s", pod_state_status(p->state));
		return;
	}
	for (size_t i = 0; i < p->n_ctrs && p->ctrs[i].is_init; i++) {
		inits++;
		done += p->ctrs[i].done ||
			(p->ctrs[i].k->sidecar && p->ctrs[i].started &&
			 p->ctrs[i].ri.live);
	}
	snprintf(status, len, "Init:%zu/%zu", done, inits);
}

/* READY counts the containers and the sidecars, as kubectl does */
void pods_counts(const struct pod_rt *p, int *ready, int *total, int *restarts)
{
	*ready = *total = *restarts = 0;
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		*restarts += c->restarts;
		if (c->is_init && !c->k->sidecar)
			continue;
		(*total)++;
		*ready += c->ri.live && c->ready;
	}
}

bool pods_ready(const struct pod_rt *p)
{
	if (p->state == POD_SUCCEEDED)
		return true;
	if (p->state != POD_RUNNING)
		return false;
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		if ((!c->is_init || c->k->sidecar) && !c->done &&
		    !(c->ri.live && c->ready))
			return false;
	}
	return true;
}

/* The health gate's half: every pod of the image and the ESP is ready. */
static void report_ready(void)
{
	if (ready_fd < 0)
		return;
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i]->source != SRC_APPLIED &&
		    pods[i]->source != SRC_REVISION && !pods_ready(pods[i]))
			return;
	log_info("every pod of the image and the ESP runs: ready");
	(void)!write(ready_fd, "ready\n", 6);
	close(ready_fd);
	ready_fd = -1;
}

long long pods_due_in_ms(void)
{
	long long now = boottime_ms(), due = -1;

	for (size_t i = 0; i < n_pods; i++) {
		long long at = podstep_due(pods[i], now);
		if (at >= 0 && (due < 0 || at < due))
			due = at;
	}
	return due < 0 ? -1 : due > now ? due - now : 0;
}

/*
 * What is ready now among what the loop watches, found with one poll:
 * a step then reads a run's files only when its shim ended, and drives
 * a probe only when its socket or pipe has something (or it is due).
 */
static struct pollfd watched[PODS_WATCH_MAX];
static int fired_fds[256], n_fired;

bool pods_fired(int fd)
{
	if (n_fired < 0)
		return true; /* more than the set holds: everything */
	for (int i = 0; i < n_fired; i++)
		if (fired_fds[i] == fd)
			return true;
	return false;
}

static void find_fired(void)
{
	int n = pods_watch(watched, PODS_WATCH_MAX);

	n_fired = 0;
	if (n && poll(watched, (nfds_t)n, 0) <= 0)
		return;
	for (int i = 0; i < n && n_fired >= 0; i++)
		if (watched[i].revents) {
			if (n_fired ==
			    (int)(sizeof(fired_fds) / sizeof(*fired_fds)))
				n_fired = -1;
			else
				fired_fds[n_fired++] = watched[i].fd;
		}
}

void pods_tick(void)
{
	find_fired();
	workloads_step();
	for (size_t i = 0; i < n_pods; i++)
		podstep(pods[i]);
	report_ready();
}

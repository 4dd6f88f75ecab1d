// SPDX-License-Identifier: MIT
#include "pods/pods.h"
#include "clock.h"
#include "imaged.h"
#include "log.h"
#include "pods/ctrs.h"
#include "pods/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct pod_rt *pods[PODS_MAX];
size_t n_pods;

static const struct images_ctx *images;
static int ready_fd = -1;
static bool default_host_users = true; /* imaged.conf */

#define SANDBOX_RETRY_MS 1000 /* a failed sandbox (no overlayfs, netd) */

bool pods_default_host_users(void)
{
	return default_host_users;
}

const struct images_ctx *pods_images(void)
{
	return images;
}

struct pod_rt *pods_find(const char *name)
{
	for (size_t i = 0; i < n_pods; i++)
		if (!strcmp(pods[i]->spec->name, name))
			return pods[i];
	return NULL;
}

/* The one place a pod's state changes: each transition logged once. */
static void set_state(struct pod_rt *p, enum pod_state s)
{
	if (p->state == s)
		return;
	log_info("pod %s: %s -> %s", p->spec->name, pod_state_name(p->state),
		 pod_state_name(s));
	p->state = s;
}

int pods_watch(struct pollfd *fds, int max)
{
	int n = 0;

	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs && n < max; j++)
			if (pods[i]->ctrs[j].pidfd >= 0)
				fds[n++] = (struct pollfd){
					.fd = pods[i]->ctrs[j].pidfd,
					.events = POLLIN
				};
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

int pods_add(struct pod *spec, const char *file, enum pod_origin src)
{
	if (n_pods == PODS_MAX)
		return -ENOSPC;
	struct pod_rt *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->spec = spec;
	p->source = src;
	snprintf(p->file, sizeof(p->file), "%s", file);
	snprintf(p->dir, sizeof(p->dir), PODS_RUN_DIR "/%s", spec->name);
	for (size_t i = 0; i < spec->n_init + spec->n_containers; i++) {
		struct ctr_rt *c = &p->ctrs[p->n_ctrs++];
		c->is_init = i < spec->n_init;
		c->k = c->is_init ? &spec->init[i]
				  : &spec->containers[i - spec->n_init];
		snprintf(c->run_dir, sizeof(c->run_dir), "%s/%s", p->dir,
			 c->k->name);
		ctrs_load(c);
	}
	adopt(p);
	pods[n_pods++] = p;
	return 0;
}

/* One manifest; a bad one is logged and leaves every other pod be. */
static void load_file(const char *path, enum pod_origin src)
{
	static char text[POD_TEXT_MAX + 1];
	char err[512];
	ssize_t n = read_text(path, text, sizeof(text));

	if (n < 0) {
		log_err("unable to read %s: %s; pod not loaded", path,
			strerror((int)-n));
		return;
	}
	struct pod *spec = malloc(sizeof(*spec));
	if (!spec || pod_parse(text, n, path, spec, err, sizeof(err))) {
		log_err("unable to load a pod: %s",
			spec ? err : "out of memory");
		free(spec);
		return;
	}
	struct pod_rt *old = pods_find(spec->name);
	if (old) {
		/* the ESP's config overrides the image's, as for other files */
		log_info("%s: pod %s replaces the one in %s", path, spec->name,
			 old->file);
		pods_remove(old);
	}
	if (pods_add(spec, path, src)) {
		log_err("unable to load a pod from %s: more than %d pods", path,
			PODS_MAX);
		free(spec);
	}
}

static void load_dir(const char *dir, enum pod_origin src)
{
	struct dirent **names;
	char path[CTR_PATH_MAX];
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name, *dot = strrchr(d, '.');
		if (d[0] != '.' && dot &&
		    (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
		     !strcmp(dot, ".json"))) {
			snprintf(path, sizeof(path), "%s/%s", dir, d);
			load_file(path, src);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* A pod no manifest names any more (deleted while imaged was down) */
static void remove_orphan(const char *name)
{
	char path[CTR_PATH_MAX + 300];
	struct pod ghost = { .name = name };
	struct pod_rt p = { .spec = &ghost, .sandbox = true };
	struct dirent *ce;

	log_info("pod %s has no manifest any more; removing it", name);
	for (size_t i = 0; i < 2 * POD_CONTAINERS_MAX; i++)
		p.ctrs[i].pidfd = -1;
	snprintf(p.dir, sizeof(p.dir), PODS_RUN_DIR "/%.63s", name);
	DIR *cd = opendir(p.dir);
	while (cd && (ce = readdir(cd)) && p.n_ctrs < 32) {
		snprintf(path, sizeof(path), "%s/%s/run", p.dir, ce->d_name);
		if (ce->d_name[0] == '.' || access(path, F_OK))
			continue;
		snprintf(p.ctrs[p.n_ctrs++].run_dir, CTR_PATH_MAX, "%s/%.63s",
			 p.dir, ce->d_name);
	}
	if (cd)
		closedir(cd);
	pods_stop(&p);
	pods_remove(&p);
}

static void remove_orphans(void)
{
	DIR *d = opendir(PODS_RUN_DIR);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !pods_find(e->d_name))
			remove_orphan(e->d_name);
	closedir(d);
}

void pods_init(const struct images_ctx *x, int fd, bool host_users)
{
	images = x;
	default_host_users = host_users;
	ready_fd = fd;
	load_dir(PODS_IMAGE_DIR, SRC_IMAGE);
	load_dir(PODS_ESP_DIR, SRC_ESP);
	load_dir(PODS_APPLIED_DIR, SRC_APPLIED);
	remove_orphans();
	log_info("%zu pods", n_pods);
}

static void ctr_cgroup(const struct pod_rt *p, const struct ctr_rt *c,
		       char *out, size_t len)
{
	snprintf(out, len, PODS_CGROUP "/%s/%s", p->spec->name,
		 c->k ? c->k->name : strrchr(c->run_dir, '/') + 1);
}

/* All its containers at once: a pod's stop takes one grace period. */
void pods_stop(struct pod_rt *p)
{
	char cgs[2 * POD_CONTAINERS_MAX][CTR_PATH_MAX];
	struct run_ref runs[2 * POD_CONTAINERS_MAX];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], cgs[i], sizeof(cgs[i]));
		runs[i] = (struct run_ref){ p->ctrs[i].run_dir, cgs[i] };
	}
	runs_stop(runs, p->n_ctrs, STOP_GRACE_MS);
	for (size_t i = 0; i < p->n_ctrs; i++)
		run_read(p->ctrs[i].run_dir, &p->ctrs[i].ri);
}

/* emptyDir tmpfs mounts (medium: Memory) go before their folders */
static void unmount_volumes(const char *name)
{
	char path[CTR_PATH_MAX + 64], vol[CTR_PATH_MAX + 128];
	struct dirent *e;

	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s/volumes", name);
	DIR *d = opendir(path);
	while (d && (e = readdir(d))) {
		snprintf(vol, sizeof(vol), "%s/%.63s", path, e->d_name);
		if (e->d_name[0] != '.')
			umount2(vol, MNT_DETACH);
	}
	if (d)
		closedir(d);
}

/* Out of the table, its runtime state gone (the manifest stays). */
void pods_remove(struct pod_rt *p)
{
	char path[CTR_PATH_MAX + 64];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], path, sizeof(path));
		cgroup_destroy(path);
		ctrs_unwatch(&p->ctrs[i]);
	}
	snprintf(path, sizeof(path), PODS_CGROUP "/%s", p->spec->name);
	rmdir(path);
	if (p->sandbox && !p->spec->host_network)
		pods_netd_del(p->spec->name);
	if (p->puller > 0)
		kill(p->puller, SIGKILL);
	unmount_volumes(p->spec->name);
	sandbox_remove(p->dir);
	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s", p->spec->name);
	store_rm_tree(path);
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i] == p) {
			pods[i] = pods[--n_pods];
			free(p->spec);
			free(p);
			return;
		}
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
		set_state(p, POD_STOPPED);
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
		set_state(p, POD_PENDING);
}

static void pull_missing(struct pod_rt *p)
{
	pid_t pid = fork();

	if (pid) {
		p->puller = pid > 0 ? pid : 0;
		if (pid < 0)
			p->pull_next_ms =
				boottime_ms() + backoff_next(&p->pull_bo, 0);
		return;
	}
	char err[1024], path[CTR_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/pull.err", p->dir);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const char *ref = p->ctrs[i].k->image;
		if (images_pull_ref(images, ref, err, sizeof(err))) {
			char text[1100];
			snprintf(text, sizeof(text), "pull %s: %s", ref, err);
			write_atomic(path, text, strlen(text), 0644);
			_exit(1);
		}
	}
	unlink(path);
	_exit(0);
}

void pods_reaped(pid_t pid, int status)
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
			return;
		}
		snprintf(path, sizeof(path), "%s/pull.err", p->dir);
		if (read_text(path, p->error, sizeof(p->error)) <= 0)
			snprintf(p->error, sizeof(p->error), "pull failed");
		/* ImagePullBackOff: the kubelet's 10 s doubling to 5 min */
		p->pull_next_ms = boottime_ms() + backoff_next(&p->pull_bo, 0);
		log_err("unable to pull pod %s's images: %s", p->spec->name,
			p->error);
		return;
	}
}

const char *pods_image_user(const char *ref)
{
	struct image_ref r;
	char want[IMAGE_REF_MAX + 1], have[IMAGE_REF_MAX + 1], err[300];

	if (image_ref_parse(ref, &r, err, sizeof(err)))
		return NULL;
	image_ref_format(&r, want, sizeof(want));
	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs; j++) {
			image_ref_format(&pods[i]->ctrs[j].k->ref, have,
					 sizeof(have));
			if (!strcmp(want, have))
				return pods[i]->spec->name;
		}
	return NULL;
}

/* Whether each container's image is in the store */
static bool images_present(const struct pod_rt *p)
{
	struct store_image img;
	char name[IMAGE_REF_MAX + 1];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		image_ref_format(&p->ctrs[i].k->ref, name, sizeof(name));
		if (store_image_get(images->store, name, &img))
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
			pod_user_namespace(p->spec, default_host_users), p->ip,
			sizeof(p->ip), err, sizeof(err));
	if (r) {
		if (strcmp(p->error, err))
			log_err("unable to make pod %s's sandbox: %s",
				p->spec->name, err);
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
	log_info("pod %s: namespaces ready%s%s", p->spec->name,
		 p->ip[0] ? ", address " : "", p->ip);
}

/* Whether c is waiting to start and may now */
static bool ctr_due(const struct ctr_rt *c, long long now)
{
	return !c->ri.live && !c->done && now >= c->next_ms;
}

static void init_facts(const struct pod_rt *p, long long now,
		       struct pod_facts *f)
{
	bool next = true; /* the first not done is the one to run */

	for (size_t i = 0; i < p->n_ctrs && p->ctrs[i].is_init; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		f->n_init++;
		if (c->done && c->ri.code) {
			f->init_failed = true;
		} else if (c->done) {
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
		if (c->is_init)
			continue;
		f->n_ctrs++;
		if (c->done) {
			f->succeeded += !c->ri.code;
			f->failed += !!c->ri.code;
		} else if (ctr_due(c, now)) {
			f->due = true;
		} else if (!c->ri.live) {
			f->create_error |= c->error[0] != '\0';
			f->oom_wait |= c->ri.oom;
			f->crash_wait = true;
		}
	}
}

static void facts(const struct pod_rt *p, struct pod_facts *f)
{
	long long now = boottime_ms();

	*f = (struct pod_facts){
		.config = true,
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

/* Start what is due: the next init container, or every container. */
static void start_due(struct pod_rt *p, bool init)
{
	long long now = boottime_ms();

	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct ctr_rt *c = &p->ctrs[i];
		if (c->is_init != init || !ctr_due(c, now))
			continue;
		if (c->handled)
			c->restarts++;
		c->next_ms = 0;
		if (ctrs_start(p, c))
			/* tried again as a crash would be */
			c->next_ms = now + backoff_next(&c->bo, 0);
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

/*
 * What ended is accounted for; then the state machine steps until it
 * rests (each step's action changes a fact, so a few steps do).
 */
static void reconcile(struct pod_rt *p)
{
	struct pod_facts f;
	enum pod_action a;

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctrs_refresh(&p->ctrs[i]);
		if (p->ctrs[i].ri.ended)
			ctrs_ended(p, &p->ctrs[i]);
	}
	for (int i = 0; i < 8; i++) {
		facts(p, &f);
		enum pod_state was = p->state, next = pod_step(was, &f, &a);
		set_state(p, next);
		act(p, a);
		if (next == was && a == POD_ACT_NONE)
			break;
	}
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
		done += p->ctrs[i].done;
	}
	snprintf(status, len, "Init:%zu/%zu", done, inits);
}

void pods_counts(const struct pod_rt *p, int *ready, int *total, int *restarts)
{
	*ready = *total = *restarts = 0;
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		*restarts += c->restarts;
		if (c->is_init)
			continue;
		(*total)++;
		*ready += c->ri.live;
	}
}

/* Running with every container that is to run up, or done for good */
static bool pod_ready(const struct pod_rt *p)
{
	if (p->state == POD_SUCCEEDED)
		return true;
	if (p->state != POD_RUNNING)
		return false;
	for (size_t i = 0; i < p->n_ctrs; i++)
		if (!p->ctrs[i].is_init && !p->ctrs[i].done &&
		    !p->ctrs[i].ri.live)
			return false;
	return true;
}

/* The health gate's half: every pod of the image and the ESP runs. */
static void report_ready(void)
{
	if (ready_fd < 0)
		return;
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i]->source != SRC_APPLIED && !pod_ready(pods[i]))
			return;
	log_info("every pod of the image and the ESP runs: ready");
	(void)!write(ready_fd, "ready\n", 6);
	close(ready_fd);
	ready_fd = -1;
}

/*
 * When p has something to do of its own accord (boottime ms), or -1: a
 * pull or sandbox to try again, a container's back-off running out.
 */
static long long pod_due(const struct pod_rt *p, long long now)
{
	long long at = -1;

	if (p->state == POD_PULL_BACKOFF)
		return p->pull_next_ms;
	if (p->state == POD_SANDBOX_ERROR)
		return p->retry_ms;
	if (!pod_state_starts(p->state))
		return -1;
	for (size_t j = 0; j < p->n_ctrs; j++) {
		const struct ctr_rt *c = &p->ctrs[j];
		if (!c->ri.live && !c->done && c->next_ms > now &&
		    (at < 0 || c->next_ms < at))
			at = c->next_ms;
	}
	return at;
}

long long pods_due_in_ms(void)
{
	long long now = boottime_ms(), due = -1;

	for (size_t i = 0; i < n_pods; i++) {
		long long at = pod_due(pods[i], now);
		if (at >= 0 && (due < 0 || at < due))
			due = at;
	}
	return due < 0 ? -1 : due > now ? due - now : 0;
}

void pods_tick(void)
{
	for (size_t i = 0; i < n_pods; i++)
		reconcile(pods[i]);
	report_ready();
}

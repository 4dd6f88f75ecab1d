// SPDX-License-Identifier: MIT
#include "pods/podload.h"
#include "errmsg.h"
#include "imaged.h"
#include "log.h"
#include "pods/sandbox.h"
#include "pods/workloads.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void podload_name(const struct kobj *o, char *out, size_t len)
{
	static const char *const groups[KOBJ_KINDS] = {
		[KOBJ_DEPLOYMENT] = ".apps",
		[KOBJ_DAEMONSET] = ".apps",
		[KOBJ_JOB] = ".batch",
	};
	char kind[32];
	size_t i = 0;

	for (const char *c = kobj_kind_name(o->kind); *c && i < 31; c++)
		kind[i++] = (char)(*c | 0x20);
	kind[i] = '\0';
	snprintf(out, len, "%s%s/%s", kind,
		 groups[o->kind] ? groups[o->kind] : "", o->meta->name);
}

static int load_pod(struct kobj *o, enum pod_origin src, const char *file,
		    const char **what, char *err, size_t errlen)
{
	struct pod_rt *old = pods_find(o->meta->ns, o->meta->name), *p;
	int r;

	if (old && old->owner) {
		r = errmsg(err, errlen, -EEXIST, "pod %s is %s %s's",
			   o->meta->name, kobj_kind_name(old->owner->o->kind),
			   old->owner->o->meta->name);
		kobj_free(o);
		return r;
	}
	if (old)
		pods_delete(old); /* a pod is not changed in place */
	*what = old ? "configured" : "created";
	if ((r = pods_add(o->pod, o, NULL, file, src, &p))) {
		kobj_free(o);
		return errmsg(err, errlen, r, "too many pods");
	}
	return 0;
}

int podload_object(struct kobj *o, enum pod_origin src, const char *file,
		   const char **what, char *err, size_t errlen)
{
	bool replaced;
	struct obj_rt *r;

	if (o->notes[0])
		log_info("note: %s %s/%s: fields only a cluster acts on, "
			 "ignored on one host: %s%s",
			 kobj_kind_name(o->kind), o->meta->ns, o->meta->name,
			 o->notes,
			 strstr(o->notes, "imagePullSecrets")
				 ? " (registry credentials are in "
				   "/etc/keel/registries.conf)"
				 : "");
	if (o->kind == KOBJ_POD)
		return load_pod(o, src, file, what, err, errlen);
	if (!(r = objects_add(o, src, file, &replaced))) {
		kobj_free(o);
		return errmsg(err, errlen, -ENOSPC, "more than %d objects",
			      OBJS_MAX);
	}
	*what = replaced ? "configured" : "created";
	if (!replaced && o->wl)
		workloads_adopt(r);
	if (o->kind == KOBJ_PVC) {
		char dir[CTR_PATH_MAX];
		objects_claim_dir(o->meta->ns, o->meta->name, dir, sizeof(dir));
		mkdir_parents(dir, 0755);
	}
	return 0;
}

/* One manifest; a bad one is logged and leaves every other object be. */
static void load_file(const char *path, enum pod_origin src)
{
	static char text[POD_TEXT_MAX + 1];
	struct kobj *o[MANIFEST_OBJECTS_MAX];
	char err[600];
	const char *what;
	size_t n;
	ssize_t len = read_text(path, text, sizeof(text));

	if (len < 0) {
		log_err("unable to read %s: %s; not loaded", path,
			strerror((int)-len));
		return;
	}
	if (kobjs_parse(text, (size_t)len, path, o, MANIFEST_OBJECTS_MAX, &n,
			err, sizeof(err))) {
		log_err("unable to load %s", err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct pod_rt *was =
			o[i]->kind == KOBJ_POD
				? pods_find(o[i]->meta->ns, o[i]->meta->name)
				: NULL;
		if (was)
			/* the ESP's config overrides the image's */
			log_info("%s: pod %s replaces the one in %s", path,
				 o[i]->meta->name, was->file);
		if (podload_object(o[i], src, path, &what, err, sizeof(err)))
			log_err("unable to load %s: %s", path, err);
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

void podload_all(const char *revision)
{
	load_dir(PODS_IMAGE_DIR, SRC_IMAGE);
	load_dir(PODS_ESP_DIR, SRC_ESP);
	load_dir(PODS_APPLIED_DIR, SRC_APPLIED);
	if (revision)
		load_file(revision, SRC_REVISION);
}

void podload_all_revision(const char *revision)
{
	load_file(revision, SRC_REVISION);
}

/* A pod no manifest names any more: its runs stopped, its state gone */
static void remove_orphan(const char *key)
{
	char path[CTR_PATH_MAX + 300];
	struct pod ghost = { .name = key, .grace_s = -1 };
	struct pod_rt p = { .spec = &ghost, .sandbox = true };
	struct dirent *ce;

	log_info("pod %s has no manifest any more; removing it", key);
	snprintf(ghost.key, sizeof(ghost.key), "%.63s", key);
	for (size_t i = 0; i < 2 * POD_CONTAINERS_MAX; i++)
		p.ctrs[i].pidfd = -1;
	snprintf(p.dir, sizeof(p.dir), PODS_RUN_DIR "/%.63s", key);
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

void podload_orphans(void)
{
	DIR *d = opendir(PODS_RUN_DIR);
	struct dirent *e;
	bool found;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		found = false;
		for (size_t i = 0; i < n_pods && !found; i++)
			found = !strcmp(pods[i]->spec->key, e->d_name);
		if (!found)
			remove_orphan(e->d_name);
	}
	closedir(d);
}

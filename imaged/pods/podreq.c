// SPDX-License-Identifier: MIT
#include "pods/podreq.h"
#include "ctlsock.h"
#include "imaged.h"
#include "log.h"
#include "pods/objects.h"
#include "pods/podget.h"
#include "pods/podload.h"
#include "pods/podrun.h"
#include "pods/pods.h"
#include "pods/workloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/*
 * imagectl's object requests, daemon side: apply, delete, get, pods,
 * describe, stop, start, rollout restart; kubectl's flags (-n, -A, -o,
 * -f, --dry-run) anywhere among the words.
 */

static int parse(int argc, char **argv, struct req *q)
{
	*q = (struct req){ .ns = "default", .argc = 1 };
	q->argv[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool next = i + 1 < argc;
		if ((!strcmp(a, "-n") || !strcmp(a, "--namespace")) && next)
			q->ns = argv[++i];
		else if (!strncmp(a, "--namespace=", 12))
			q->ns = a + 12;
		else if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces"))
			q->all = true;
		else if (!strcmp(a, "-o") && next)
			q->output = argv[++i];
		else if (!strncmp(a, "-o", 2) && a[2])
			q->output = a[2] == '=' ? a + 3 : a + 2;
		else if (!strncmp(a, "--dry-run", 9))
			q->dry_run = true;
		else if (!strcmp(a, "-f") && next) {
			q->file = argv[++i];
			/* imagectl names the file as the user wrote it */
			if (i + 1 < argc && (argv[i + 1][0] != '-' ||
					     !strcmp(argv[i + 1], "-")))
				q->display = argv[++i];
		} else if (q->argc < 15)
			q->argv[q->argc++] = argv[i];
		else
			return -E2BIG;
	}
	if (!q->display)
		q->display = q->file;
	return 0;
}

/* Read and parse a manifest file: objects, or an error answered */
static int read_objects(int fd, const struct req *q, struct kobj **o, size_t *n)
{
	static char text[POD_TEXT_MAX + 1];
	char err[700];
	ssize_t len = read_text(q->file, text, sizeof(text));

	if (len < 0)
		return ctl_sendf(fd, CTL_ERR, "%s: %s", q->display,
				 strerror((int)-len)),
		       -1;
	if (kobjs_parse(text, (size_t)len, q->display, o, MANIFEST_OBJECTS_MAX,
			n, err, sizeof(err)))
		return ctl_send(fd, CTL_ERR, err), -1;
	return 0;
}

/* The file it came from, when imagectl may change it */
static const char *owner_file(const struct kobj *o, bool *applied)
{
	if (o->kind == KOBJ_POD) {
		struct pod_rt *p = pods_find(o->meta->ns, o->meta->name);
		*applied = !p || p->source == SRC_APPLIED;
		return p ? p->file : NULL;
	}
	struct obj_rt *r = objects_find(o->kind, o->meta->ns, o->meta->name);
	*applied = !r || r->origin == SRC_APPLIED;
	return r ? r->file : NULL;
}

/* What a claim asks for: there on this host's /var */
static int check_claim(int fd, const struct kobj *o)
{
	struct statvfs sv;
	char dir[CTR_PATH_MAX];

	objects_claim_dir(o->meta->ns, o->meta->name, dir, sizeof(dir));
	if (!access(dir, F_OK) || statvfs("/var/lib/keel", &sv))
		return 0;
	unsigned long long free_b =
		(unsigned long long)sv.f_bavail * sv.f_frsize;
	if (o->pvc->storage > free_b) {
		ctl_sendf(fd, CTL_ERR,
			  "persistentvolumeclaim/%s: storage %llu bytes asked, "
			  "%llu free on /var",
			  o->meta->name, (unsigned long long)o->pvc->storage,
			  free_b);
		return -ENOSPC;
	}
	return 0;
}

/* Every object checked before any is kept: a file is taken whole */
static int check_all(int fd, struct kobj **o, size_t n)
{
	bool applied;
	const char *file;

	for (size_t i = 0; i < n; i++) {
		if ((file = owner_file(o[i], &applied)) && !applied) {
			ctl_sendf(fd, CTL_ERR,
				  "%s %s/%s comes from %s; change it there, or "
				  "give this one another name",
				  kobj_kind_name(o[i]->kind), o[i]->meta->ns,
				  o[i]->meta->name, file);
			return -EPERM;
		}
		struct pod_rt *p =
			o[i]->kind == KOBJ_POD
				? pods_find(o[i]->meta->ns, o[i]->meta->name)
				: NULL;
		if (p && p->owner) {
			ctl_sendf(fd, CTL_ERR, "pod %s is %s %s's",
				  o[i]->meta->name,
				  kobj_kind_name(p->owner->o->kind),
				  p->owner->o->meta->name);
			return -EEXIST;
		}
		if (o[i]->kind == KOBJ_PVC && check_claim(fd, o[i]))
			return -ENOSPC;
	}
	return 0;
}

/* One object kept (0600: a Secret's bytes are in it) and put in place */
static int apply_one(int fd, struct kobj *o, bool dry_run)
{
	char path[CTR_PATH_MAX], name[160], err[600], old[POD_TEXT_MAX / 16];
	const char *what = "created", *file;
	bool applied;
	ssize_t m;

	podload_name(o, name, sizeof(name));
	objects_applied_path(o->kind, o->meta->ns, o->meta->name, path,
			     sizeof(path));
	file = owner_file(o, &applied);
	m = file ? read_text(file, old, sizeof(old)) : -1;
	if (m == (ssize_t)o->len && !memcmp(old, o->text, o->len)) {
		ctl_sendf(fd, CTL_MORE, "%s unchanged", name);
		kobj_free(o);
		return 0;
	}
	if (dry_run) {
		ctl_sendf(fd, CTL_MORE, "%s %s (dry run)", name,
			  file ? "configured" : "created");
		kobj_free(o);
		return 0;
	}
	mkdir_parents(PODS_APPLIED_DIR, 0700);
	int r = write_atomic(path, o->text, o->len, 0600);
	/* an older imaged kept a pod as <name>.yaml: this one replaces it */
	if (!r && file && strcmp(file, path) &&
	    !strncmp(file, PODS_APPLIED_DIR "/", strlen(PODS_APPLIED_DIR) + 1))
		unlink(file);
	if (r) {
		ctl_sendf(fd, CTL_MORE, "%s: %s", path, strerror(-r));
		kobj_free(o);
		return r;
	}
	if ((r = podload_object(o, SRC_APPLIED, path, &what, err,
				sizeof(err)))) {
		unlink(path);
		ctl_sendf(fd, CTL_MORE, "%s: %s", name, err);
		return r;
	}
	log_info("%s %s from %s", name, what, path);
	ctl_sendf(fd, CTL_MORE, "%s %s", name, what);
	return 0;
}

static void apply(int fd, const struct req *q)
{
	struct kobj *o[MANIFEST_OBJECTS_MAX];
	size_t n, failed = 0;

	if (!q->file) {
		ctl_send(fd, CTL_ERR, "usage: imagectl apply -f FILE|-");
		return;
	}
	if (read_objects(fd, q, o, &n))
		return;
	if (check_all(fd, o, n)) {
		for (size_t i = 0; i < n; i++)
			kobj_free(o[i]);
		return;
	}
	/* what pods name first: ConfigMaps, Secrets, claims, then the rest */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool data = o[i] && (o[i]->data || o[i]->pvc);
			if (o[i] && data == !pass) {
				failed += apply_one(fd, o[i], q->dry_run) != 0;
				o[i] = NULL;
			}
		}
	if (failed)
		ctl_sendf(fd, CTL_ERR, "%zu of %zu not applied", failed, n);
	else
		ctl_send(fd, CTL_OK, "");
}

/* Delete one object, named by kind: the answer's line, or an error */
static int delete_one(int fd, enum kobj_kind kind, const char *ns,
		      const char *name, bool quiet)
{
	char file[CTR_PATH_MAX], what[160];
	struct kobj fake = { .kind = kind };
	struct pod_meta m = { .name = name, .ns = ns };

	fake.meta = &m;
	podload_name(&fake, what, sizeof(what));
	if (kind == KOBJ_POD) {
		struct pod_rt *p = pods_find(ns, name);
		if (!p)
			return quiet ? 0
				     : (ctl_sendf(fd, CTL_ERR,
						  "no pod %s in namespace %s "
						  "(imagectl pods -A)",
						  name, ns),
					-ENOENT);
		if (p->source != SRC_APPLIED && !p->owner)
			return ctl_sendf(fd, CTL_ERR,
					 "pod %s comes from %s, which imagectl "
					 "does not change (imagectl stop %s "
					 "stops it)",
					 name, p->file, name),
			       -EPERM;
		snprintf(file, sizeof(file), "%s", p->obj ? p->file : "");
		pods_delete(p); /* a workload's: it makes another */
	} else {
		struct obj_rt *r = objects_find(kind, ns, name);
		if (!r)
			return quiet ? 0
				     : (ctl_sendf(fd, CTL_ERR,
						  "no %s %s in namespace %s",
						  kobj_kind_name(kind), name,
						  ns),
					-ENOENT);
		if (r->origin != SRC_APPLIED)
			return ctl_sendf(fd, CTL_ERR,
					 "%s %s comes from %s, which imagectl "
					 "does not change",
					 kobj_kind_name(kind), name, r->file),
			       -EPERM;
		for (size_t i = 0; kind == KOBJ_PVC && i < n_pods; i++)
			for (size_t v = 0; v < pods[i]->spec->n_volumes; v++)
				if (pods[i]->spec->volumes[v].kind ==
					    POD_VOL_PVC &&
				    !strcmp(pods[i]->spec->volumes[v].claim,
					    name) &&
				    !strcmp(pods[i]->spec->ns, ns))
					return ctl_sendf(
						       fd, CTL_ERR,
						       "persistentvolumeclaim "
						       "%s is used by pod %s "
						       "(delete it first)",
						       name,
						       pods[i]->spec->name),
					       -EBUSY;
		snprintf(file, sizeof(file), "%s", r->file);
		if (r->o->wl)
			workloads_delete(r);
		if (kind == KOBJ_PVC) {
			char dir[CTR_PATH_MAX];
			objects_claim_dir(ns, name, dir, sizeof(dir));
			store_rm_tree(dir);
		}
		objects_remove(r);
	}
	if (file[0])
		unlink(file);
	log_info("%s deleted", what);
	ctl_sendf(fd, CTL_MORE, "%s deleted", what);
	return 0;
}

/* delete -f FILE: what the file made, workloads and pods first */
static void delete_file(int fd, const struct req *q)
{
	struct kobj *o[MANIFEST_OBJECTS_MAX];
	size_t n;

	if (read_objects(fd, q, o, &n))
		return;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if (!(o[i]->data || o[i]->pvc) == !pass)
				delete_one(fd, o[i]->kind, o[i]->meta->ns,
					   o[i]->meta->name, true);
	for (size_t i = 0; i < n; i++)
		kobj_free(o[i]);
	ctl_send(fd, CTL_OK, "");
}

/* KIND NAME, KIND/NAME, or NAME (a pod): 0, or -EINVAL */
static int target(const struct req *q, int at, enum kobj_kind *kind,
		  const char **name)
{
	char k[64];
	const char *slash = at < q->argc ? strchr(q->argv[at], '/') : NULL;
	int kk;

	*kind = KOBJ_POD;
	if (slash) {
		snprintf(k, sizeof(k), "%.*s", (int)(slash - q->argv[at]),
			 q->argv[at]);
		*name = slash + 1;
	} else if (at + 1 < q->argc) {
		snprintf(k, sizeof(k), "%s", q->argv[at]);
		*name = q->argv[at + 1];
	} else if (at < q->argc) {
		*name = q->argv[at];
		return 0;
	} else {
		return -EINVAL;
	}
	/* "deployment.apps", as kubectl prints it, goes back in too */
	k[strcspn(k, ".")] = '\0';
	if ((kk = kobj_kind_parse(k)) < 0)
		return -EINVAL;
	*kind = (enum kobj_kind)kk;
	return 0;
}

static void stop_start(int fd, const struct req *q, bool stop)
{
	struct pod_rt *p = q->argc == 2 ? pods_find(q->ns, q->argv[1]) : NULL;

	if (!p) {
		ctl_sendf(fd, CTL_ERR, "no pod %s in namespace %s",
			  q->argc == 2 ? q->argv[1] : "?", q->ns);
		return;
	}
	pods_set_stopped(p, stop);
	ctl_sendf(fd, CTL_OK, "pod/%s %s", p->spec->name,
		  stop ? "stopped" : "started");
}

static void rollout(int fd, const struct req *q)
{
	enum kobj_kind kind;
	const char *name;
	struct obj_rt *r;

	if (q->argc < 3 || strcmp(q->argv[1], "restart") ||
	    target(q, 2, &kind, &name) || kind == KOBJ_POD) {
		ctl_send(fd, CTL_ERR,
			 "usage: imagectl rollout restart "
			 "deployment/NAME|daemonset/NAME [-n NS]");
		return;
	}
	if (!(r = objects_find(kind, q->ns, name)) || workloads_restart(r)) {
		ctl_sendf(fd, CTL_ERR, "no %s %s in namespace %s that restarts",
			  kobj_kind_name(kind), name, q->ns);
		return;
	}
	log_info("%s %s/%s: rollout restart", kobj_kind_name(kind), q->ns,
		 name);
	ctl_sendf(fd, CTL_OK, "%s/%s restarted", kobj_kind_name(kind), name);
}

static bool handle(int fd, const char *cmd, const struct req *q)
{
	enum kobj_kind kind;
	const char *name;
	int k;

	if ((!strcmp(cmd, "pods") || !strcmp(cmd, "ps")) && q->argc == 1)
		podget_list(fd, q, KOBJ_POD);
	else if (!strcmp(cmd, "get") && q->argc >= 2 &&
		 (k = kobj_kind_parse(q->argv[1])) >= 0)
		podget_list(fd, q, (enum kobj_kind)k);
	else if (!strcmp(cmd, "describe") && !target(q, 1, &kind, &name))
		podget_describe(fd, q, kind, name);
	else if (!strcmp(cmd, "apply"))
		apply(fd, q);
	else if (!strcmp(cmd, "delete") && q->file)
		delete_file(fd, q);
	else if (!strcmp(cmd, "delete") && !target(q, 1, &kind, &name)) {
		if (!delete_one(fd, kind, q->ns, name, false))
			ctl_send(fd, CTL_OK, "");
	} else if ((!strcmp(cmd, "stop") || !strcmp(cmd, "start")) &&
		   q->argc == 2)
		stop_start(fd, q, cmd[2] == 'o');
	else if (!strcmp(cmd, "rollout"))
		rollout(fd, q);
	else
		return false;
	return true;
}

bool pods_handle(int fd, int argc, char **argv)
{
	static const char *const cmds[] = { "pods",	"ps",	 "get",
					    "describe", "apply", "delete",
					    "stop",	"start", "rollout" };
	const char *cmd = argv[0];
	struct req q;
	bool ours = false;

	if (!strcmp(cmd, "run") && argc >= 2) {
		pods_run_once(fd, argc, argv);
		return true;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		ours |= !strcmp(cmd, cmds[i]);
	if (!ours)
		return false;
	if (parse(argc, argv, &q) || !handle(fd, cmd, &q))
		ctl_sendf(fd, CTL_ERR, "usage: imagectl %s (imagectl --help)",
			  cmd);
	pods_tick();
	return true;
}

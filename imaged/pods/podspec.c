// SPDX-License-Identifier: MIT
#include "pods/podspec.h"
#include "errmsg.h"
#include "pods/podenv.h"
#include "pods/pods.h"
#include "pods/podvols.h"
#include "run/userns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* overlayfs's lowerdir: the image's snapshots, the top layer first */
static int lower_dirs(const struct store_view *v, const char *name,
		      struct ctr_spec *s, char *err, size_t errlen)
{
	const struct images_ctx *images = pods_images();
	char snap[CTR_PATH_MAX + 8];
	size_t used = 0;

	if (!v->m.n_layers)
		return errmsg(err, errlen, -EINVAL, "%.200s has no layers",
			      name);
	for (size_t i = v->m.n_layers; i-- > 0;) {
		store_snapshot_path(images->store, v->chain[i], snap,
				    sizeof(snap));
		int n = snprintf(s->lower + used, sizeof(s->lower) - used,
				 "%s%s", used ? ":" : "", snap);
		if (n < 0 || (size_t)n >= sizeof(s->lower) - used)
			return errmsg(err, errlen, -E2BIG,
				      "%.200s has too many layers for "
				      "overlayfs",
				      name);
		used += n;
	}
	return 0;
}

/* Where the run's pieces go, by the pod's key and the container's name */
static void paths(struct ctr_spec *s, const char *pk, const char *cn,
		  const char *pod_dir, const char *run_dir)
{
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", run_dir);
	if (pod_dir)
		snprintf(s->ns_dir, sizeof(s->ns_dir), "%s/ns", pod_dir);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s/rootfs", run_dir);
	snprintf(s->upper, sizeof(s->upper), PODS_VAR_DIR "/%s/%s/upper", pk,
		 cn);
	snprintf(s->work, sizeof(s->work), PODS_VAR_DIR "/%s/%s/work", pk, cn);
	snprintf(s->volumes, sizeof(s->volumes), PODS_VAR_DIR "/%s/volumes",
		 pk);
	snprintf(s->cgroup, sizeof(s->cgroup), PODS_CGROUP "/%s/%s", pk, cn);
	snprintf(s->log, sizeof(s->log), PODS_LOG_DIR "/%s/%s.log", pk, cn);
	s->log_max = POD_LOG_MAX;
	s->pids_max = POD_PIDS_MAX;
}

/* runAsNonRoot, as the kubelet checks it before a start */
static int non_root(const struct pod_container *k, const struct exec_spec *e,
		    char *err, size_t errlen)
{
	if (!k->run_as_non_root)
		return 0;
	if (!e->uid_known)
		return errmsg(err, errlen, -EPERM,
			      "container has runAsNonRoot and image has "
			      "non-numeric user (%.60s), cannot verify user is "
			      "non-root",
			      e->user_name ? e->user_name : "?");
	if (!e->uid)
		return errmsg(err, errlen, -EPERM,
			      "container has runAsNonRoot and image will run "
			      "as root");
	return 0;
}

/* The image: in the store, its config merged with the container's */
static int image(const struct pod_container *k, struct run_plan *plan,
		 char *err, size_t errlen)
{
	const struct images_ctx *images = pods_images();
	struct store_image img;
	char name[IMAGE_REF_MAX + 1];
	int r;

	image_ref_format(&k->ref, name, sizeof(name));
	if ((r = store_image_get(images->store, name, &img)))
		return errmsg(err, errlen, r, "%.200s is not in the store",
			      name);
	if ((r = store_view(images->store, &img, &plan->v, err, errlen)) ||
	    (r = exec_merge(&plan->k, &plan->v.c, &plan->s.e, err, errlen)) ||
	    (r = non_root(&plan->k, &plan->s.e, err, errlen)))
		return r;
	return lower_dirs(&plan->v, name, &plan->s, err, errlen);
}

int pods_plan(const struct pod *pod, const struct pod_container *k,
	      const char *pod_dir, const char *run_dir, const char *ip,
	      struct run_plan *plan, char *err, size_t errlen)
{
	struct ctr_spec *s = &plan->s;
	struct pod_facts_env h;
	char user[CTR_PATH_MAX + 8];
	int r;

	podenv_host(&h, ip);
	if ((r = podenv_resolve(pod, k, &h, &plan->k, plan->strings,
				sizeof(plan->strings), err, errlen)) ||
	    (r = image(&plan->k, plan, err, errlen)))
		return r;
	/*
	 * Root's alone: what a container made (a setuid file, its secrets)
	 * must not be reachable by a host user, so no one but root passes
	 * this folder. chmod for a host whose older imaged made it 0755.
	 */
	if ((mkdir(PODS_VAR_DIR, 0700) && errno != EEXIST) ||
	    chmod(PODS_VAR_DIR, 0700))
		return errmsg_errno(err, errlen, -errno, errno, "%s",
				    PODS_VAR_DIR);
	s->pod = pod;
	s->k = &plan->k;
	/* read at each start, as containerd does: a bad one is this start's */
	if (plan->k.seccomp == POD_SECCOMP_LOCALHOST && !plan->k.privileged) {
		if ((r = seccomp_profile_load(SECCOMP_PROFILE_DIR,
					      plan->k.seccomp_profile,
					      &plan->seccomp, err, errlen)))
			return r;
		s->seccomp = &plan->seccomp;
	}
	paths(s, pod->key, k->name, pod_dir, run_dir);
	/* the sandbox says whether it has a user namespace, and which ids */
	snprintf(user, sizeof(user), "%s/user", s->ns_dir);
	if (pod_dir && !access(user, F_OK) &&
	    (r = userns_recorded(PODS_VAR_DIR, pod->key, &s->userns_base)))
		return errmsg_errno(err, errlen, r, -r,
				    "pod %s has a user namespace but no ids "
				    "recorded",
				    pod->key);
	return podvols_prepare(pod, pod_dir, &h, s, err, errlen);
}

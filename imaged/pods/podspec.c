// SPDX-License-Identifier: MIT
#include "pods/podspec.h"
#include "errmsg.h"
#include "pods/pods.h"
#include "run/userns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * emptyDir with medium Memory: a tmpfs, sizeLimit its size (the kubelet
 * does the same); mounted once, by the first container of the pod.
 */
static int memory_volume(const char *dir, uint64_t size, uint32_t owner,
			 char *err, size_t errlen)
{
	struct stat st, up;
	char parent[CTR_PATH_MAX + 80], opts[96];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &st) || stat(parent, &up))
		return errmsg_errno(err, errlen, -errno, errno,
				    "emptyDir %.200s", dir);
	if (st.st_dev != up.st_dev)
		return 0; /* mounted already */
	/*
	 * a pod with its own user namespace: its root's (tmpfs has no
	 * idmapped mounts before Linux 6.3)
	 */
	int n = snprintf(opts, sizeof(opts), "mode=1777,uid=%u,gid=%u", owner,
			 owner);
	if (size)
		snprintf(opts + n, sizeof(opts) - n, ",size=%llu",
			 (unsigned long long)size);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts))
		return errmsg_errno(err, errlen, -errno, errno,
				    "emptyDir %.200s", dir);
	return 0;
}

/* emptyDir volumes, made once per pod, in s->volumes */
static int empty_dirs(const struct pod *pod, const struct ctr_spec *s,
		      char *err, size_t errlen)
{
	char dir[CTR_PATH_MAX + 64], top[CTR_PATH_MAX + 8];
	int r;

	snprintf(top, sizeof(top), PODS_VAR_DIR "/%s", pod->name);
	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct pod_volume *vol = &pod->volumes[i];
		if (vol->kind != POD_VOL_EMPTY_DIR)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", s->volumes, vol->name);
		mkdir(top, 0700);
		mkdir(s->volumes, 0700);
		mkdir(dir, 0777);
		if (vol->memory &&
		    (r = memory_volume(dir, vol->size_limit, s->userns_base,
				       err, errlen)))
			return r;
		/* an empty folder, so no layer is ever chowned */
		if (!vol->memory && s->userns_base &&
		    chown(dir, s->userns_base, s->userns_base))
			return errmsg_errno(err, errlen, -errno, errno,
					    "emptyDir %.200s", dir);
	}
	return 0;
}

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

/* Where the run's pieces go, by pod and container name */
static void paths(struct ctr_spec *s, const char *pn, const char *cn,
		  const char *pod_dir, const char *run_dir)
{
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", run_dir);
	if (pod_dir)
		snprintf(s->ns_dir, sizeof(s->ns_dir), "%s/ns", pod_dir);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s/rootfs", run_dir);
	snprintf(s->upper, sizeof(s->upper), PODS_VAR_DIR "/%s/%s/upper", pn,
		 cn);
	snprintf(s->work, sizeof(s->work), PODS_VAR_DIR "/%s/%s/work", pn, cn);
	snprintf(s->volumes, sizeof(s->volumes), PODS_VAR_DIR "/%s/volumes",
		 pn);
	snprintf(s->cgroup, sizeof(s->cgroup), PODS_CGROUP "/%s/%s", pn, cn);
	snprintf(s->log, sizeof(s->log), PODS_LOG_DIR "/%s/%s.log", pn, cn);
	s->log_max = POD_LOG_MAX;
	s->pids_max = POD_PIDS_MAX;
}

int pods_spec(const struct pod *pod, const struct pod_container *k,
	      const char *pod_dir, const char *run_dir, struct ctr_spec *s,
	      struct store_view *v, char *err, size_t errlen)
{
	const struct images_ctx *images = pods_images();
	struct store_image img;
	char name[IMAGE_REF_MAX + 1], user[CTR_PATH_MAX + 8];
	int r;

	image_ref_format(&k->ref, name, sizeof(name));
	if ((r = store_image_get(images->store, name, &img)))
		return errmsg(err, errlen, r, "%.200s is not in the store",
			      name);
	if ((r = store_view(images->store, &img, v, err, errlen)) ||
	    (r = exec_merge(k, &v->c, &s->e, err, errlen)) ||
	    (r = lower_dirs(v, name, s, err, errlen)))
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
	s->k = k;
	paths(s, pod->name, k->name, pod_dir, run_dir);
	/* the sandbox says whether it has a user namespace, and which ids */
	snprintf(user, sizeof(user), "%s/user", s->ns_dir);
	if (pod_dir && !access(user, F_OK) &&
	    (r = userns_recorded(PODS_VAR_DIR, pod->name, &s->userns_base)))
		return errmsg_errno(err, errlen, r, -r,
				    "pod %s has a user namespace but no ids "
				    "recorded",
				    pod->name);
	return empty_dirs(pod, s, err, errlen);
}

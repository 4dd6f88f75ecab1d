// SPDX-License-Identifier: MIT
#include "pods/podvols.h"
#include "clock.h"
#include "errmsg.h"
#include "file.h"
#include "pods/objects.h"
#include "pods/pods.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Who owns what a volume holds: container root, and fsGroup */
struct owner {
	uid_t uid;
	gid_t gid; /* -1: root's */
	bool group; /* fsGroup given */
};

static struct owner owner_of(const struct pod *pod, const struct ctr_spec *s)
{
	uint32_t base = s->userns_base;

	return (struct owner){
		.uid = base,
		.gid = pod->has_fs_group ? base + pod->fs_group : base,
		.group = pod->has_fs_group,
	};
}

/* A tmpfs at dir, mounted once (a pod's, for its runs to share) */
static int tmpfs(const char *dir, uint64_t size, const char *mode,
		 const struct owner *o, char *err, size_t errlen)
{
	struct stat st, up;
	char parent[CTR_PATH_MAX + 8], opts[128];
	int r;

	if ((r = mkdir_parents(dir, 0755)))
		return errmsg_errno(err, errlen, r, -r, "%.200s", dir);
	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &st) || stat(parent, &up))
		return errmsg_errno(err, errlen, -errno, errno, "%.200s", dir);
	if (st.st_dev != up.st_dev)
		return 0; /* mounted already */
	int n = snprintf(opts, sizeof(opts), "mode=%s,uid=%u,gid=%u", mode,
			 (unsigned)o->uid, (unsigned)o->gid);
	if (size)
		snprintf(opts + n, sizeof(opts) - n, ",size=%llu",
			 (unsigned long long)size);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts))
		return errmsg_errno(err, errlen, -errno, errno, "tmpfs %.200s",
				    dir);
	return 0;
}

/* emptyDir: in the pod's folder, or a tmpfs; fsGroup's, setgid */
static int empty_dir(const struct pod *pod, const struct pod_volume *vol,
		     const struct ctr_spec *s, const char *dir, char *err,
		     size_t errlen)
{
	struct owner o = owner_of(pod, s);
	char top[CTR_PATH_MAX + 8];

	snprintf(top, sizeof(top), PODS_VAR_DIR "/%s", pod->key);
	mkdir(top, 0700);
	mkdir(s->volumes, 0700);
	if (vol->memory)
		return tmpfs(dir, vol->size_limit, o.group ? "2777" : "1777",
			     &o, err, errlen);
	if (mkdir(dir, 0777) && errno != EEXIST)
		return errmsg_errno(err, errlen, -errno, errno,
				    "emptyDir %.200s", dir);
	/* an empty folder, so no layer is ever chowned */
	if ((s->userns_base || o.group) &&
	    (chown(dir, o.uid, o.gid) || chmod(dir, o.group ? 02777 : 0777)))
		return errmsg_errno(err, errlen, -errno, errno,
				    "emptyDir %.200s", dir);
	return 0;
}

/* fsGroup over a tree: group-owned, group-writable, folders setgid */
static void regroup(int dirfd, const struct owner *o, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	struct stat st;

	while (d && depth < 32 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    S_ISLNK(st.st_mode))
			continue;
		fchownat(dirfd, e->d_name, (uid_t)-1, o->gid,
			 AT_SYMLINK_NOFOLLOW);
		fchmodat(dirfd, e->d_name,
			 (st.st_mode & 07777) | 0060 |
				 (S_ISDIR(st.st_mode) ? 02010 : 0),
			 0);
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						O_CLOEXEC);
			if (fd >= 0)
				regroup(fd, o, depth + 1);
		}
	}
	if (d)
		closedir(d);
	else
		close(dirfd);
}

/*
 * A claim's folder; with fsGroup, regrouped when its top is not the
 * group's yet (OnRootMismatch; Always costs a walk each start)
 */
static int claim(const struct pod *pod, const struct pod_volume *vol,
		 const struct ctr_spec *s, char *out, char *err, size_t errlen)
{
	struct owner o = owner_of(pod, s);
	struct stat st;

	objects_claim_dir(pod->ns, vol->claim, out, CTR_PATH_MAX);
	if (stat(out, &st))
		return errmsg_errno(err, errlen, -errno, errno,
				    "persistentVolumeClaim %s", vol->claim);
	/* fresh, in a pod of its own ids: its root's */
	if (s->userns_base && !st.st_uid && chown(out, o.uid, o.gid))
		return errmsg_errno(err, errlen, -errno, errno, "%s", out);
	if (!o.group || (pod->fs_group_on_mismatch && st.st_gid == o.gid))
		return 0;
	if (chown(out, (uid_t)-1, o.gid) ||
	    chmod(out, (st.st_mode & 07777) | 02070))
		return errmsg_errno(err, errlen, -errno, errno, "%s", out);
	int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		regroup(fd, &o, 0);
	return 0;
}

/* path (relative, checked) under dirfd, its folders made */
static int write_item(int dirfd, const char *path, const void *data, size_t len,
		      int mode, const struct owner *o)
{
	char part[CTR_PATH_MAX];

	for (const char *slash = strchr(path, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		snprintf(part, sizeof(part), "%.*s", (int)(slash - path), path);
		if (mkdirat(dirfd, part, 0755) && errno != EEXIST)
			return -errno;
		fchownat(dirfd, part, o->uid, o->gid, 0);
	}
	int fd = openat(dirfd, path,
			O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd < 0)
		return -errno;
	int r = write_full(fd, data, len);
	if (!r && (fchown(fd, o->uid, o->gid) ||
		   fchmod(fd, o->group ? mode | 0040 : mode)))
		r = -errno;
	close(fd);
	return r;
}

static int write_source(const struct pod *pod, const struct pod_source *src,
			int mode, const struct pod_facts_env *h, int dirfd,
			const struct owner *o)
{
	char text[8192];
	int r = 0;

	if (src->kind == POD_VOL_DOWNWARD_API) {
		for (size_t i = 0; !r && i < src->n_items; i++) {
			const struct pod_item *it = &pod->items[src->item0 + i];
			podenv_field(pod, h, it->key, text, sizeof(text));
			r = write_item(dirfd, it->path, text, strlen(text),
				       it->mode >= 0 ? it->mode : mode, o);
		}
		return r;
	}
	struct obj_rt *ob = objects_find(
		src->kind == POD_VOL_SECRET ? KOBJ_SECRET : KOBJ_CONFIG_MAP,
		pod->ns, src->obj);
	if (!ob)
		return src->optional ? 0 : -ENOENT;
	const struct kdata *d = ob->o->data;
	for (size_t i = 0; !r && i < (src->n_items ? src->n_items : d->n);
	     i++) {
		const struct pod_item *it =
			src->n_items ? &pod->items[src->item0 + i] : NULL;
		const struct kdata_item *v =
			it ? kdata_get(d, it->key) : &d->items[i];
		if (!v)
			continue; /* optional, or checked before the start */
		r = write_item(dirfd, it ? it->path : v->key, v->value, v->len,
			       it && it->mode >= 0 ? it->mode : mode, o);
	}
	return r;
}

/* Everything but the kept names: an old version and stale names go */
static void prune(int dirfd, const char *keep)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		const char *n = e->d_name;
		struct stat st;
		if (!strcmp(n, ".") || !strcmp(n, "..") ||
		    !strcmp(n, "..data") || !strcmp(n, keep))
			continue;
		if (n[0] == '.' && n[1] == '.') {
			snprintf(path, sizeof(path), "/proc/self/fd/%d/%s",
				 dirfd, n);
			store_rm_tree(path);
		} else if (!fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) &&
			   S_ISLNK(st.st_mode) &&
			   faccessat(dirfd, n, F_OK, 0)) {
			unlinkat(dirfd, n, 0); /* a key that is gone */
		}
	}
	if (d)
		closedir(d);
}

/*
 * The kubelet's atomic writer: the files in a new ..<time> folder, then
 * ..data pointed at it by one rename, and each top name a link through
 * ..data: a container reads the old version or the new, never a mix.
 */
static int files_volume(const struct pod *pod, const struct pod_volume *vol,
			const struct pod_facts_env *h, const char *dir,
			const struct owner *o)
{
	char name[64];
	int r = 0, dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -errno;
	snprintf(name, sizeof(name), "..%lld", (long long)epoch_ms());
	if (mkdirat(dirfd, name, 0755) && errno != EEXIST) {
		close(dirfd);
		return -errno;
	}
	fchownat(dirfd, name, o->uid, o->gid, 0);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; fd >= 0 && !r && i < vol->n_srcs; i++)
		r = write_source(pod, &pod->sources[vol->src0 + i],
				 vol->default_mode, h, fd, o);
	if (fd < 0)
		r = -errno;
	if (!r && (symlinkat(name, dirfd, "..data_tmp") ||
		   renameat(dirfd, "..data_tmp", dirfd, "..data")))
		r = -errno;
	DIR *d = fd >= 0 && !r ? fdopendir(dup(fd)) : NULL;
	struct dirent *e;
	char link[PATH_MAX];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "..data/%s", e->d_name);
		symlinkat(link, dirfd, e->d_name); /* EEXIST: it is there */
	}
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
	if (!r)
		prune(dirfd, name);
	close(dirfd);
	return r;
}

/* An image's layers, read-only, as the image volume's source */
static int image_volume(const struct pod *pod, const struct pod_volume *vol,
			const char *dir, char *err, size_t errlen)
{
	const struct images_ctx *images = pods_images();
	struct store_image img;
	struct store_view *v = malloc(sizeof(*v));
	char name[IMAGE_REF_MAX + 1], snap[CTR_PATH_MAX + 8];
	char *opts = malloc(CTR_LOWER_MAX + 32);
	struct stat st, up;
	size_t used = 0;
	int r = -ENOMEM;

	if (!v || !opts)
		goto out;
	if ((r = mkdir_parents(dir, 0755)))
		goto out;
	snprintf(snap, sizeof(snap), "%s/..", dir);
	if (!stat(dir, &st) && !stat(snap, &up) && st.st_dev != up.st_dev) {
		r = 0; /* mounted already */
		goto out;
	}
	image_ref_format(&pod->image_refs[vol->image], name, sizeof(name));
	if ((r = store_image_get(images->store, name, &img)) ||
	    (r = store_view(images->store, &img, v, err, errlen)))
		goto out;
	used = snprintf(opts, CTR_LOWER_MAX + 32, "lowerdir=");
	for (size_t i = v->m.n_layers; i-- > 0 && used < CTR_LOWER_MAX;) {
		store_snapshot_path(images->store, v->chain[i], snap,
				    sizeof(snap));
		used += snprintf(opts + used, CTR_LOWER_MAX + 32 - used, "%s%s",
				 i + 1 < v->m.n_layers ? ":" : "", snap);
	}
	/* overlayfs wants two lower layers with no upper: the first again */
	if (v->m.n_layers == 1)
		used += snprintf(opts + used, CTR_LOWER_MAX + 32 - used, ":%s",
				 snap);
	r = mount("overlay", dir, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID,
		  opts)
		    ? -errno
		    : 0;
out:
	if (r)
		errmsg_errno(err, errlen, r, -r, "image volume %s", vol->name);
	free(v);
	free(opts);
	return r;
}

int podvols_prepare(const struct pod *pod, const char *pod_dir,
		    const struct pod_facts_env *h, struct ctr_spec *s,
		    char *err, size_t errlen)
{
	struct owner o = owner_of(pod, s);
	int r = 0;

	for (size_t i = 0; !r && i < pod->n_volumes; i++) {
		const struct pod_volume *vol = &pod->volumes[i];
		char *src = s->vol_src[i];
		switch (vol->kind) {
		case POD_VOL_HOST_PATH:
			snprintf(src, CTR_PATH_MAX, "%s", vol->host_path);
			break;
		case POD_VOL_EMPTY_DIR:
			snprintf(src, CTR_PATH_MAX, "%.200s/%s", s->volumes,
				 vol->name);
			r = empty_dir(pod, vol, s, src, err, errlen);
			break;
		case POD_VOL_CONFIG_MAP:
		case POD_VOL_SECRET:
		case POD_VOL_DOWNWARD_API:
		case POD_VOL_PROJECTED:
			snprintf(src, CTR_PATH_MAX, "%.200s/vol/%s", pod_dir,
				 vol->name);
			s->vol_ro[i] = true;
			r = tmpfs(src, 16 << 20, "0755", &o, err, errlen);
			if (!r && (r = files_volume(pod, vol, h, src, &o)))
				errmsg_errno(err, errlen, r, -r,
					     "volume %s's files", vol->name);
			break;
		case POD_VOL_PVC:
			s->vol_ro[i] = vol->read_only;
			r = claim(pod, vol, s, src, err, errlen);
			break;
		case POD_VOL_IMAGE:
			snprintf(src, CTR_PATH_MAX, "%.200s/vol/%s", pod_dir,
				 vol->name);
			s->vol_ro[i] = true;
			r = image_volume(pod, vol, src, err, errlen);
			break;
		}
	}
	/* the process's groups: supplementalGroups, and fsGroup */
	for (size_t i = 0; i < pod->n_groups; i++)
		s->groups[s->n_groups++] = pod->groups[i];
	if (pod->has_fs_group)
		s->groups[s->n_groups++] = pod->fs_group;
	return r;
}

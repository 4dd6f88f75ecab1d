// SPDX-License-Identifier: MIT
#include "run/mounts.h"
#include "errmsg.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/*
 * A container's root file system and mounts, made in its new mount
 * namespace before it runs: the same steps as runc and crun, for keel's
 * subset of a Pod. Paths inside the image are opened relative to its
 * root with RESOLVE_IN_ROOT, so an image's symlinks cannot aim a mount
 * at the host.
 */

#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE /* musl before 1.2.4 */
#define AT_RECURSIVE 0x8000
#endif

/* Docker's masked and read-only paths (moby oci/defaults.go) */
static const char *const masked[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const read_only[] = {
	"/proc/bus",	       "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger",
};

static int open_beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT |
					   RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

#define LINK_HOPS 40 /* as the kernel's MAXSYMLINKS */

static int open_in_root(int rootfd, const char *path, bool dir, int hops)
{
	char part[CTR_PATH_MAX], link[CTR_PATH_MAX], next[CTR_PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(part))
		return -ENAMETOOLONG;
	/* each prefix in turn: made when missing, resolved in the root */
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(part, path, i);
		part[i] = '\0';
		bool last = i == len;
		int fd = open_beneath(rootfd, part, O_PATH);
		if (fd >= 0) {
			if (last)
				return fd;
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			return fd;
		/* its parent is resolved already; make it there */
		char *slash = strrchr(part, '/');
		*slash = '\0';
		int pfd = open_beneath(rootfd, part[0] ? part : "/",
				       O_PATH | O_DIRECTORY);
		if (pfd < 0)
			return pfd;
		/*
		 * a link to what is missing (/etc/resolv.conf to
		 * ../run/systemd/resolve/stub-resolv.conf): made where it
		 * leads, in the root, as runc's securejoin.MkdirAll does
		 */
		ssize_t n = readlinkat(pfd, slash + 1, link, sizeof(link) - 1);
		if (n >= 0) {
			close(pfd);
			if (hops == LINK_HOPS)
				return -ELOOP;
			link[n] = '\0';
			bool abs = link[0] == '/';
			if ((size_t)snprintf(next, sizeof(next), "%s%s%s%s",
					     abs ? "" : part, abs ? "" : "/",
					     link, path + i) >= sizeof(next))
				return -ENAMETOOLONG;
			return open_in_root(rootfd, next, dir, hops + 1);
		}
		int r = 0;
		if (!last || dir)
			r = mkdirat(pfd, slash + 1, 0755);
		else {
			int f = openat(pfd, slash + 1,
				       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				       0644);
			if (f >= 0)
				close(f);
			r = f < 0 ? -1 : 0;
		}
		if (r && errno != EEXIST) {
			r = -errno;
			close(pfd);
			return r;
		}
		close(pfd);
		if (last)
			return open_beneath(rootfd, path, O_PATH);
	}
	return open_beneath(rootfd, "/", O_PATH);
}

int ctr_open_in_root(int rootfd, const char *path, bool dir)
{
	return open_in_root(rootfd, path, dir, 0);
}

/* fd is the container's root itself (an image's link to "/" or "../..") */
static bool is_root(int rootfd, int fd)
{
	struct stat r, st;

	return !fstat(rootfd, &r) && !fstat(fd, &st) && r.st_dev == st.st_dev &&
	       r.st_ino == st.st_ino;
}

/* mount onto path in the container's root (an fd path, so no symlink races) */
static int mount_in(int rootfd, const char *src, const char *path,
		    const char *type, unsigned long flags, const char *data,
		    bool dir, char *err, size_t errlen)
{
	char target[64];
	int fd = ctr_open_in_root(rootfd, path, dir);

	if (fd < 0)
		return errmsg_errno(err, errlen, fd, -fd, "%s in the container",
				    path);
	if (is_root(rootfd, fd)) {
		close(fd);
		return errmsg(
			err, errlen, -EINVAL,
			"%s in the container leads to its root: the image "
			"links it there",
			path);
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	int r = mount(src, target, type, flags, data);
	int e = errno;
	close(fd);
	if (r)
		return errmsg_errno(err, errlen, -e, e, "mount %s on %s",
				    type ? type : src, path);
	return 0;
}

/*
 * A mount's own flags, as statvfs gives them, for a remount to keep: a
 * MS_BIND | MS_REMOUNT call sets them all, clearing what it is not given
 * (a host's nosuid,nodev,noexec mount under a readOnly volume).
 */
static unsigned long kept_flags(const struct statvfs *sv)
{
	static const unsigned long map[][2] = {
		{ ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV },	      { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (sv->f_flag & map[i][0])
			flags |= map[i][1];
	if (!(flags & (MS_NOATIME | MS_RELATIME)))
		flags |= MS_STRICTATIME;
	return flags;
}

/* a bind mount's flags are set by a second, remounting call */
static int remount_in(int rootfd, const char *path, unsigned long flags,
		      char *err, size_t errlen)
{
	char target[64];
	struct statvfs sv;
	int fd = open_beneath(rootfd, path, O_PATH);

	if (fd < 0)
		return errmsg_errno(err, errlen, fd, -fd, "%s in the container",
				    path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	int r = fstatvfs(fd, &sv);
	if (!r)
		r = mount(NULL, target, NULL,
			  MS_BIND | MS_REMOUNT | flags | kept_flags(&sv), NULL);
	int e = errno;
	close(fd);
	return r ? errmsg_errno(err, errlen, -e, e, "remount %s", path) : 0;
}

/* path bound onto itself: a mount of its own, with flags of its own */
static int bind_self(int rootfd, const char *path, char *err, size_t errlen)
{
	char target[64];
	int fd = open_beneath(rootfd, path, O_PATH);

	if (fd < 0)
		return errmsg_errno(err, errlen, fd, -fd, "%s in the container",
				    path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	int r = mount(target, target, NULL, MS_BIND, NULL);
	int e = errno;
	close(fd);
	return r ? errmsg_errno(err, errlen, -e, e, "bind %s", path) : 0;
}

static int setup_dev(int rootfd, bool privileged, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
		{ "/proc/kcore", "core" },
	};

	int r;

	if (privileged)
		return mount_in(rootfd, "/dev", "/dev", NULL, MS_BIND | MS_REC,
				NULL, true, err, errlen);
	if ((r = mount_in(rootfd, "tmpfs", "/dev", "tmpfs",
			  MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
			  true, err, errlen)))
		return r;
	int dfd = open_beneath(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return errmsg_errno(err, errlen, dfd, -dfd, "/dev");
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666,
			    makedev(nodes[i].maj, nodes[i].min)) ||
		    fchmodat(dfd, nodes[i].name, 0666, 0)) {
			close(dfd);
			return errmsg_errno(err, errlen, -errno, errno,
					    "mknod /dev/%s", nodes[i].name);
		}
	for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++)
		if (symlinkat(links[i][0], dfd, links[i][1])) {
			close(dfd);
			return errmsg_errno(err, errlen, -errno, errno,
					    "/dev/%s", links[i][1]);
		}
	close(dfd);
	/*
	 * No device cgroup says which nodes may be opened, and the
	 * container has CAP_MKNOD: /dev is nodev like every other mount
	 * it can write, and the nodes above, each a mount of its own,
	 * are the ones that open.
	 */
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", nodes[i].name);
		if ((r = bind_self(rootfd, path, err, errlen)))
			return r;
	}
	if ((r = remount_in(rootfd, "/dev", MS_NODEV, err, errlen)) ||
	    (r = mount_in(rootfd, "devpts", "/dev/pts", "devpts",
			  MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", true,
			  err, errlen)) ||
	    (r = mount_in(rootfd, "shm", "/dev/shm", "tmpfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=1777,size=65536k", true, err, errlen)))
		return r;
	return mount_in(rootfd, "mqueue", "/dev/mqueue", "mqueue",
			MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, err,
			errlen);
}

static int mask_paths(int rootfd, char *err, size_t errlen)
{
	struct stat st;
	char target[64];

	for (size_t i = 0; i < sizeof(masked) / sizeof(*masked); i++) {
		int fd = open_beneath(rootfd, masked[i], O_PATH);
		if (fd < 0)
			continue; /* not in this kernel */
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		int r = fstat(fd, &st)	      ? -1
			: S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs",
						      MS_RDONLY, "size=0")
					      : mount("/dev/null", target, NULL,
						      MS_BIND, NULL);
		int e = errno;
		close(fd);
		if (r)
			return errmsg_errno(err, errlen, -e, e, "mask %s",
					    masked[i]);
	}
	for (size_t i = 0; i < sizeof(read_only) / sizeof(*read_only); i++) {
		int fd = open_beneath(rootfd, read_only[i], O_PATH);
		if (fd < 0)
			continue;
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		int r = mount(target, target, NULL, MS_BIND | MS_REC, NULL);
		int e = errno;
		close(fd);
		if (r)
			return errmsg_errno(err, errlen, -e, e, "read-only %s",
					    read_only[i]);
		/* the fd is of the mount below: the new one by its path */
		r = remount_in(rootfd, read_only[i],
			       MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			       err, errlen);
		if (r)
			return r;
	}
	return 0;
}

static const struct pod_volume *volume(const struct pod *p, const char *name)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (!strcmp(p->volumes[i].name, name))
			return &p->volumes[i];
	return NULL;
}

/* Kubernetes' hostPath types (concepts/storage/volumes, "hostPath") */
static int host_path_ready(const struct pod_volume *v, bool *dir, char *err,
			   size_t errlen)
{
	const char *t = v->host_path_type;
	struct stat st;
	bool have = !stat(v->host_path, &st);

	if (!strcmp(t, "DirectoryOrCreate") && !have) {
		int r = mkdir_parents(v->host_path, 0755);
		if (r)
			return errmsg_errno(err, errlen, r, -r, "hostPath %s",
					    v->host_path);
		have = !stat(v->host_path, &st);
	}
	if (!strcmp(t, "FileOrCreate") && !have) {
		int fd = open(v->host_path, O_WRONLY | O_CREAT | O_CLOEXEC,
			      0644);
		if (fd < 0)
			return errmsg_errno(err, errlen, -errno, errno,
					    "hostPath %s", v->host_path);
		close(fd);
		have = !stat(v->host_path, &st);
	}
	if (!have)
		return errmsg_errno(err, errlen, -ENOENT, ENOENT, "hostPath %s",
				    v->host_path);
	*dir = S_ISDIR(st.st_mode);
	bool ok = true;
	if (!strcmp(t, "Directory") || !strcmp(t, "DirectoryOrCreate"))
		ok = S_ISDIR(st.st_mode);
	else if (!strcmp(t, "File") || !strcmp(t, "FileOrCreate"))
		ok = S_ISREG(st.st_mode);
	else if (!strcmp(t, "Socket"))
		ok = S_ISSOCK(st.st_mode);
	else if (!strcmp(t, "CharDevice"))
		ok = S_ISCHR(st.st_mode);
	else if (!strcmp(t, "BlockDevice"))
		ok = S_ISBLK(st.st_mode);
	if (!ok)
		return errmsg(err, errlen, -EINVAL, "hostPath %s is not a %s",
			      v->host_path, t);
	return 0;
}

/*
 * attr on the mount at path and every mount under it: a volume is a
 * recursive bind, and the mounts it brings (the host's /proc, /sys, /var
 * under "/") are the container's too. Kubernetes' recursiveReadOnly,
 * made the default. A kernel without mount_setattr (before 5.12) could
 * set it on the top mount alone, which would leave the rest writable:
 * the start fails instead.
 */
static int set_tree(int rootfd, const char *path, uint64_t attr,
		    const char *what, char *err, size_t errlen)
{
	struct mount_attr a = { .attr_set = attr };
	int fd = open_beneath(rootfd, path, O_PATH);

	if (fd < 0)
		return errmsg_errno(err, errlen, fd, -fd, "%s in the container",
				    path);
	long r = syscall(SYS_mount_setattr, fd, "",
			 AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a));
	int e = errno;
	close(fd);
	if (r && e == ENOSYS)
		return errmsg(err, errlen, -ENOSYS,
			      "%s %s: this kernel has no mount_setattr (Linux "
			      "5.12), so the mounts under it cannot be made %s "
			      "too",
			      what, path, what);
	return r ? errmsg_errno(err, errlen, -e, e, "%s %s", what, path) : 0;
}

/*
 * A volume's source, or subPath beneath it: opened in the volume as if
 * it were "/" (a link in it cannot lead out), made as a folder when
 * missing, as the kubelet does; mounted by its /proc/self/fd path.
 */
static int sub_path(const char *src, const char *sub, char *out, size_t len,
		    int *fd, char *err, size_t errlen)
{
	int vol = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);

	*fd = -1;
	if (vol < 0)
		return errmsg_errno(err, errlen, -errno, errno, "volume %s",
				    src);
	*fd = ctr_open_in_root(vol, sub, true);
	close(vol);
	if (*fd < 0)
		return errmsg_errno(err, errlen, *fd, -*fd, "subPath %s of %s",
				    sub, src);
	snprintf(out, len, "/proc/self/fd/%d", *fd);
	return 0;
}

/* One volume mount: bound, then nodev and readOnly down its tree. */
static int mount_volume(const struct ctr_spec *s, int rootfd,
			const struct pod_mount *m, char *err, size_t errlen)
{
	const struct pod_volume *v = volume(s->pod, m->name);
	char src[CTR_PATH_MAX + 80];
	struct stat st;
	bool dir = true;
	int fd = -1, r;

	if (!v)
		return errmsg(err, errlen, -ENOENT, "no volume %s", m->name);
	size_t vi = (size_t)(v - s->pod->volumes);
	if (v->kind == POD_VOL_HOST_PATH &&
	    (r = host_path_ready(v, &dir, err, errlen)))
		return r;
	snprintf(src, sizeof(src), "%s", s->vol_src[vi]);
	if (m->sub_path && (r = sub_path(s->vol_src[vi], m->sub_path, src,
					 sizeof(src), &fd, err, errlen)))
		return r;
	if (v->kind != POD_VOL_HOST_PATH || m->sub_path)
		dir = !stat(src, &st) && S_ISDIR(st.st_mode);
	r = mount_in(rootfd, src, m->path, NULL, MS_BIND | MS_REC, NULL, dir,
		     err, errlen);
	if (fd >= 0)
		close(fd);
	if (r)
		return r;
	if (!s->k->privileged &&
	    (r = set_tree(rootfd, m->path, MOUNT_ATTR_NODEV, "nodev", err,
			  errlen)))
		return r;
	if ((m->read_only || s->vol_ro[vi]) &&
	    (r = set_tree(rootfd, m->path, MOUNT_ATTR_RDONLY, "readOnly", err,
			  errlen)))
		return r;
	return 0;
}

static int mount_volumes(const struct ctr_spec *s, int rootfd, char *err,
			 size_t errlen)
{
	int r;

	for (size_t i = 0; i < s->k->n_mounts; i++)
		if ((r = mount_volume(s, rootfd, &s->k->mounts[i], err,
				      errlen)))
			return r;
	return 0;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf, as the kubelet gives them */
static int mount_etc(const struct ctr_spec *s, int rootfd, char *err,
		     size_t errlen)
{
	static const char *const files[] = { "hosts", "hostname",
					     "resolv.conf" };
	char src[CTR_PATH_MAX + 40], dst[40];
	int etc = open_beneath(rootfd, "/etc", O_PATH | O_DIRECTORY);

	if (etc < 0)
		return 0; /* an image with no /etc: nothing to look things up */
	close(etc);
	for (size_t i = 0; i < 3; i++) {
		int r;
		snprintf(src, sizeof(src), "%s/../%s", s->ns_dir, files[i]);
		if (access(src, R_OK))
			continue;
		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		if ((r = mount_in(rootfd, src, dst, NULL, MS_BIND, NULL, false,
				  err, errlen)))
			return r;
	}
	return 0;
}

/*
 * Each layer of lower (top first, ':' between) as an idmapped mount at
 * dir/<n>, through the user namespace usernsfd: what is uid 0's in the
 * layer is the container root's (host id userns_base), with no copy and
 * no chown; overlayfs takes such layers since Linux 5.19. idmapped gets
 * the lowerdir option's value.
 */
static int idmap_layers(const char *lower, const char *dir, int usernsfd,
			char *idmapped, size_t len, char *err, size_t errlen)
{
	char layer[CTR_PATH_MAX], target[CTR_PATH_MAX + 16];
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP,
				.userns_fd = (uint64_t)usernsfd };
	size_t used = 0;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return errmsg_errno(err, errlen, -errno, errno, "%s", dir);
	for (int n = 0; *lower; n++) {
		size_t part = strcspn(lower, ":");
		snprintf(layer, sizeof(layer), "%.*s", (int)part, lower);
		lower += part + (lower[part] == ':');
		if ((size_t)snprintf(target, sizeof(target), "%s/%d", dir, n) >=
		    sizeof(target))
			return errmsg(err, errlen, -ENAMETOOLONG,
				      "%s: too long", dir);
		if (mkdir(target, 0700) && errno != EEXIST)
			return errmsg_errno(err, errlen, -errno, errno, "%s",
					    target);
		int fd = (int)syscall(SYS_open_tree, AT_FDCWD, layer,
				      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fd < 0)
			return errmsg_errno(err, errlen, -errno, errno,
					    "open_tree %s", layer);
		int r = (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH,
				     &a, sizeof(a));
		if (r)
			r = errmsg_errno(
				err, errlen, -errno, errno,
				"an idmapped mount of %s (Linux 5.12, and the "
				"layer's filesystem, must allow it)",
				layer);
		else if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target,
				 MOVE_MOUNT_F_EMPTY_PATH))
			r = errmsg_errno(err, errlen, -errno, errno,
					 "move_mount %s", target);
		close(fd);
		if (r)
			return r;
		int w = snprintf(idmapped + used, len - used, "%s%s",
				 used ? ":" : "", target);
		if (w < 0 || (size_t)w >= len - used)
			return errmsg(err, errlen, -E2BIG,
				      "too many layers for overlayfs");
		used += (size_t)w;
	}
	return 0;
}

/* Everything mounted in the container's root, before pivot_root. */
static int mount_all(const struct ctr_spec *s, int rootfd, char *err,
		     size_t errlen)
{
	const struct pod_container *k = s->k;
	unsigned long ro = k->privileged ? 0 : MS_RDONLY;
	int r;

	if ((r = mount_in(rootfd, "proc", "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, err,
			  errlen)) ||
	    (r = setup_dev(rootfd, k->privileged, err, errlen)) ||
	    (r = mount_in(rootfd, "sysfs", "/sys", "sysfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL, true,
			  err, errlen)) ||
	    (r = mount_in(rootfd, "cgroup2", "/sys/fs/cgroup", "cgroup2",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL, true,
			  err, errlen)) ||
	    (r = mount_etc(s, rootfd, err, errlen)) ||
	    (r = mount_volumes(s, rootfd, err, errlen)))
		return r;
	return k->privileged ? 0 : mask_paths(rootfd, err, errlen);
}

int ctr_mount_root(const struct ctr_spec *s, int usernsfd, char *err,
		   size_t errlen)
{
	const struct pod_container *k = s->k;
	char opts[CTR_LOWER_MAX + 2 * CTR_PATH_MAX + 64];
	char lower[CTR_LOWER_MAX], dir[CTR_PATH_MAX + 8];
	int r;

	/* nothing mounted here may leak back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return errmsg_errno(err, errlen, -errno, errno,
				    "make / private");
	snprintf(lower, sizeof(lower), "%s", s->lower);
	snprintf(dir, sizeof(dir), "%s/layers", s->run_dir);
	if (usernsfd >= 0 && (r = idmap_layers(s->lower, dir, usernsfd, lower,
					       sizeof(lower), err, errlen)))
		return r;
	if ((size_t)snprintf(opts, sizeof(opts),
			     "lowerdir=%s,upperdir=%s,workdir=%s", lower,
			     s->upper, s->work) >= sizeof(opts))
		return errmsg(err, errlen, -E2BIG,
			      "too many layers for overlayfs");
	if (mount("overlay", s->rootfs, "overlay", k->privileged ? 0 : MS_NODEV,
		  opts))
		return errmsg_errno(err, errlen, -errno, errno, "overlay root");
	int rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s",
				    s->rootfs);
	r = mount_all(s, rootfd, err, errlen);
	close(rootfd);
	if (r)
		return r;
	/* pivot_root(2): the old root is stacked under the new, then let go */
	if (chdir(s->rootfs) || syscall(SYS_pivot_root, ".", "."))
		return errmsg_errno(err, errlen, -errno, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return errmsg_errno(err, errlen, -errno, errno,
				    "detach the old root");
	struct statvfs sv;
	if (k->read_only_root &&
	    (statvfs("/", &sv) ||
	     mount(NULL, "/", NULL,
		   MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(&sv), NULL)))
		return errmsg_errno(err, errlen, -errno, errno,
				    "read-only root");
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Layer unpacking (unpack.h): the tar reader's entries applied as the OCI
 * image-spec's layer.md, "Applying Changesets" and "Whiteouts", says,
 * with whiteouts in overlayfs's form.
 *
 * Containment: each entry's parent directory is opened from the layer
 * root by openat2() with RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS, and the
 * entry itself is made and changed by *at calls on that parent that do
 * not follow a final symlink. So a symlink made by an earlier entry
 * ("evil -> /etc", then "evil/passwd") stops the later one instead of
 * taking it elsewhere; following it inside the layer (RESOLVE_IN_ROOT)
 * would be safe too, but no layer writer emits entries under a symlink.
 * The directory is the caller's alone while this runs: nothing here
 * guards against another process changing it underneath.
 */
#include "store/unpack.h"

#include "errmsg.h"
#include "file.h"
#include "store/decompress.h"
#include "store/tar.h"

#include <nettle/sha2.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define BUF_SIZE (128 * 1024)
#define WH ".wh."
#define WH_META ".wh..wh." /* AUFS bookkeeping, never a file */
#define WH_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct dir_time {
	char *path;
	struct timespec ts;
};

struct ctx {
	int root;
	const struct unpack_opts *o;
	struct unpack_stats *st;
	struct decomp *d;
	struct sha256_ctx diff; /* of the tar stream: the layer's DiffID */
	struct tar t;
	struct tar_entry e;
	char path[TAR_NAME_MAX + 1]; /* the entry's, normalised */
	char dir[TAR_NAME_MAX + 1]; /* its parent's */
	char why[TAR_NAME_MAX + 256];
	uint8_t *buf;
	struct dir_time *dirs; /* mtimes to set once their contents are in */
	size_t ndirs, dirs_cap;
};

/* Why reading the layer failed: the decompressor knows best. */
static const char *src_error(struct ctx *c)
{
	const char *s = decomp_error(c->d);

	return *s ? s : c->t.err;
}

static ssize_t layer_read(void *ctx, void *buf, size_t len)
{
	struct ctx *c = ctx;
	ssize_t n = decomp_read(c->d, buf, len);

	if (n > 0)
		sha256_update(&c->diff, n, (const uint8_t *)buf);
	return n;
}

/*
 * in relative to the layer root: leading "/" and "./" dropped, empty and
 * "." components squeezed out. Any ".." is refused, even one that stays
 * inside: layer writers never emit one, and resolving it lexically could
 * disagree with what the kernel would resolve.
 */
static int norm(struct ctx *c, const char *in, char *out, const char *what)
{
	size_t n = 0;
	int depth = 0;
	bool dotdot = false;

	while (*in) {
		const char *end = strchrnul(in, '/');
		size_t k = (size_t)(end - in);

		if (k == 2 && in[0] == '.' && in[1] == '.') {
			if (--depth < 0)
				return errmsg(c->why, sizeof(c->why), -EINVAL,
					      "%s escapes the layer", what);
			dotdot = true;
		} else if (k && !(k == 1 && in[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, in, k);
			n += k;
			depth++;
		}
		in = *end ? end + 1 : end;
	}
	out[n] = 0;
	if (dotdot)
		return errmsg(c->why, sizeof(c->why), -EINVAL,
			      "%s has a '..' component", what);
	/* deeper trees than any image needs cannot be removed by fd walks */
	if (depth > UNPACK_MAX_DEPTH)
		return errmsg(c->why, sizeof(c->why), -EINVAL,
			      "%s is more than %d folders deep", what,
			      UNPACK_MAX_DEPTH);
	return 0;
}

static int open_beneath(int dirfd, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/*
 * The directory dir ("" for the root), with its missing components made
 * (0755, as tar makes them) when create. Tried whole first; the walk
 * finds which component is missing or wrong.
 */
static int open_dir(struct ctx *c, const char *dir, bool create)
{
	char part[TAR_NAME_MAX + 1], q[200];
	const char *s = dir;
	struct stat st;
	int fd = open_beneath(c->root, *dir ? dir : ".");

	if (fd >= 0 || !*dir)
		return fd >= 0 ? fd
			       : errmsg_errno(c->why, sizeof(c->why), fd, -fd,
					      "layer root");
	fd = open_beneath(c->root, ".");
	if (fd < 0)
		return errmsg_errno(c->why, sizeof(c->why), fd, -fd,
				    "layer root");
	while (*s) {
		const char *end = strchrnul(s, '/');
		size_t k = (size_t)(end - s);
		int nfd;

		memcpy(part, s, k);
		part[k] = 0;
		nfd = open_beneath(fd, part);
		if (nfd == -ENOENT && create) {
			nfd = mkdirat(fd, part, 0755) ? -errno
						      : open_beneath(fd, part);
			/* the umask may have narrowed it */
			if (nfd >= 0 && fchmod(nfd, 0755)) {
				int e = -errno;

				close(nfd);
				nfd = e;
			}
		}
		/* O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a symlink */
		if (nfd == -ENOTDIR || nfd == -ELOOP)
			nfd = !fstatat(fd, part, &st, AT_SYMLINK_NOFOLLOW) &&
					      S_ISLNK(st.st_mode)
				      ? -ELOOP
				      : -ENOTDIR;
		close(fd);
		fd = nfd;
		if (fd < 0) {
			memcpy(part, dir, (size_t)(end - dir));
			part[end - dir] = 0;
			tar_quote(q, sizeof(q), part);
			return errmsg(c->why, sizeof(c->why), fd, "'%s' %s", q,
				      fd == -ELOOP     ? "is a symlink"
				      : fd == -ENOTDIR ? "is not a directory"
				      : fd == -EXDEV   ? "is a mount point"
						       : strerror(-fd));
		}
		s = *end ? end + 1 : end;
	}
	return fd;
}

/*
 * Sets a layer xattr on name in pfd, or on pfd itself when name is NULL.
 * lsetxattr() only takes a path: through pfd's /proc link it starts at
 * the parent already checked and leaves a final symlink alone.
 */
static int xattr_at(int pfd, const char *name, const char *key, const void *val,
		    size_t len)
{
	char p[TAR_NAME_MAX + 40];

	if (!name)
		return fsetxattr(pfd, key, val, len, 0) ? -errno : 0;
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", pfd, name);
	return lsetxattr(p, key, val, len, 0) ? -errno : 0;
}

static int set_opaque(struct ctx *c, int pfd, const char *name)
{
	int r = xattr_at(pfd, name, OPAQUE_XATTR, "y", 1);

	return r ? errmsg_errno(c->why, sizeof(c->why), r, -r, "setting %s",
				OPAQUE_XATTR)
		 : 0;
}

static int set_xattrs(struct ctx *c, int pfd, const char *name)
{
	struct unpack_stats *st = c->st;
	char q[80];

	for (size_t i = 0; i < c->e.nxattr; i++) {
		const struct tar_xattr *x = &c->e.xattr[i];
		int r;

		/*
		 * overlayfs's own (user.overlay.* when mounted with
		 * userxattr): only whiteouts may make them, or a layer
		 * could redirect lookups or fake metacopy files.
		 */
		if (!strncmp(x->name, "trusted.overlay.", 16) ||
		    !strncmp(x->name, "user.overlay.", 13)) {
			st->xattrs_dropped++;
			continue;
		}
		r = xattr_at(pfd, name, x->name, x->value, x->len);
		tar_quote(q, sizeof(q), x->name);
		if (!r) {
			st->xattrs++;
		} else if (!strncmp(x->name, "trusted.", 8)) {
			if (!st->xattrs_failed++)
				snprintf(st->xattr_error,
					 sizeof(st->xattr_error), "%s: %s", q,
					 strerror(-r));
		} else {
			return errmsg_errno(c->why, sizeof(c->why), r, -r,
					    "xattr %s", q);
		}
	}
	return 0;
}

static int set_time(struct ctx *c, int pfd, const char *name, int64_t sec,
		    long nsec)
{
	struct timespec ts[2] = { { (time_t)sec, nsec },
				  { (time_t)sec, nsec } };

	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "setting mtime");
	return 0;
}

/*
 * Owner first: chown clears setuid and setgid, so the mode comes after;
 * chown and writes drop security.capability, so xattrs come after that,
 * and times last. name was just made (or seen to be a directory) here,
 * and is no symlink unless symlink says so: fchmodat() follows nothing.
 */
static int set_meta(struct ctx *c, int pfd, const char *name, bool symlink,
		    bool times)
{
	const struct tar_entry *e = &c->e;
	int r;

	if (fchownat(pfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "chown");
	if (!symlink && fchmodat(pfd, name, e->mode, 0))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "chmod");
	r = set_xattrs(c, pfd, name);
	if (!r && times)
		r = set_time(c, pfd, name, e->mtime, e->mtime_nsec);
	return r;
}

/*
 * Clears name for a new entry (layer.md, "Changeset over existing
 * files"): a directory meeting a directory stays and takes the entry's
 * attributes; anything else is removed and made anew. A directory with
 * something in it is not removed: that would silently drop earlier
 * entries. 1 when a directory stays, 0 when name is free, or -errno;
 * *whiteout when what went was a whiteout.
 */
static int make_room(struct ctx *c, int pfd, const char *name, bool dir,
		     bool *whiteout)
{
	struct stat s;

	*whiteout = false;
	if (fstatat(pfd, name, &s, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0
				       : errmsg(c->why, sizeof(c->why), -errno,
						"%s", strerror(errno));
	if (S_ISDIR(s.st_mode)) {
		if (dir)
			return 1;
		if (!unlinkat(pfd, name, AT_REMOVEDIR))
			return 0;
		if (errno == ENOTEMPTY || errno == EEXIST)
			return errmsg(c->why, sizeof(c->why), -ENOTEMPTY,
				      "would replace a non-empty directory");
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "removing a directory");
	}
	*whiteout = S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0);
	if (unlinkat(pfd, name, 0))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "removing");
	return 0;
}

static int do_file(struct ctx *c, int pfd, const char *name)
{
	bool wo;
	ssize_t n;
	int fd, r = make_room(c, pfd, name, false, &wo);

	if (r < 0)
		return r;
	fd = openat(pfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "create");
	while ((n = tar_read(&c->t, c->buf, BUF_SIZE)) > 0) {
		r = write_full(fd, c->buf, (size_t)n);
		if (r)
			break;
		c->st->bytes += (uint64_t)n;
	}
	if (close(fd) && !r)
		r = -errno;
	if (n < 0)
		return errmsg(c->why, sizeof(c->why), (int)n, "%s",
			      src_error(c));
	if (r)
		return errmsg_errno(c->why, sizeof(c->why), r, -r, "write");
	r = set_meta(c, pfd, name, false, true);
	c->st->files += !r;
	return r;
}

static int remember_dir(struct ctx *c)
{
	struct dir_time *d;

	if (c->ndirs == c->dirs_cap) {
		size_t cap = c->dirs_cap ? 2 * c->dirs_cap : 64;

		d = realloc(c->dirs, cap * sizeof(*d));
		if (!d)
			return errmsg(c->why, sizeof(c->why), -ENOMEM,
				      "out of memory");
		c->dirs = d;
		c->dirs_cap = cap;
	}
	d = &c->dirs[c->ndirs];
	d->path = strdup(c->path);
	if (!d->path)
		return errmsg(c->why, sizeof(c->why), -ENOMEM, "out of memory");
	d->ts = (struct timespec){ (time_t)c->e.mtime, c->e.mtime_nsec };
	c->ndirs++;
	return 0;
}

static int do_dir(struct ctx *c, int pfd, const char *name)
{
	bool wo;
	int r = make_room(c, pfd, name, true, &wo);

	if (r < 0)
		return r;
	if (!r && mkdirat(pfd, name, 0700))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "mkdir");
	r = set_meta(c, pfd, name, false, false);
	/* whiteout, then directory: the lower one goes, this one stays */
	if (!r && wo)
		r = set_opaque(c, pfd, name);
	if (!r)
		r = remember_dir(c);
	c->st->dirs += !r;
	return r;
}

static int do_symlink(struct ctx *c, int pfd, const char *name)
{
	bool wo;
	int r = make_room(c, pfd, name, false, &wo);

	if (r < 0)
		return r;
	if (symlinkat(c->e.link, pfd, name))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "symlink");
	r = set_meta(c, pfd, name, true, true);
	c->st->symlinks += !r;
	return r;
}

/*
 * Only to a regular file this layer already made: anything else would be
 * a file outside, a directory, or a whiteout by another name.
 */
static int do_hardlink(struct ctx *c, int pfd, const char *name)
{
	char target[TAR_NAME_MAX + 1], q[200];
	const char *tdir = "", *tname = target;
	char *slash;
	struct stat s;
	bool wo;
	int tfd, r;

	r = norm(c, c->e.link, target, "hardlink target");
	if (r)
		return r;
	tar_quote(q, sizeof(q), target);
	if (!strcmp(target, c->path))
		return errmsg(c->why, sizeof(c->why), -EINVAL,
			      "hardlink to itself");
	slash = strrchr(target, '/');
	if (slash) {
		*slash = 0;
		tdir = target;
		tname = slash + 1;
	}
	tfd = *target ? open_dir(c, tdir, false) : -ENOENT;
	if (tfd < 0 || fstatat(tfd, tname, &s, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISREG(s.st_mode)) {
		if (tfd >= 0)
			close(tfd);
		return errmsg(
			c->why, sizeof(c->why), -ENOENT,
			"hardlink target '%s' is not a file in this layer", q);
	}
	r = make_room(c, pfd, name, false, &wo);
	if (r >= 0 && linkat(tfd, tname, pfd, name, 0))
		r = errmsg_errno(c->why, sizeof(c->why), -errno, errno, "link");
	close(tfd);
	c->st->hardlinks += !r;
	return r < 0 ? r : 0;
}

static int do_special(struct ctx *c, int pfd, const char *name)
{
	const struct tar_entry *e = &c->e;
	mode_t type = e->type == TAR_CHR   ? S_IFCHR
		      : e->type == TAR_BLK ? S_IFBLK
					   : S_IFIFO;
	bool wo;
	int r;

	if (!c->o->devices) {
		c->st->devices_skipped++;
		return 0;
	}
	r = make_room(c, pfd, name, false, &wo);
	if (r < 0)
		return r;
	if (mknodat(pfd, name, type | 0600, makedev(e->devmajor, e->devminor)))
		return errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				    "mknod");
	r = set_meta(c, pfd, name, false, true);
	c->st->devices += !r;
	return r;
}

/*
 * ".wh.<name>" becomes overlayfs's whiteout, a 0/0 character device
 * <name>; ".wh..wh..opq" makes its directory opaque. A whiteout hides
 * lower layers only (layer.md, "Whiteouts"): what this layer has under
 * the name stays, and if that is a directory it turns opaque, as the
 * lower one it replaces must not show through.
 */
static int do_whiteout(struct ctx *c, int pfd, const char *base)
{
	const char *name = base + strlen(WH);
	struct stat s;
	int r = 0;

	if (!strcmp(base, WH_OPAQUE))
		r = set_opaque(c, pfd, NULL);
	else if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return errmsg(c->why, sizeof(c->why), -EINVAL,
			      "whiteout of '%s' escapes its directory", name);
	else if (!fstatat(pfd, name, &s, AT_SYMLINK_NOFOLLOW))
		r = S_ISDIR(s.st_mode) ? set_opaque(c, pfd, name) : 0;
	else if (errno != ENOENT)
		r = errmsg(c->why, sizeof(c->why), -errno, "%s",
			   strerror(errno));
	else if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)))
		r = errmsg_errno(c->why, sizeof(c->why), -errno, errno,
				 "whiteout");
	c->st->whiteouts += !r;
	return r;
}

static int apply(struct ctx *c)
{
	const char *base, *p;
	char *slash;
	int pfd, r;

	r = norm(c, c->e.path, c->path, "path");
	if (r)
		return r;
	if (!c->path[0]) {
		/* "./": the root's attributes are the snapshot's business */
		if (c->e.type == TAR_DIR)
			return 0;
		return errmsg(c->why, sizeof(c->why), -EINVAL,
			      "names the layer root");
	}
	/*
	 * No directory may be a whiteout name (layer.md: no such file can
	 * exist), except AUFS's ".wh..wh.*" bookkeeping, which is skipped.
	 */
	for (p = c->path; *p; p = slash + 1) {
		slash = strchr(p, '/');
		if (!strncmp(p, WH_META, strlen(WH_META)) &&
		    (slash || strcmp(p, WH_OPAQUE)))
			return 0;
		if (!slash)
			break;
		if (!strncmp(p, WH, strlen(WH)))
			return errmsg(c->why, sizeof(c->why), -EINVAL,
				      "a whiteout as a directory");
	}
	strcpy(c->dir, c->path);
	slash = strrchr(c->dir, '/');
	if (slash)
		*slash = 0;
	else
		c->dir[0] = 0;
	base = c->path + (slash ? (size_t)(slash - c->dir) + 1 : 0);

	pfd = open_dir(c, c->dir, true);
	if (pfd < 0)
		return pfd;
	if (!strncmp(base, WH, strlen(WH)))
		r = do_whiteout(c, pfd, base);
	else if (c->e.type == TAR_REG)
		r = do_file(c, pfd, base);
	else if (c->e.type == TAR_DIR)
		r = do_dir(c, pfd, base);
	else if (c->e.type == TAR_SYMLINK)
		r = do_symlink(c, pfd, base);
	else if (c->e.type == TAR_HARDLINK)
		r = do_hardlink(c, pfd, base);
	else
		r = do_special(c, pfd, base);
	close(pfd);
	return r;
}

/* After everything: making entries in a directory changes its mtime. */
static int dir_times(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirs; i++) {
		char *path = c->dirs[i].path, *slash = strrchr(path, '/');
		const char *name = slash ? slash + 1 : path;
		struct stat s;
		int pfd, r = 0;

		if (slash)
			*slash = 0;
		pfd = open_dir(c, slash ? path : "", false);
		if (pfd < 0)
			continue; /* a later entry replaced it */
		if (!fstatat(pfd, name, &s, AT_SYMLINK_NOFOLLOW) &&
		    S_ISDIR(s.st_mode))
			r = set_time(c, pfd, name, c->dirs[i].ts.tv_sec,
				     c->dirs[i].ts.tv_nsec);
		close(pfd);
		if (r)
			return r;
	}
	return 0;
}

static int unpack(struct ctx *c, enum decomp_kind kind, int *src_fd,
		  uint64_t max, char *err, size_t errlen)
{
	char q[200];
	ssize_t n;
	int r;

	r = decomp_open(&c->d, kind, decomp_fd_reader, src_fd, max, c->why,
			sizeof(c->why));
	if (r)
		return errmsg(err, errlen, r, "layer: %s", c->why);
	sha256_init(&c->diff);
	tar_init(&c->t, layer_read, c, max);
	while ((r = tar_next(&c->t, &c->e)) > 0) {
		r = apply(c);
		if (r) {
			tar_quote(q, sizeof(q), c->e.path);
			return errmsg(err, errlen, r, "layer entry '%s': %s", q,
				      c->why);
		}
	}
	/*
	 * Read to the end of the blob, past the end-of-archive blocks, so
	 * a compressed stream's trailer and checksum are checked too.
	 */
	while (!r && (n = layer_read(c, c->buf, BUF_SIZE)) != 0)
		r = n < 0 ? (int)n : 0;
	if (r)
		return errmsg(err, errlen, r, "layer: %s", src_error(c));
	sha256_digest(&c->diff, SHA256_DIGEST_SIZE, c->st->diff_id);
	r = dir_times(c);
	return r ? errmsg(err, errlen, r, "layer: %s", c->why) : 0;
}

int layer_unpack(int src_fd, const char *media_type, int dirfd,
		 const struct unpack_opts *o, struct unpack_stats *st,
		 char *err, size_t errlen)
{
	static const struct unpack_opts defaults;
	enum decomp_kind kind = DECOMP_AUTO;
	struct ctx *c;
	uint64_t max;
	char q[200];
	int r;

	if (!o)
		o = &defaults;
	max = o->max_bytes ? o->max_bytes : UNPACK_MAX_BYTES;
	memset(st, 0, sizeof(*st));
	if (media_type && decomp_kind_for_media_type(media_type, &kind)) {
		tar_quote(q, sizeof(q), media_type);
		return errmsg(err, errlen, -EINVAL,
			      "layer: media type '%s' is not a layer", q);
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(BUF_SIZE);
	if (!c || !c->buf) {
		free(c);
		return errmsg(err, errlen, -ENOMEM, "layer: out of memory");
	}
	c->root = dirfd;
	c->o = o;
	c->st = st;
	r = unpack(c, kind, &src_fd, max, err, errlen);
	tar_free(&c->t);
	decomp_close(c->d);
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i].path);
	free(c->dirs);
	free(c->buf);
	free(c);
	return r;
}

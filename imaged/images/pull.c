// SPDX-License-Identifier: MIT
#include "images/pull.h"
#include "errmsg.h"
#include "progress.h"
#include "log.h"
#include "clock.h"
#include "file.h"
#include "oci/ref.h"
#include "oci/platform.h"
#include "images/registry.h"
#include "store/unpack.h"

#include <nettle/sha2.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESUMES_MAX 10 /* connection losses survived per blob */
#define PROGRESS_EVERY_MS 3000

const char *host_platform(void)
{
#if defined(__x86_64__)
	return "linux/amd64";
#elif defined(__aarch64__)
	return "linux/arm64/v8";
#else
#error "keel builds for x86_64 and aarch64"
#endif
}

/*
 * A small document's body, whole, into buf (OCI_JSON_MAX + 1 bytes),
 * hashed into h when h is not NULL. 0, -EFBIG when it is larger, or the
 * read's -errno.
 */
static int read_json(struct http_conn *c, char *buf, size_t *len,
		     struct sha256_ctx *h)
{
	ssize_t n = 0;

	*len = 0;
	while (*len <= OCI_JSON_MAX &&
	       (n = http_read(c, buf + *len, OCI_JSON_MAX + 1 - *len)) > 0) {
		if (h)
			sha256_update(h, n, (const uint8_t *)(buf + *len));
		*len += n;
	}
	if (n < 0)
		return (int)n;
	return *len > OCI_JSON_MAX ? -EFBIG : 0;
}

/* A manifest or index, whole, checked against want (a digest) or the
 * server's Docker-Content-Digest when fetched by tag. */
static int fetch_manifest(struct registry *r, const char *repo, const char *ref,
			  const uint8_t *want, char **buf, size_t *len,
			  uint8_t got[32], char *ctype, size_t ctlen, char *err,
			  size_t errlen)
{
	struct sha256_ctx h;
	char dig[OCI_DIGEST_STR];
	uint8_t said[32];
	int res;

	if ((res = registry_get(r, repo, "manifests", ref, OCI_ACCEPT_MANIFESTS,
				0, err, errlen)))
		return res;
	if (r->conn->resp.content_length > OCI_JSON_MAX)
		return errmsg(err, errlen, -EFBIG,
			      "%s: manifest larger than %d bytes", ref,
			      OCI_JSON_MAX);
	snprintf(ctype, ctlen, "%s", r->conn->resp.content_type);
	*buf = malloc(OCI_JSON_MAX + 1);
	if (!*buf)
		return -ENOMEM;
	sha256_init(&h);
	res = read_json(r->conn, *buf, len, &h);
	sha256_digest(&h, SHA256_DIGEST_SIZE, got);
	if (res) {
		errmsg(err, errlen, res, "%s: manifest: %s", ref,
		       res == -EFBIG ? "too large" : strerror(-res));
	} else if (want && memcmp(want, got, 32)) {
		oci_digest_format(want, dig);
		res = errmsg(err, errlen, -EBADMSG, "%s: digest mismatch", dig);
	} else if (!want && r->conn->resp.digest[0] &&
		   !oci_digest_parse(r->conn->resp.digest, said) &&
		   memcmp(said, got, 32)) {
		res = errmsg(err, errlen, -EBADMSG,
			     "%s: digest mismatch (manifest of %s)",
			     r->conn->resp.digest, ref);
	}
	if (res) {
		free(*buf);
		*buf = NULL;
	} else {
		(*buf)[*len] = '\0';
	}
	return res;
}

/* The layer's tar stream, unpacked by a thread as it is downloaded. */
struct unpacker {
	pthread_t th;
	int rfd, wfd, dirfd;
	const char *media_type;
	struct unpack_opts o;
	struct unpack_stats st;
	char err[700];
	int res;
	bool joined;
};

static void *unpacker_run(void *arg)
{
	struct unpacker *u = arg;

	u->res = layer_unpack(u->rfd, u->media_type, u->dirfd, &u->o, &u->st,
			      u->err, sizeof(u->err));
	close(u->rfd); /* a writer still going gets EPIPE */
	return NULL;
}

static int unpacker_start(struct unpacker *u, const char *dir)
{
	int p[2];

	store_rm_tree(dir);
	if (mkdir(dir, 0755))
		return -errno;
	u->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->dirfd < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC)) {
		close(u->dirfd);
		return -errno;
	}
	u->rfd = p[0];
	u->wfd = p[1];
	u->joined = false;
	int r = pthread_create(&u->th, NULL, unpacker_run, u);
	if (r) {
		close(p[0]);
		close(p[1]);
		u->wfd = -1;
		close(u->dirfd);
		u->dirfd = -1;
		u->joined = true;
		return -r;
	}
	return 0;
}

/* End of input; the unpacker's result. */
static int unpacker_finish(struct unpacker *u)
{
	if (u->wfd >= 0)
		close(u->wfd);
	u->wfd = -1;
	if (!u->joined)
		pthread_join(u->th, NULL);
	u->joined = true;
	return u->res;
}

/* The snapshot is verified: make it durable and put it in place. */
static int snapshot_commit(const struct pull_opts *o, int dirfd,
			   const char *dir, const uint8_t chain[32], char *err,
			   size_t errlen)
{
	char dst[700];
	int r = 0;

	if (syncfs(dirfd))
		r = -errno;
	store_snapshot_path(o->s, chain, dst, sizeof(dst));
	if (!r && rename(dir, dst))
		r = -errno;
	return r ? errmsg_errno(err, errlen, r, -r, "snapshot %s", dst) : 0;
}

static int check_diff_id(const struct store_view *v, size_t i,
			 const struct unpack_stats *st, char *err,
			 size_t errlen)
{
	char want[OCI_DIGEST_STR], got[OCI_DIGEST_STR];

	if (!memcmp(st->diff_id, v->c.diff_ids[i], 32))
		return 0;
	oci_digest_format(v->c.diff_ids[i], want);
	oci_digest_format(st->diff_id, got);
	return errmsg(err, errlen, -EBADMSG,
		      "layer %zu: uncompressed content %s is not the config's "
		      "diff_id %s",
		      i + 1, got, want);
}

static struct unpack_opts unpack_opts(const struct pull_opts *o)
{
	struct unpack_opts u = { .devices = o->rc->unpack_devices,
				 .max_bytes = o->rc->max_layer_bytes };
	return u;
}

int snapshot_from_blob(const struct pull_opts *o, const struct store_view *v,
		       size_t i, const char *work, char *err, size_t errlen)
{
	char dir[800], blob[700], hex[65];
	struct unpack_stats st;
	struct unpack_opts uo = unpack_opts(o);
	int r, fd, dirfd;

	if (store_has_snapshot(o->s, v->chain[i]))
		return 0;
	oci_digest_hex(v->chain[i], hex);
	snprintf(dir, sizeof(dir), "%s/snap-%s", work, hex);
	store_rm_tree(dir);
	store_blob_path(o->s, v->m.layers[i].digest, blob, sizeof(blob));
	if (mkdir(dir, 0755) ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", dir);
	if ((fd = open(blob, O_RDONLY | O_CLOEXEC)) < 0) {
		r = errmsg_errno(err, errlen, -errno, errno, "%s", blob);
		close(dirfd);
		return r;
	}
	r = layer_unpack(fd, oci_media_name(v->m.layers[i].media_type), dirfd,
			 &uo, &st, err, errlen);
	close(fd);
	if (!r)
		r = check_diff_id(v, i, &st, err, errlen);
	if (!r)
		r = snapshot_commit(o, dirfd, dir, v->chain[i], err, errlen);
	close(dirfd);
	if (r)
		store_rm_tree(dir);
	return r;
}

/*
 * The blob from the registry into tmp_path, teed into the unpacker;
 * resumed with Range after a connection loss, started over when the
 * server ignores the Range.
 */
static int download(const struct pull_opts *o, struct registry *r,
		    const char *repo, const struct oci_descriptor *d, size_t i,
		    size_t nl, int fd, struct unpacker *u, const char *snapdir,
		    char *err, size_t errlen)
{
	static char buf[65536];
	struct sha256_ctx h;
	char dig[OCI_DIGEST_STR];
	uint64_t have = 0;
	int resumes = 0, res;
	long last = monotonic_ms();

	oci_digest_format(d->digest, dig);
	sha256_init(&h);
	for (;;) {
		/* cut just before a chunked body's last chunk: nothing to ask */
		if (have && have == (uint64_t)d->size)
			break;
		if ((res = registry_get(r, repo, "blobs", dig, NULL, have, err,
					errlen)))
			return res;
		int s = r->conn->resp.status;
		if (have && s == 200) {
			log_warn("%s: server ignored Range; starting over",
				 dig);
			unpacker_finish(u);
			close(u->dirfd);
			u->dirfd = -1;
			if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) ||
			    (res = unpacker_start(u, snapdir))) {
				res = res ? res : -errno;
				return errmsg_errno(err, errlen, res, -res,
						    "%s: starting over", dig);
			}
			have = 0;
			sha256_init(&h);
		} else if (have && r->conn->resp.range_start != (int64_t)have) {
			return errmsg(err, errlen, -EPROTO,
				      "%s: asked for bytes %llu-, got %lld-",
				      dig, (unsigned long long)have,
				      (long long)r->conn->resp.range_start);
		}
		ssize_t n;
		while ((n = http_read(r->conn, buf, sizeof(buf))) > 0) {
			if (have + n > (uint64_t)d->size)
				return errmsg(
					err, errlen, -EBADMSG,
					"%s: more bytes than the manifest's "
					"%lld",
					dig, (long long)d->size);
			if ((res = write_full(fd, buf, n)))
				return errmsg(err, errlen, res, "%s: %s", dig,
					      res == -ENOSPC ? "disk full"
							     : strerror(-res));
			/* an unpacker that stopped has said why, or is done */
			if (u->wfd >= 0 && write_full(u->wfd, buf, n)) {
				close(u->wfd);
				u->wfd = -1;
			}
			sha256_update(&h, n, (const uint8_t *)buf);
			have += n;
			if (monotonic_ms() - last >= PROGRESS_EVERY_MS) {
				last = monotonic_ms();
				progress(o->p,
					 "layer %zu/%zu %.19s: %.1f/%.1f MB",
					 i + 1, nl, dig, have / 1e6,
					 d->size / 1e6);
			}
		}
		if (!n)
			break;
		if (++resumes > RESUMES_MAX)
			return errmsg(err, errlen, -EIO,
				      "%s: connection lost %d times", dig,
				      resumes);
		http_close(r->conn);
		log_info("resuming %s at byte %llu", dig,
			 (unsigned long long)have);
	}
	uint8_t got[32];
	sha256_digest(&h, SHA256_DIGEST_SIZE, got);
	if (have != (uint64_t)d->size || memcmp(got, d->digest, 32))
		return errmsg(
			err, errlen, -EBADMSG, "%s: digest mismatch%s", dig,
			have != (uint64_t)d->size ? " (size differs)" : "");
	return 0;
}

/* One layer: blob and snapshot, whatever of them is missing. */
static int layer_get(const struct pull_opts *o, struct registry *r,
		     const char *repo, const struct store_view *v, size_t i,
		     const char *work, char *err, size_t errlen)
{
	const struct oci_descriptor *d = &v->m.layers[i];
	char hex[65], chex[65], lock[80], tmp[800], snapdir[800];
	int res, lk_snap, lk_blob;

	oci_digest_hex(d->digest, hex);
	oci_digest_hex(v->chain[i], chex);
	snprintf(lock, sizeof(lock), "snap-%s", chex);
	/* a pull of the same layer elsewhere does it once: wait for it */
	if ((lk_snap = store_lock(o->s, lock, true, true)) < 0)
		return lk_snap;
	if (store_has_snapshot(o->s, v->chain[i])) {
		close(lk_snap);
		return 0;
	}
	snprintf(lock, sizeof(lock), "blob-%s", hex);
	if ((lk_blob = store_lock(o->s, lock, true, true)) < 0) {
		close(lk_snap);
		return lk_blob;
	}
	if (store_has_blob(o->s, d->digest)) {
		res = snapshot_from_blob(o, v, i, work, err, errlen);
		goto out;
	}
	progress(o->p, "layer %zu/%zu sha256:%.12s: %.1f MB", i + 1,
		 v->m.n_layers, hex, d->size / 1e6);
	snprintf(tmp, sizeof(tmp), "%s/blob-%s", work, hex);
	snprintf(snapdir, sizeof(snapdir), "%s/snap-%s", work, chex);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		res = errmsg_errno(err, errlen, -errno, errno, "%s", tmp);
		goto out;
	}
	struct unpacker *u = calloc(1, sizeof(*u));
	if (!u) {
		close(fd);
		res = -ENOMEM;
		goto out;
	}
	u->media_type = oci_media_name(d->media_type);
	u->o = unpack_opts(o);
	if ((res = unpacker_start(u, snapdir))) {
		errmsg_errno(err, errlen, res, -res, "%s", snapdir);
		close(fd);
		free(u);
		goto out;
	}
	res = download(o, r, repo, d, i, v->m.n_layers, fd, u, snapdir, err,
		       errlen);
	close(fd);
	int ures = unpacker_finish(u);
	if (!res && ures)
		res = errmsg(err, errlen, ures, "layer %zu (sha256:%.12s): %s",
			     i + 1, hex, u->err);
	if (!res)
		res = check_diff_id(v, i, &u->st, err, errlen);
	if (!res)
		res = store_commit_blob(o->s, d->digest, tmp, err, errlen);
	if (!res)
		res = snapshot_commit(o, u->dirfd, snapdir, v->chain[i], err,
				      errlen);
	if (u->dirfd >= 0)
		close(u->dirfd);
	if (!res)
		progress(o->p, "layer %zu/%zu sha256:%.12s: done (%llu files)",
			 i + 1, v->m.n_layers, hex,
			 (unsigned long long)u->st.files);
	free(u);
out:
	close(lk_blob);
	close(lk_snap);
	return res;
}

struct worker {
	pid_t pid;
	int errfd;
	size_t layer;
};

/* Layers max_parallel at a time, each in a process of its own. */
static int layers_get(const struct pull_opts *o, struct registry *r,
		      const char *repo, const struct store_view *v,
		      const char *work, char *err, size_t errlen)
{
	int max = o->rc->max_parallel > 0 ? o->rc->max_parallel : 1;
	struct worker w[16];
	size_t next = 0;
	int running = 0, res = 0;

	if (max > 16)
		max = 16;
	while ((next < v->m.n_layers && !res) || running) {
		if (next < v->m.n_layers && !res && running < max) {
			int p[2];
			if (pipe2(p, O_CLOEXEC))
				return -errno;
			pid_t pid = fork();
			if (!pid) {
				char why[1024] = "";
				close(p[0]);
				/* a connection of its own: not the parent's */
				struct registry mine = *r;
				int q;
				if (!(mine.conn = http_conn_new()))
					q = errmsg(why, sizeof(why), -ENOMEM,
						   "out of memory");
				else
					q = layer_get(o, &mine, repo, v, next,
						      work, why, sizeof(why));
				if (q)
					write_full(p[1], why, strlen(why));
				_exit(q ? 1 : 0);
			}
			close(p[1]);
			if (pid < 0) {
				close(p[0]);
				res = errmsg_errno(err, errlen, -EAGAIN, errno,
						   "fork");
				continue;
			}
			w[running++] = (struct worker){ pid, p[0], next };
			next++;
			continue;
		}
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (int k = 0; k < running; k++) {
			if (w[k].pid != pid)
				continue;
			char why[1024];
			ssize_t n = read(w[k].errfd, why, sizeof(why) - 1);
			why[n > 0 ? n : 0] = '\0';
			close(w[k].errfd);
			bool ok = WIFEXITED(status) && !WEXITSTATUS(status);
			if (!ok && !res) {
				if (why[0])
					res = errmsg(err, errlen, -EIO, "%s",
						     why);
				else
					res = errmsg(err, errlen, -EIO,
						     "layer %zu: worker died "
						     "(status %d)",
						     w[k].layer + 1, status);
				/* the first failure decides: stop the rest */
				for (int j = 0; j < running; j++)
					if (j != k)
						kill(w[j].pid, SIGTERM);
			}
			w[k] = w[--running];
			break;
		}
	}
	return res;
}

/* Room for the missing blobs and, at a guessed 3:1, their unpacked trees */
static int space_check(const struct pull_opts *o, const struct store_view *v,
		       char *err, size_t errlen)
{
	unsigned long long need = 0;
	struct statvfs fs;

	for (size_t i = 0; i < v->m.n_layers; i++) {
		if (!store_has_blob(o->s, v->m.layers[i].digest))
			need += v->m.layers[i].size;
		if (!store_has_snapshot(o->s, v->chain[i]))
			need += 3ULL * v->m.layers[i].size;
	}
	if (statvfs(o->s->root, &fs))
		return 0;
	unsigned long long avail =
		(unsigned long long)fs.f_bavail * fs.f_frsize;
	if (avail >= need)
		return 0;
	return errmsg(err, errlen, -ENOSPC,
		      "not enough space in %s: the image needs about %llu MB, "
		      "%llu MB are free (imagectl prune may free some)",
		      o->s->root, need >> 20, avail >> 20);
}

/* os and architecture must match; a variant only when both name one */
static bool platform_is(const struct oci_config *c,
			const struct oci_platform *p)
{
	return !strcmp(c->os, p->os) &&
	       !strcmp(c->architecture, p->architecture) &&
	       (!c->variant[0] || !p->variant[0] ||
		!strcmp(c->variant, p->variant));
}

/* One pull, as its steps share it. */
struct pull {
	const struct pull_opts *o;
	struct image_ref ref;
	char name[IMAGE_REF_MAX + 1];
	char platform[100];
	struct oci_platform plat;
	struct registry r;
	struct store_image img;
	struct store_view *v;
	char work[700];
};

/*
 * The image manifest for this platform, through an index (at most an
 * index of indexes) when the name leads to one; each stored as it is
 * verified. v->m holds it, img its digest and the index's.
 */
static int pull_manifest(struct pull *p, char *err, size_t errlen)
{
	const char *tagref = p->ref.digest[0] ? p->ref.digest : p->ref.tag;
	char ctype[256], dig[OCI_DIGEST_STR], *buf = NULL;
	const uint8_t *w = NULL;
	uint8_t want[32], got[32];
	size_t len = 0;
	int res;

	if (p->ref.digest[0] && !oci_digest_parse(p->ref.digest, want))
		w = want;
	for (int depth = 0;; depth++) {
		res = fetch_manifest(&p->r, p->ref.path, tagref, w, &buf, &len,
				     got, ctype, sizeof(ctype), err, errlen);
		if (!res)
			res = oci_manifest_parse(buf, len, ctype, &p->v->m, err,
						 errlen);
		if (!res)
			res = store_put_blob(p->o->s, got, buf, len, err,
					     errlen);
		free(buf);
		buf = NULL;
		if (res || p->v->m.kind == OCI_KIND_MANIFEST)
			break;
		if (depth == 1)
			return errmsg(err, errlen, -EBADMSG,
				      "%s: an index in an index in an index",
				      p->name);
		oci_digest_format(got, p->img.index_digest);
		int k = oci_index_pick(&p->v->m, p->plat.os,
				       p->plat.architecture, p->plat.variant);
		if (k < 0)
			return errmsg(err, errlen, -ENOENT,
				      "%s: no image for %s", p->name,
				      p->platform);
		memcpy(want, p->v->m.manifests[k].desc.digest, 32);
		w = want;
		oci_digest_format(want, dig);
		tagref = dig;
	}
	if (!res)
		oci_digest_format(got, p->img.digest);
	return res;
}

/* The config, small and verified like the manifest, unless it is in. */
static int pull_config(struct pull *p, char *err, size_t errlen)
{
	const uint8_t *d = p->v->m.config.digest;
	char cdig[OCI_DIGEST_STR], lock[80], *buf = NULL;
	size_t len = 0;
	int lk, res;

	oci_digest_format(d, cdig);
	/* a pull of the same image elsewhere fetches it once */
	snprintf(lock, sizeof(lock), "blob-%s", cdig + 7);
	if ((lk = store_lock(p->o->s, lock, true, true)) < 0)
		return errmsg_errno(err, errlen, lk, -lk, "store locks");
	if (store_has_blob(p->o->s, d)) {
		close(lk);
		return 0;
	}
	res = registry_get(&p->r, p->ref.path, "blobs", cdig, NULL, 0, err,
			   errlen);
	if (!res && !(buf = malloc(OCI_JSON_MAX + 1)))
		res = errmsg(err, errlen, -ENOMEM, "out of memory");
	if (!res && (res = read_json(p->r.conn, buf, &len, NULL)))
		res = errmsg(err, errlen, -EIO, "%s: config: %s", cdig,
			     res == -EFBIG ? "too large" : strerror(-res));
	if (!res)
		res = store_put_blob(p->o->s, d, buf, len, err, errlen);
	free(buf);
	close(lk);
	return res;
}

/* What the image needs in the store, after its manifest and config. */
static int pull_image(struct pull *p, char *err, size_t errlen)
{
	int res;

	snprintf(p->img.name, sizeof(p->img.name), "%s", p->name);
	snprintf(p->img.platform, sizeof(p->img.platform), "%s", p->platform);
	p->img.created = time(NULL);
	if ((res = store_view(p->o->s, &p->img, p->v, err, errlen)))
		return res;
	const struct oci_config *c = &p->v->c;
	if (!platform_is(c, &p->plat))
		return errmsg(err, errlen, -ENOEXEC,
			      "%s is for %s/%s%s%s, not %s", p->name, c->os,
			      c->architecture, c->variant[0] ? "/" : "",
			      c->variant, p->platform);
	if ((res = space_check(p->o, p->v, err, errlen)) ||
	    (res = layers_get(p->o, &p->r, p->ref.path, p->v, p->work, err,
			      errlen)))
		return res;
	res = store_image_set(p->o->s, &p->img);
	return res ? errmsg_errno(err, errlen, res, -res, "index.json") : 0;
}

int image_pull(const struct pull_opts *o, const char *refstr,
	       char name[IMAGE_REF_MAX + 1], char *err, size_t errlen)
{
	struct pull *p = calloc(1, sizeof(*p));
	int res, gc = -1;

	if (!p)
		return -ENOMEM;
	p->o = o;
	if ((res = image_ref_parse(refstr, &p->ref, err, errlen)))
		goto free_pull;
	image_ref_format(&p->ref, p->name, sizeof(p->name));
	snprintf(name, IMAGE_REF_MAX + 1, "%s", p->name);
	snprintf(p->platform, sizeof(p->platform), "%s",
		 o->platform ? o->platform : host_platform());
	if ((res = oci_platform_parse(p->platform, &p->plat))) {
		errmsg(err, errlen, res, "%s: not os/arch[/variant]",
		       p->platform);
		goto free_pull;
	}
	if ((res = registry_open(&p->r, o->rc, p->ref.domain, err, errlen)))
		goto free_pull;
	p->r.log = log_info;
	if (o->token_dir)
		p->r.token_dir = o->token_dir;
	if (!(p->v = malloc(sizeof(*p->v)))) {
		res = -ENOMEM;
		goto release;
	}
	if ((gc = store_lock(o->s, "gc", false, true)) < 0) {
		res = errmsg_errno(err, errlen, gc, -gc, "store locks");
		goto release;
	}
	if ((res = store_work_dir(o->s, "pull", p->work, sizeof(p->work)))) {
		errmsg_errno(err, errlen, res, -res, "%s", p->work);
		goto release;
	}
	progress(o->p, "resolving %s", p->name);
	if (!(res = pull_manifest(p, err, errlen)) &&
	    !(res = pull_config(p, err, errlen)))
		res = pull_image(p, err, errlen);
	store_rm_tree(p->work);
release:
	if (gc >= 0)
		close(gc);
	free(p->v);
	registry_close(&p->r);
free_pull:
	free(p);
	return res;
}

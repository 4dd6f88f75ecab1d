// SPDX-License-Identifier: MIT
#include "images/pull.h"
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
	ssize_t n = 0;
	int res;

	if ((res = registry_get(r, repo, "manifests", ref, OCI_ACCEPT_MANIFESTS,
				0, err, errlen)))
		return res;
	if (r->conn->resp.content_length > OCI_JSON_MAX) {
		snprintf(err, errlen, "%s: manifest larger than %d bytes", ref,
			 OCI_JSON_MAX);
		return -EFBIG;
	}
	snprintf(ctype, ctlen, "%s", r->conn->resp.content_type);
	*buf = malloc(OCI_JSON_MAX + 1);
	if (!*buf)
		return -ENOMEM;
	*len = 0;
	sha256_init(&h);
	while (*len <= OCI_JSON_MAX &&
	       (n = http_read(r->conn, *buf + *len, OCI_JSON_MAX + 1 - *len)) >
		       0) {
		sha256_update(&h, n, (const uint8_t *)(*buf + *len));
		*len += n;
	}
	sha256_digest(&h, SHA256_DIGEST_SIZE, got);
	if (n < 0 || *len > OCI_JSON_MAX) {
		snprintf(err, errlen, "%s: manifest: %s", ref,
			 n < 0 ? strerror((int)-n) : "too large");
		res = n < 0 ? (int)n : -EFBIG;
	} else if (want && memcmp(want, got, 32)) {
		oci_digest_format(want, dig);
		snprintf(err, errlen, "%s: digest mismatch", dig);
		res = -EBADMSG;
	} else if (!want && r->conn->resp.digest[0] &&
		   !oci_digest_parse(r->conn->resp.digest, said) &&
		   memcmp(said, got, 32)) {
		snprintf(err, errlen, "%s: digest mismatch (manifest of %s)",
			 r->conn->resp.digest, ref);
		res = -EBADMSG;
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
	if (r)
		snprintf(err, errlen, "snapshot %s: %s", dst, strerror(-r));
	return r;
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
	snprintf(err, errlen,
		 "layer %zu: uncompressed content %s is not the config's "
		 "diff_id %s",
		 i + 1, got, want);
	return -EBADMSG;
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
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if ((fd = open(blob, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", blob, strerror(-r));
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
			log_warn("%s: the server ignored Range; starting over",
				 dig);
			unpacker_finish(u);
			close(u->dirfd);
			u->dirfd = -1;
			if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) ||
			    (res = unpacker_start(u, snapdir))) {
				res = res ? res : -errno;
				snprintf(err, errlen, "%s: starting over: %s",
					 dig, strerror(-res));
				return res;
			}
			have = 0;
			sha256_init(&h);
		} else if (have && r->conn->resp.range_start != (int64_t)have) {
			snprintf(err, errlen,
				 "%s: asked for bytes %llu-, got %lld-", dig,
				 (unsigned long long)have,
				 (long long)r->conn->resp.range_start);
			return -EPROTO;
		}
		ssize_t n;
		while ((n = http_read(r->conn, buf, sizeof(buf))) > 0) {
			if (have + n > (uint64_t)d->size) {
				snprintf(err, errlen,
					 "%s: more bytes than the manifest's "
					 "%lld",
					 dig, (long long)d->size);
				return -EBADMSG;
			}
			if ((res = write_full(fd, buf, n))) {
				snprintf(err, errlen, "%s: %s", dig,
					 res == -ENOSPC ? "disk full"
							: strerror(-res));
				return res;
			}
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
		if (++resumes > RESUMES_MAX) {
			snprintf(err, errlen, "%s: connection lost %d times",
				 dig, resumes);
			return -EIO;
		}
		http_close(r->conn);
		log_info("resuming %s at byte %llu", dig,
			 (unsigned long long)have);
	}
	uint8_t got[32];
	sha256_digest(&h, SHA256_DIGEST_SIZE, got);
	if (have != (uint64_t)d->size || memcmp(got, d->digest, 32)) {
		snprintf(err, errlen, "%s: digest mismatch%s", dig,
			 have != (uint64_t)d->size ? " (size differs)" : "");
		return -EBADMSG;
	}
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
		res = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-res));
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
		snprintf(err, errlen, "%s: %s", snapdir, strerror(-res));
		close(fd);
		free(u);
		goto out;
	}
	res = download(o, r, repo, d, i, v->m.n_layers, fd, u, snapdir, err,
		       errlen);
	close(fd);
	int ures = unpacker_finish(u);
	if (!res && ures) {
		snprintf(err, errlen, "layer %zu (sha256:%.12s): %s", i + 1,
			 hex, u->err);
		res = ures;
	}
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
				mine.conn = malloc(sizeof(*mine.conn));
				mine.conn->fd = -1;
				mine.conn->tls = NULL;
				mine.conn->reusable = false;
				int q = layer_get(o, &mine, repo, v, next, work,
						  why, sizeof(why));
				if (q)
					write_full(p[1], why, strlen(why));
				_exit(q ? 1 : 0);
			}
			close(p[1]);
			if (pid < 0) {
				close(p[0]);
				snprintf(err, errlen, "fork: %s",
					 strerror(errno));
				res = -EAGAIN;
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
					snprintf(err, errlen, "%s", why);
				else
					snprintf(err, errlen,
						 "layer %zu: worker died "
						 "(status %d)",
						 w[k].layer + 1, status);
				res = -EIO;
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
	snprintf(err, errlen,
		 "not enough space in %s: the image needs about %llu MB, "
		 "%llu MB are free (imagectl prune may free some)",
		 o->s->root, need >> 20, avail >> 20);
	return -ENOSPC;
}

/* os and architecture must match; a variant only when both name one */
static bool platform_is(const struct oci_config *c, const char *os,
			const char *arch, const char *variant)
{
	return !strcmp(c->os, os) && !strcmp(c->architecture, arch) &&
	       (!c->variant[0] || !variant[0] || !strcmp(c->variant, variant));
}

int image_pull(const struct pull_opts *o, const char *refstr,
	       char name[IMAGE_REF_MAX + 1], char *err, size_t errlen)
{
	struct image_ref ref;
	struct registry r;
	struct store_image img = { 0 };
	struct store_view *v = NULL;
	char platform[100], os[32] = "", arch[32] = "", variant[32] = "";
	char work[700], ctype[256], *buf = NULL, dig[OCI_DIGEST_STR];
	uint8_t want[32], got[32];
	size_t len;
	int res, gc = -1;

	if (image_ref_parse(refstr, &ref, err, errlen))
		return -EINVAL;
	image_ref_format(&ref, name, IMAGE_REF_MAX + 1);
	snprintf(platform, sizeof(platform), "%s",
		 o->platform ? o->platform : host_platform());
	if (sscanf(platform, "%31[^/]/%31[^/]/%31s", os, arch, variant) < 2) {
		snprintf(err, errlen, "%s: not os/arch[/variant]", platform);
		return -EINVAL;
	}
	if ((res = registry_open(&r, o->rc, ref.domain, err, errlen)))
		return res;
	r.log = log_info;
	if (o->token_dir)
		r.token_dir = o->token_dir;
	v = malloc(sizeof(*v));
	if (!v) {
		registry_close(&r);
		return -ENOMEM;
	}
	if ((gc = store_lock(o->s, "gc", false, true)) < 0) {
		res = gc;
		snprintf(err, errlen, "store locks: %s", strerror(-res));
		goto out;
	}
	if ((res = store_work_dir(o->s, "pull", work, sizeof(work)))) {
		snprintf(err, errlen, "%s: %s", work, strerror(-res));
		goto out;
	}
	progress(o->p, "resolving %s", name);
	const char *tagref = ref.digest[0] ? ref.digest : ref.tag;
	const uint8_t *w = NULL;
	if (ref.digest[0] && !oci_digest_parse(ref.digest, want))
		w = want;
	for (int depth = 0;; depth++) {
		res = fetch_manifest(&r, ref.path, tagref, w, &buf, &len, got,
				     ctype, sizeof(ctype), err, errlen);
		if (res)
			goto out_work;
		if ((res = oci_manifest_parse(buf, len, ctype, &v->m, err,
					      errlen)))
			goto out_work;
		if ((res = store_put_blob(o->s, got, buf, len, err, errlen)))
			goto out_work;
		free(buf);
		buf = NULL;
		if (v->m.kind == OCI_KIND_MANIFEST)
			break;
		if (depth == 1) {
			snprintf(err, errlen,
				 "%s: an index in an index in an "
				 "index",
				 name);
			res = -EBADMSG;
			goto out_work;
		}
		oci_digest_format(got, img.index_digest);
		int k = oci_index_pick(&v->m, os, arch, variant);
		if (k < 0) {
			snprintf(err, errlen, "%s: no image for %s", name,
				 platform);
			res = -ENOENT;
			goto out_work;
		}
		memcpy(want, v->m.manifests[k].desc.digest, 32);
		w = want;
		oci_digest_format(want, dig);
		tagref = dig;
	}
	oci_digest_format(got, img.digest);
	/* the config, small and verified like the manifest */
	char cdig[OCI_DIGEST_STR], lock[80];
	oci_digest_format(v->m.config.digest, cdig);
	/* a pull of the same image elsewhere fetches it once */
	snprintf(lock, sizeof(lock), "blob-%s", cdig + 7);
	int lk = store_lock(o->s, lock, true, true);
	if (lk < 0) {
		res = lk;
		snprintf(err, errlen, "store locks: %s", strerror(-res));
		goto out_work;
	}
	if (!store_has_blob(o->s, v->m.config.digest)) {
		res = registry_get(&r, ref.path, "blobs", cdig, NULL, 0, err,
				   errlen);
		if (!res) {
			buf = malloc(OCI_JSON_MAX + 1);
			len = 0;
			ssize_t n = 0;
			while (buf && len <= OCI_JSON_MAX &&
			       (n = http_read(r.conn, buf + len,
					      OCI_JSON_MAX + 1 - len)) > 0)
				len += n;
			if (!buf || n < 0 || len > OCI_JSON_MAX) {
				snprintf(err, errlen, "%s: config: %s", cdig,
					 n < 0 ? strerror((int)-n)
					       : "too large");
				res = -EIO;
			}
		}
		if (!res)
			res = store_put_blob(o->s, v->m.config.digest, buf, len,
					     err, errlen);
		free(buf);
		buf = NULL;
	}
	close(lk);
	if (res)
		goto out_work;
	snprintf(img.name, sizeof(img.name), "%s", name);
	snprintf(img.platform, sizeof(img.platform), "%s", platform);
	img.created = time(NULL);
	if ((res = store_view(o->s, &img, v, err, errlen)))
		goto out_work;
	if (!platform_is(&v->c, os, arch, variant)) {
		snprintf(err, errlen, "%s is for %s/%s%s%s, not %s", name,
			 v->c.os, v->c.architecture, v->c.variant[0] ? "/" : "",
			 v->c.variant, platform);
		res = -ENOEXEC;
		goto out_work;
	}
	if ((res = space_check(o, v, err, errlen)))
		goto out_work;
	if ((res = layers_get(o, &r, ref.path, v, work, err, errlen)))
		goto out_work;
	res = store_image_set(o->s, &img);
	if (res)
		snprintf(err, errlen, "index.json: %s", strerror(-res));
out_work:
	free(buf);
	store_rm_tree(work);
out:
	if (gc >= 0)
		close(gc);
	free(v);
	registry_close(&r);
	return res;
}

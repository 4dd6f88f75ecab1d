// SPDX-License-Identifier: MIT
#include "images/load.h"
#include "errmsg.h"
#include "store/decompress.h"
#include "progress.h"
#include "file.h"
#include "images/images.h"
#include "oci/platform.h"
#include "store/tar.h"
#include "store/unpack.h"

#include <nettle/sha2.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/*
 * imagectl load: images carried in by hand (airgap). Two archive kinds:
 * an OCI image layout (image-layout.md: oci-layout, index.json,
 * blobs/sha256/...) and what `docker save` writes (manifest.json with
 * Config, RepoTags and Layers). Every file is hashed as it comes out of
 * the archive; blobs are then taken by digest only, so a file named for
 * one digest but holding other bytes is refused, and nothing the
 * archive says is trusted past what its digests prove.
 */

#define LOAD_FILES_MAX 4096

struct file {
	char *name; /* as in the archive, "./" dropped */
	char *link; /* a symlink's target, resolved against name's folder */
	uint8_t digest[32];
	int64_t size;
};

struct archive {
	struct file f[LOAD_FILES_MAX];
	size_t n;
	char *index_json, *manifest_json; /* OCI, docker save */
	size_t index_len, manifest_len;
	char work[700];
};

static char *clean(const char *p)
{
	while (!strncmp(p, "./", 2))
		p += 2;
	while (*p == '/')
		p++;
	return strdup(p);
}

static const struct file *lookup(const struct archive *a, const char *name)
{
	for (int hops = 0; hops < 2; hops++) {
		const struct file *hit = NULL;
		for (size_t i = 0; i < a->n && !hit; i++)
			if (!strcmp(a->f[i].name, name))
				hit = &a->f[i];
		if (!hit || !hit->link)
			return hit;
		name = hit->link;
	}
	return NULL;
}

/* "dir/x" + "../y" -> "y"; only what docker save writes is understood */
static char *resolve(const char *name, const char *target)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(name, '/');
	size_t dl = slash ? (size_t)(slash - name) : 0;

	if (!strncmp(target, "../", 3) && dl && !memchr(name, '/', dl)) {
		snprintf(buf, sizeof(buf), "%s", target + 3);
	} else if (dl) {
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)dl, name, target);
	} else {
		snprintf(buf, sizeof(buf), "%s", target);
	}
	return clean(buf);
}

static ssize_t fd_read(void *ctx, void *buf, size_t len)
{
	return decomp_read(ctx, buf, len);
}

/* One regular file out of the archive into work/<hex>, hashed. */
static int take_file(struct archive *a, struct tar *t,
		     const struct tar_entry *e, struct file *f, char *err,
		     size_t errlen)
{
	static char buf[65536];
	struct sha256_ctx h;
	char tmp[800], dst[800], hex[65];
	ssize_t n;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s/incoming", a->work);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0) {
		return errmsg_errno(err, errlen, -errno, errno, "%s", tmp);
	}
	sha256_init(&h);
	while ((n = tar_read(t, buf, sizeof(buf))) > 0) {
		sha256_update(&h, n, (const uint8_t *)buf);
		if ((r = write_full(fd, buf, n))) {
			errmsg(err, errlen, r, "%s: %s", e->path,
			       r == -ENOSPC ? "disk full" : strerror(-r));
			break;
		}
	}
	close(fd);
	if (n < 0) {
		return errmsg(err, errlen, (int)n, "%s", t->err);
	}
	if (r)
		return r;
	sha256_digest(&h, SHA256_DIGEST_SIZE, f->digest);
	f->size = (int64_t)e->size;
	oci_digest_hex(f->digest, hex);
	snprintf(dst, sizeof(dst), "%s/%s", a->work, hex);
	if (rename(tmp, dst)) {
		return errmsg_errno(err, errlen, -errno, errno, "%s", dst);
	}
	/* image-layout.md: a blob's name is its digest */
	if (!strncmp(f->name, "blobs/sha256/", 13) &&
	    strcmp(f->name + 13, hex)) {
		return errmsg(err, errlen, -EBADMSG,
			      "%s: digest mismatch (it holds sha256:%s)",
			      f->name, hex);
	}
	return 0;
}

static int read_archive(struct archive *a, const char *path, char *err,
			size_t errlen)
{
	struct tar *t = calloc(1, sizeof(*t));
	struct tar_entry *e = calloc(1, sizeof(*e));
	struct decomp *d = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0 || !t || !e) {
		r = fd < 0 ? -errno : -ENOMEM;
		errmsg_errno(err, errlen, r, -r, "%s", path);
		goto out;
	}
	/* a gzip'd or zstd'd archive is taken too */
	if ((r = decomp_open(&d, DECOMP_AUTO, decomp_fd_reader, &fd,
			     UNPACK_MAX_BYTES, err, errlen)))
		goto out;
	tar_init(t, fd_read, d, UNPACK_MAX_BYTES);
	while ((r = tar_next(t, e)) > 0) {
		if (e->type != TAR_REG && e->type != TAR_SYMLINK)
			continue;
		if (a->n == LOAD_FILES_MAX) {
			r = errmsg(err, errlen, -E2BIG,
				   "%s: more than %d files", path,
				   LOAD_FILES_MAX);
			break;
		}
		struct file *f = &a->f[a->n];
		memset(f, 0, sizeof(*f));
		if (!(f->name = clean(e->path))) {
			r = -ENOMEM;
			break;
		}
		a->n++;
		if (e->type == TAR_SYMLINK) {
			f->link = resolve(f->name, e->link);
			continue;
		}
		char **json = !strcmp(f->name, "index.json") ? &a->index_json
			      : !strcmp(f->name, "manifest.json")
				      ? &a->manifest_json
				      : NULL;
		if (json) {
			size_t *len = json == &a->index_json ? &a->index_len
							     : &a->manifest_len;
			if (e->size > OCI_JSON_MAX) {
				r = errmsg(err, errlen, -EFBIG, "%s: too large",
					   f->name);
				break;
			}
			free(*json);
			*json = malloc(e->size + 1);
			size_t got = 0;
			ssize_t n = *json ? 1 : -ENOMEM;
			while (n > 0 && got < e->size &&
			       (n = tar_read(t, *json + got, e->size - got)) >
				       0)
				got += n;
			if (got != e->size) {
				r = errmsg(err, errlen, -EIO, "%s: %s", f->name,
					   n < 0 ? t->err : "short read");
				break;
			}
			(*json)[e->size] = '\0';
			*len = e->size;
			continue;
		}
		if ((r = take_file(a, t, e, f, err, errlen)))
			break;
	}
	if (r < 0 && !*err)
		errmsg(err, errlen, r, "%s: %s", path,
		       *t->err ? t->err : strerror(-r));
out:
	if (t)
		tar_free(t);
	free(t);
	free(e);
	decomp_close(d);
	if (fd >= 0)
		close(fd);
	return r < 0 ? r : 0;
}

/* A file of the archive into the store as the blob it must be. */
static int blob_in(const struct pull_opts *o, struct archive *a,
		   const uint8_t d[32], char *err, size_t errlen)
{
	char hex[65], p[800], dig[OCI_DIGEST_STR];

	if (store_has_blob(o->s, d))
		return 0;
	oci_digest_hex(d, hex);
	snprintf(p, sizeof(p), "%s/%s", a->work, hex);
	if (access(p, F_OK)) {
		oci_digest_format(d, dig);
		return errmsg(err, errlen, -ENOENT,
			      "the archive has no blob %s", dig);
	}
	return store_commit_blob(o->s, d, p, err, errlen);
}

/* A manifest (by digest, in the archive) into the store, with all it names. */
static int image_in(const struct pull_opts *o, struct archive *a,
		    const char *name, const uint8_t mdig[32],
		    const char *index_digest, char *err, size_t errlen)
{
	struct store_view *v = malloc(sizeof(*v));
	struct store_image img = { 0 };
	struct oci_platform host;
	uint8_t d[32];
	char *buf;
	size_t len;
	int r;

	if (!v)
		return -ENOMEM;
	oci_platform_parse(host_platform(), &host);
	memcpy(d, mdig, 32);
	for (int depth = 0;; depth++) {
		if ((r = blob_in(o, a, d, err, errlen)))
			goto out;
		if ((r = store_read_blob(o->s, d, OCI_JSON_MAX, &buf, &len)))
			goto out;
		r = oci_manifest_parse(buf, len, NULL, &v->m, err, errlen);
		free(buf);
		if (r)
			goto out;
		if (v->m.kind == OCI_KIND_MANIFEST)
			break;
		if (depth) {
			r = errmsg(err, errlen, -EBADMSG, "%s: nested indexes",
				   name);
			goto out;
		}
		int k = oci_index_pick(&v->m, host.os, host.architecture,
				       host.variant);
		if (k < 0) {
			r = errmsg(err, errlen, -ENOENT, "%s: no image for %s",
				   name, host_platform());
			goto out;
		}
		oci_digest_format(d, img.index_digest);
		memcpy(d, v->m.manifests[k].desc.digest, 32);
	}
	if (index_digest && !img.index_digest[0])
		snprintf(img.index_digest, sizeof(img.index_digest), "%s",
			 index_digest);
	if ((r = blob_in(o, a, v->m.config.digest, err, errlen)))
		goto out;
	for (size_t i = 0; i < v->m.n_layers; i++)
		if ((r = blob_in(o, a, v->m.layers[i].digest, err, errlen)))
			goto out;
	snprintf(img.name, sizeof(img.name), "%s", name);
	oci_digest_format(d, img.digest);
	snprintf(img.platform, sizeof(img.platform), "%s", host_platform());
	img.created = time(NULL);
	if ((r = store_view(o->s, &img, v, err, errlen)))
		goto out;
	if (strcmp(v->c.os, host.os) ||
	    strcmp(v->c.architecture, host.architecture)) {
		r = errmsg(err, errlen, -ENOEXEC,
			   "%s is for %s/%s, this host is %s", name, v->c.os,
			   v->c.architecture, host_platform());
		goto out;
	}
	for (size_t i = 0; i < v->m.n_layers; i++) {
		char lock[80], hex[65];
		progress(o->p, "%s: layer %zu/%zu", name, i + 1, v->m.n_layers);
		/* the lock pull.c takes first: a pull may want this layer too */
		oci_digest_hex(v->chain[i], hex);
		snprintf(lock, sizeof(lock), "snap-%s", hex);
		int lk = store_lock(o->s, lock, true, true);
		if (lk < 0) {
			r = errmsg_errno(err, errlen, lk, -lk, "locks");
			goto out;
		}
		r = snapshot_from_blob(o, v, i, a->work, err, errlen);
		close(lk);
		if (r)
			goto out;
	}
	if ((r = store_image_set(o->s, &img)))
		errmsg_errno(err, errlen, r, -r, "index.json");
	else
		progress(o->p, "loaded %s", name);
out:
	free(v);
	return r;
}

/*
 * image-layout.md's index.json. The name is the ref.name annotation when
 * it is a whole reference (containerd's io.containerd.image.name first);
 * a bare tag, as skopeo writes, names "localhost/<archive name>:<tag>".
 */
static int load_oci(const struct pull_opts *o, struct archive *a,
		    const char *path, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(a->index_json, a->index_len);
	cJSON *ms = cJSON_GetObjectItemCaseSensitive(root, "manifests"), *m;
	char stem[256], name[IMAGE_REF_MAX + 1], full[IMAGE_REF_MAX + 64];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int r = 0, loaded = 0;

	snprintf(stem, sizeof(stem), "%.*s", (int)strcspn(base, "."), base);
	for (char *c = stem; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", *c))
			*c = *c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : '-';
	if (!cJSON_IsArray(ms)) {
		cJSON_Delete(root);
		return errmsg(err, errlen, -EBADMSG,
			      "index.json: no manifests");
	}
	cJSON_ArrayForEach(m, ms)
	{
		cJSON *ann = cJSON_GetObjectItemCaseSensitive(m, "annotations");
		const char *n =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				ann, "io.containerd.image.name"));
		if (!n)
			n = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(
					ann,
					"org.opencontainers.image.ref.name"));
		const char *dig = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(m, "digest"));
		uint8_t d[32];
		if (!n || !dig)
			continue;
		if (oci_digest_parse(dig, d)) {
			r = errmsg(err, errlen, -EBADMSG,
				   "index.json: bad digest '%.80s'", dig);
			break;
		}
		if (!strpbrk(n, "/:"))
			snprintf(full, sizeof(full), "localhost/%s:%s", stem,
				 n);
		else
			snprintf(full, sizeof(full), "%s", n);
		if ((r = image_ref_canonical(full, name, err, errlen)))
			break;
		if ((r = image_in(o, a, name, d, NULL, err, errlen)))
			break;
		loaded++;
	}
	cJSON_Delete(root);
	if (!r && !loaded)
		r = errmsg(err, errlen, -ENOENT,
			   "index.json names no image "
			   "(org.opencontainers.image.ref.name)");
	return r;
}

/* A descriptor of a file we hashed, as a manifest names it. */
static cJSON *descriptor(const char *media_type, const struct file *f)
{
	cJSON *d = cJSON_CreateObject();
	char dig[OCI_DIGEST_STR];

	oci_digest_format(f->digest, dig);
	cJSON_AddStringToObject(d, "mediaType", media_type);
	cJSON_AddStringToObject(d, "digest", dig);
	cJSON_AddNumberToObject(d, "size", (double)f->size);
	return d;
}

/*
 * The OCI manifest one docker save entry's would be, built from what we
 * hashed, into the store: its digest in md. config is the entry's
 * Config, in the archive; layers its Layers.
 */
static int docker_manifest(const struct pull_opts *o, const struct archive *a,
			   const struct file *config, const cJSON *layers,
			   uint8_t md[32], char *err, size_t errlen)
{
	cJSON *m = cJSON_CreateObject(), *ls = cJSON_CreateArray();
	const cJSON *l;
	struct sha256_ctx h;
	char *text;
	int r;

	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", OCI_MT_MANIFEST);
	cJSON_AddItemToObject(m, "config", descriptor(OCI_MT_CONFIG, config));
	cJSON_AddItemToObject(m, "layers", ls);
	cJSON_ArrayForEach(l, layers)
	{
		const char *ln = cJSON_GetStringValue(l);
		const struct file *lf = ln ? lookup(a, ln) : NULL;
		if (!lf) {
			cJSON_Delete(m);
			return errmsg(err, errlen, -EBADMSG,
				      "manifest.json: layer %.200s is not in "
				      "the archive",
				      ln ? ln : "?");
		}
		cJSON_AddItemToArray(ls, descriptor(OCI_MT_LAYER_TAR, lf));
	}
	text = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	if (!text)
		return -ENOMEM;
	sha256_init(&h);
	sha256_update(&h, strlen(text), (const uint8_t *)text);
	sha256_digest(&h, SHA256_DIGEST_SIZE, md);
	r = store_put_blob(o->s, md, text, strlen(text), err, errlen);
	free(text);
	return r;
}

/* docker save: layers are plain tars, their digests the DiffIDs. */
static int load_docker(const struct pull_opts *o, struct archive *a, char *err,
		       size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(a->manifest_json, a->manifest_len);
	cJSON *img, *t;
	int r = 0, loaded = 0;

	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return errmsg(err, errlen, -EBADMSG,
			      "manifest.json: not a list");
	}
	cJSON_ArrayForEach(img, root)
	{
		const char *cfg = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(img, "Config"));
		cJSON *layers = cJSON_GetObjectItemCaseSensitive(img, "Layers");
		cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
		const struct file *cf = cfg ? lookup(a, cfg) : NULL;
		uint8_t md[32];
		if (!cf || !cJSON_IsArray(layers)) {
			r = errmsg(err, errlen, -EBADMSG, "manifest.json: %s",
				   cfg ? "its Config is not in the archive"
				       : "an entry without Config");
			break;
		}
		r = docker_manifest(o, a, cf, layers, md, err, errlen);
		cJSON_ArrayForEach(t, tags)
		{
			char name[IMAGE_REF_MAX + 1];
			const char *tn = cJSON_GetStringValue(t);
			if (r || !tn)
				break;
			if (!(r = image_ref_canonical(tn, name, err, errlen)) &&
			    !(r = image_in(o, a, name, md, NULL, err, errlen)))
				loaded++;
		}
		if (r)
			break;
	}
	cJSON_Delete(root);
	if (!r && !loaded)
		r = errmsg(err, errlen, -ENOENT,
			   "manifest.json names no image (RepoTags)");
	return r;
}

int image_load(const struct pull_opts *o, const char *path, char *err,
	       size_t errlen)
{
	struct archive *a = calloc(1, sizeof(*a));
	struct statvfs fs;
	struct stat st;
	int r, gc;

	if (!a)
		return -ENOMEM;
	*err = '\0';
	if (stat(path, &st)) {
		int e = errno;
		free(a);
		return errmsg_errno(err, errlen, -ENOENT, e, "%s", path);
	}
	/* the archive's files, then the blobs and the unpacked layers */
	if (!statvfs(o->s->root, &fs) &&
	    (unsigned long long)fs.f_bavail * fs.f_frsize <
		    4ULL * (unsigned long long)st.st_size) {
		free(a);
		return errmsg(err, errlen, -ENOSPC,
			      "not enough space in %s to load %s (%lld MB): "
			      "about %lld MB needed",
			      o->s->root, path, (long long)st.st_size >> 20,
			      4LL * st.st_size >> 20);
	}
	if ((gc = store_lock(o->s, "gc", false, true)) < 0) {
		free(a);
		return errmsg_errno(err, errlen, gc, -gc, "store locks");
	}
	if ((r = store_work_dir(o->s, "load", a->work, sizeof(a->work)))) {
		errmsg_errno(err, errlen, r, -r, "%s", a->work);
		goto out;
	}
	progress(o->p, "reading %s", path);
	if ((r = read_archive(a, path, err, errlen)))
		goto out_work;
	if (a->index_json)
		r = load_oci(o, a, path, err, errlen);
	else if (a->manifest_json)
		r = load_docker(o, a, err, errlen);
	else
		r = errmsg(err, errlen, -EINVAL,
			   "%s: neither an OCI image layout (index.json) nor a "
			   "docker save archive (manifest.json)",
			   path);
out_work:
	store_rm_tree(a->work);
out:
	for (size_t i = 0; i < a->n; i++) {
		free(a->f[i].name);
		free(a->f[i].link);
	}
	free(a->index_json);
	free(a->manifest_json);
	free(a);
	close(gc);
	return r;
}

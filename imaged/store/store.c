// SPDX-License-Identifier: MIT
#include "store/store.h"
#include "errmsg.h"
#include "file.h"

#include <nettle/sha2.h>
#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int store_open(struct store *s, const char *root, char *err, size_t errlen)
{
	static const char *subs[] = { "blobs/sha256", "snapshots", "tmp",
				      "locks" };
	char p[sizeof(s->root) + 16];
	int r;

	if (snprintf(s->root, sizeof(s->root), "%s", root) >=
	    (int)sizeof(s->root))
		return errmsg(err, errlen, -ENAMETOOLONG,
			      "store path too long");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, subs[i]);
		if ((r = mkdir_parents(p, 0700)))
			return errmsg_errno(err, errlen, r, -r, "%s", p);
	}
	return 0;
}

/*
 * name in dfd, folders emptied first, through fds: no path is built, so
 * depth costs an fd per level (unpack.c caps it), not a path buffer.
 */
static int rm_at(int dfd, const char *name)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *e;

	if (!unlinkat(dfd, name, 0) || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a layer may have made a folder we cannot list or enter */
	fchmod(fd, 0700);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int q = rm_at(dirfd(d), e->d_name);
		if (q && !r)
			r = q;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) && !r)
		r = -errno;
	return r;
}

int store_rm_tree(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

void store_clean_tmp(const struct store *s)
{
	char p[600];
	DIR *d;
	struct dirent *e;

	snprintf(p, sizeof(p), "%s/tmp", s->root);
	if (!(d = opendir(p)))
		return;
	while ((e = readdir(d))) {
		char sub[900];
		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
		store_rm_tree(sub);
	}
	closedir(d);
}

void store_blob_path(const struct store *s, const uint8_t d[32], char *out,
		     size_t outlen)
{
	char hex[65];

	oci_digest_hex(d, hex);
	snprintf(out, outlen, "%s/blobs/sha256/%s", s->root, hex);
}

void store_snapshot_path(const struct store *s, const uint8_t chain[32],
			 char *out, size_t outlen)
{
	char hex[65];

	oci_digest_hex(chain, hex);
	snprintf(out, outlen, "%s/snapshots/%s", s->root, hex);
}

bool store_has_blob(const struct store *s, const uint8_t d[32])
{
	char p[700];

	store_blob_path(s, d, p, sizeof(p));
	return !access(p, F_OK);
}

bool store_has_snapshot(const struct store *s, const uint8_t chain[32])
{
	char p[700];

	store_snapshot_path(s, chain, p, sizeof(p));
	return !access(p, F_OK);
}

int store_work_dir(const struct store *s, const char *what, char *out,
		   size_t outlen)
{
	snprintf(out, outlen, "%s/tmp/%s-%d", s->root, what, (int)getpid());
	store_rm_tree(out);
	return mkdir(out, 0700) ? -errno : 0;
}

int store_lock(const struct store *s, const char *name, bool exclusive,
	       bool wait)
{
	char p[700];
	int fd;

	snprintf(p, sizeof(p), "%s/locks/%s", s->root, name);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd,
		     (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB))) {
		if (errno == EINTR)
			continue;
		int e = errno == EWOULDBLOCK ? EBUSY : errno;
		close(fd);
		return -e;
	}
	return fd;
}

int store_commit_blob(const struct store *s, const uint8_t d[32],
		      const char *tmp_path, char *err, size_t errlen)
{
	char dst[700];
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || fsync(fd))
		r = -errno;
	if (fd >= 0)
		close(fd);
	store_blob_path(s, d, dst, sizeof(dst));
	if (!r && rename(tmp_path, dst))
		r = -errno;
	if (!r)
		r = sync_dir_of(dst);
	return r ? errmsg_errno(err, errlen, r, -r, "storing %s", dst) : 0;
}

int store_put_blob(const struct store *s, const uint8_t d[32], const void *buf,
		   size_t len, char *err, size_t errlen)
{
	struct sha256_ctx h;
	uint8_t got[32];
	char dst[700], dig[OCI_DIGEST_STR];

	sha256_init(&h);
	sha256_update(&h, len, (const uint8_t *)buf);
	sha256_digest(&h, SHA256_DIGEST_SIZE, got);
	if (memcmp(got, d, 32)) {
		oci_digest_format(d, dig);
		return errmsg(err, errlen, -EBADMSG, "%s: digest mismatch",
			      dig);
	}
	if (store_has_blob(s, d))
		return 0;
	store_blob_path(s, d, dst, sizeof(dst));
	int r = write_atomic(dst, buf, len, 0600);
	return r ? errmsg_errno(err, errlen, r, -r, "storing %s", dst) : 0;
}

int store_read_blob(const struct store *s, const uint8_t d[32], size_t max,
		    char **buf, size_t *len)
{
	char p[700];
	struct stat st;
	int fd, r = 0;

	store_blob_path(s, d, p, sizeof(p));
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	*buf = malloc(st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n ? -errno : -EIO;
			break;
		}
		got += n;
	}
	close(fd);
	if (r) {
		free(*buf);
		return r;
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

/* index.json: {"images": [{"name", "digest", "index", "platform", "created"}]} */
int store_images(const struct store *s, struct store_image **out, size_t *n)
{
	char p[700];
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	snprintf(p, sizeof(p), "%s/index.json", s->root);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(fd, &st) || !(text = malloc(st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t k = read(fd, text + len, st.st_size - len);
		if (k <= 0)
			break;
		len += k;
	}
	close(fd);
	cJSON *root = cJSON_ParseWithLength(text, len);
	free(text);
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "images");
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	int cnt = cJSON_GetArraySize(arr);
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (!*out) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		struct store_image *img = &(*out)[*n];
		const char *keys[] = { "name", "digest", "index", "platform" };
		char *dst[] = { img->name, img->digest, img->index_digest,
				img->platform };
		size_t sizes[] = { sizeof(img->name), sizeof(img->digest),
				   sizeof(img->index_digest),
				   sizeof(img->platform) };
		for (int k = 0; k < 4; k++) {
			const char *v = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(it, keys[k]));
			snprintf(dst[k], sizes[k], "%s", v ? v : "");
		}
		cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "created");
		img->created =
			cJSON_IsNumber(c) ? (long long)c->valuedouble : 0;
		if (img->name[0] && img->digest[0])
			(*n)++;
	}
	cJSON_Delete(root);
	return r;
}

static int index_write(const struct store *s, const struct store_image *imgs,
		       size_t n)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char p[700];
	int r = -ENOMEM;

	cJSON_AddItemToObject(root, "images", arr);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", imgs[i].name);
		cJSON_AddStringToObject(o, "digest", imgs[i].digest);
		if (imgs[i].index_digest[0])
			cJSON_AddStringToObject(o, "index",
						imgs[i].index_digest);
		cJSON_AddStringToObject(o, "platform", imgs[i].platform);
		cJSON_AddNumberToObject(o, "created", (double)imgs[i].created);
		cJSON_AddItemToArray(arr, o);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text) {
		snprintf(p, sizeof(p), "%s/index.json", s->root);
		r = write_atomic(p, text, strlen(text), 0600);
		free(text);
	}
	return r;
}

static int index_change(const struct store *s, const char *name,
			const struct store_image *img)
{
	struct store_image *imgs;
	size_t n;
	int lk = store_lock(s, "index", true, true), r;

	if (lk < 0)
		return lk;
	if ((r = store_images(s, &imgs, &n))) {
		close(lk);
		return r;
	}
	size_t j = 0;
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(imgs[i].name, name)) {
			imgs[j++] = imgs[i];
			continue;
		}
		found = true;
	}
	if (img) {
		struct store_image *more =
			realloc(imgs, (j + 1) * sizeof(*imgs));
		if (!more) {
			free(imgs);
			close(lk);
			return -ENOMEM;
		}
		imgs = more;
		imgs[j++] = *img;
	}
	r = !img && !found ? -ENOENT : index_write(s, imgs, j);
	free(imgs);
	close(lk);
	return r;
}

int store_image_set(const struct store *s, const struct store_image *img)
{
	return index_change(s, img->name, img);
}

int store_image_remove(const struct store *s, const char *name)
{
	return index_change(s, name, NULL);
}

int store_image_get(const struct store *s, const char *name,
		    struct store_image *img)
{
	struct store_image *imgs;
	size_t n;
	int r = store_images(s, &imgs, &n);

	if (r)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(imgs[i].name, name)) {
			*img = imgs[i];
			r = 0;
		}
	free(imgs);
	return r;
}

void chain_ids(const uint8_t diff[][32], size_t n, uint8_t chain[][32])
{
	for (size_t i = 0; i < n; i++) {
		if (!i) {
			memcpy(chain[0], diff[0], 32);
			continue;
		}
		char a[OCI_DIGEST_STR], b[OCI_DIGEST_STR];
		struct sha256_ctx h;
		oci_digest_format(chain[i - 1], a);
		oci_digest_format(diff[i], b);
		sha256_init(&h);
		sha256_update(&h, strlen(a), (const uint8_t *)a);
		sha256_update(&h, 1, (const uint8_t *)" ");
		sha256_update(&h, strlen(b), (const uint8_t *)b);
		sha256_digest(&h, SHA256_DIGEST_SIZE, chain[i]);
	}
}

int store_view(const struct store *s, const struct store_image *img,
	       struct store_view *v, char *err, size_t errlen)
{
	uint8_t d[32];
	char *buf;
	size_t len;
	int r;

	if (oci_digest_parse(img->digest, d))
		return errmsg(err, errlen, -EBADMSG,
			      "%s: bad digest in the index", img->name);
	if ((r = store_read_blob(s, d, OCI_JSON_MAX, &buf, &len)))
		return errmsg_errno(err, errlen, r, -r, "%s: manifest %s",
				    img->name, img->digest);
	r = oci_manifest_parse(buf, len, NULL, &v->m, err, errlen);
	free(buf);
	if (r)
		return r;
	if (v->m.kind != OCI_KIND_MANIFEST)
		return errmsg(err, errlen, -EBADMSG,
			      "%s: not an image manifest", img->digest);
	if ((r = store_read_blob(s, v->m.config.digest, OCI_JSON_MAX, &buf,
				 &len)))
		return errmsg_errno(err, errlen, r, -r, "%s: config",
				    img->name);
	r = oci_config_parse(buf, len, &v->c, err, errlen);
	free(buf);
	if (r)
		return r;
	if (v->c.n_diff_ids != v->m.n_layers)
		return errmsg(
			err, errlen, -EBADMSG,
			"%s: the config lists %zu layers, the manifest %zu",
			img->name, v->c.n_diff_ids, v->m.n_layers);
	chain_ids((const uint8_t(*)[32])v->c.diff_ids, v->m.n_layers, v->chain);
	return 0;
}

/* Remove entries of dir (blobs or snapshots) whose name is not in keep. */
static void sweep(const char *dir, const char *tmpdir, char (*keep)[65],
		  size_t nkeep, unsigned *count, unsigned long long *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[900];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool kept = false;
		for (size_t i = 0; i < nkeep && !kept; i++)
			kept = !strcmp(keep[i], e->d_name);
		if (kept)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat st;
		if (!lstat(p, &st) && S_ISREG(st.st_mode))
			*bytes += st.st_size;
		/*
		 * out of sight first: a prune cut short must not leave half a
		 * snapshot that a later pull takes as whole (tmp/ is emptied
		 * when imaged starts)
		 */
		char gone[900];
		snprintf(gone, sizeof(gone), "%s/prune-%d-%s", tmpdir,
			 (int)getpid(), e->d_name);
		if (rename(p, gone))
			continue;
		store_rm_tree(gone);
		(*count)++;
	}
	closedir(d);
}

int store_prune(const struct store *s, struct prune_stats *st, char *err,
		size_t errlen)
{
	struct store_image *imgs;
	struct store_view *v = malloc(sizeof(*v));
	char(*keep_b)[65] = NULL, (*keep_s)[65] = NULL;
	size_t n, nb = 0, ns = 0;
	char dir[700];
	int gc, r;

	memset(st, 0, sizeof(*st));
	if (!v)
		return -ENOMEM;
	gc = store_lock(s, "gc", true, false);
	if (gc < 0) {
		free(v);
		if (gc == -EBUSY)
			return errmsg(err, errlen, gc,
				      "a pull or load is running; prune after "
				      "it");
		return errmsg_errno(err, errlen, gc, -gc, "locks");
	}
	if ((r = store_images(s, &imgs, &n))) {
		errmsg_errno(err, errlen, r, -r, "index.json");
		goto out;
	}
	keep_b = calloc(n * (OCI_MAX_LAYERS + 3) + 1, 65);
	keep_s = calloc(n * OCI_MAX_LAYERS + 1, 65);
	if (!keep_b || !keep_s) {
		r = -ENOMEM;
		goto out_imgs;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t d[32];
		if (!oci_digest_parse(imgs[i].digest, d))
			oci_digest_hex(d, keep_b[nb++]);
		if (!oci_digest_parse(imgs[i].index_digest, d))
			oci_digest_hex(d, keep_b[nb++]);
		/* an image we cannot read: better keep everything than guess */
		if ((r = store_view(s, &imgs[i], v, err, errlen)))
			goto out_imgs;
		oci_digest_hex(v->m.config.digest, keep_b[nb++]);
		for (size_t l = 0; l < v->m.n_layers; l++) {
			oci_digest_hex(v->m.layers[l].digest, keep_b[nb++]);
			oci_digest_hex(v->chain[l], keep_s[ns++]);
		}
	}
	char tmpdir[700];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", s->root);
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	sweep(dir, tmpdir, keep_b, nb, &st->blobs, &st->bytes);
	snprintf(dir, sizeof(dir), "%s/snapshots", s->root);
	unsigned long long ignored = 0;
	sweep(dir, tmpdir, keep_s, ns, &st->snapshots, &ignored);
	/* lock files of finished work: no pull runs while gc is held */
	snprintf(dir, sizeof(dir), "%s/locks", s->root);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "blob-", 5) &&
		    strncmp(e->d_name, "snap-", 5))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	r = 0;
out_imgs:
	free(imgs);
out:
	free(keep_b);
	free(keep_s);
	free(v);
	close(gc);
	return r;
}

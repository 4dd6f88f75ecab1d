/* SPDX-License-Identifier: MIT */
#ifndef KEEL_STORE_H
#define KEEL_STORE_H

#include "oci/oci.h"
#include "oci/ref.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The content store under /var/lib/keel/images:
 *   blobs/sha256/<hex>     verified blobs, never partial
 *   snapshots/<chain hex>/ one unpacked layer each, overlayfs form
 *   tmp/<work>-<pid>/      one per pull or load; removed when it ends
 *   locks/                 flock files: one per blob and snapshot being
 *                          made, "gc" (shared by pulls, exclusive for prune)
 *   index.json             image names to manifest digests
 * Everything lands by rename from tmp/ after an fsync, so a power cut
 * leaves the old state or the new, and tmp/ is emptied on start.
 */

#define STORE_DIR "/var/lib/keel/images"

struct store {
	char root[512];
};

int store_open(struct store *s, const char *root, char *err, size_t errlen);
/* Empty tmp/ (work a crash or power cut left). */
void store_clean_tmp(const struct store *s);

void store_blob_path(const struct store *s, const uint8_t d[32], char *out,
		     size_t outlen);
void store_snapshot_path(const struct store *s, const uint8_t chain[32],
			 char *out, size_t outlen);
bool store_has_blob(const struct store *s, const uint8_t d[32]);
bool store_has_snapshot(const struct store *s, const uint8_t chain[32]);

/* A fresh work folder tmp/<what>-<pid>; rm it with store_rm_tree. */
int store_work_dir(const struct store *s, const char *what, char *out,
		   size_t outlen);

/* flock() locks/<name>, waiting; returns the fd to close, or -errno. */
int store_lock(const struct store *s, const char *name, bool exclusive,
	       bool wait);

/*
 * A small blob (manifest, config) from memory: checked against d, then
 * written and renamed into place. -EBADMSG on a mismatch.
 */
int store_put_blob(const struct store *s, const uint8_t d[32], const void *buf,
		   size_t len, char *err, size_t errlen);
/* Move a file already verified as d into blobs/, with fsyncs. */
int store_commit_blob(const struct store *s, const uint8_t d[32],
		      const char *tmp_path, char *err, size_t errlen);
/* A blob into a malloc'd, NUL-terminated buffer (at most max bytes). */
int store_read_blob(const struct store *s, const uint8_t d[32], size_t max,
		    char **buf, size_t *len);

/* Remove a tree without following symlinks; 0 or -errno. */
int store_rm_tree(const char *path);

struct store_image {
	char name[IMAGE_REF_MAX + 1]; /* canonical */
	char digest[OCI_DIGEST_STR]; /* the platform's image manifest */
	char index_digest[OCI_DIGEST_STR]; /* the index it came from, or "" */
	char platform[100]; /* "linux/arm64/v8" */
	long long created; /* epoch seconds of the pull or load */
};

/* Every image; *out is malloc'd (free it). 0 or -errno. */
int store_images(const struct store *s, struct store_image **out, size_t *n);
/* Add or replace (by name), under the index lock. */
int store_image_set(const struct store *s, const struct store_image *img);
/* -ENOENT when there is no such name. */
int store_image_remove(const struct store *s, const char *name);
int store_image_get(const struct store *s, const char *name,
		    struct store_image *img);

/*
 * An image's parsed manifest and config, read back from the store, with
 * each layer's chain ID (the image spec's config.md, "Layer ChainID").
 */
struct store_view {
	struct oci_manifest m;
	struct oci_config c;
	uint8_t chain[OCI_MAX_LAYERS][32];
};
int store_view(const struct store *s, const struct store_image *img,
	       struct store_view *v, char *err, size_t errlen);

/* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)) */
void chain_ids(const uint8_t diff[][32], size_t n, uint8_t chain[][32]);

struct prune_stats {
	unsigned blobs, snapshots;
	unsigned long long bytes;
};
/*
 * Remove every blob and snapshot no image references. -EBUSY while a
 * pull or load holds the gc lock.
 */
int store_prune(const struct store *s, struct prune_stats *st, char *err,
		size_t errlen);

#endif

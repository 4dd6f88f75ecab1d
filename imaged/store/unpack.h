/* SPDX-License-Identifier: MIT */
#ifndef KEEL_UNPACK_H
#define KEEL_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Unpacking one OCI layer into its own directory, ready to be an
 * overlayfs layer: the layer's whiteouts become overlayfs whiteouts
 * (character devices 0/0) and opaque directories (trusted.overlay.opaque
 * "y"), as overlayfs.rst, "whiteouts and opaque directories", has them.
 *
 * Whatever the archive says, nothing is created, changed or followed
 * outside the directory: paths with ".." are refused, and no symlink is
 * followed, so one the layer made earlier cannot redirect a later entry.
 */

/* Folders an entry's path may go down (the kernel's PATH_MAX allows 2048). */
#define UNPACK_MAX_DEPTH 256

/* Default cap on a layer's size uncompressed (and its tar stream). */
#define UNPACK_MAX_BYTES (32ULL << 30)

struct unpack_opts {
	bool devices; /* create character and block devices and fifos */
	uint64_t max_bytes; /* cap on the tar stream; 0: UNPACK_MAX_BYTES */
};

struct unpack_stats {
	uint64_t files, dirs, symlinks, hardlinks, whiteouts;
	uint64_t devices; /* devices and fifos made */
	uint64_t devices_skipped; /* ...or not, without opts.devices */
	uint64_t bytes; /* of regular file data */
	uint64_t xattrs; /* set */
	uint64_t xattrs_failed; /* trusted.* the file system refused */
	uint64_t xattrs_dropped; /* {trusted,user}.overlay.*: overlayfs's */
	char xattr_error[160]; /* the first of xattrs_failed, or "" */
	uint8_t diff_id[32]; /* sha256 of the tar stream, once it is all in */
};

/*
 * The layer read from src_fd (its media type, or NULL to go by magic
 * bytes) into dirfd, an empty directory opened O_RDONLY; o may be NULL
 * for the defaults. 0, or -errno with err naming the entry and saying why; then dirfd holds a partial layer the caller
 * throws away. Files are not synced: the caller syncs the tree.
 */
int layer_unpack(int src_fd, const char *media_type, int dirfd,
		 const struct unpack_opts *o, struct unpack_stats *st,
		 char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DECOMPRESS_H
#define KEEL_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A layer blob as a stream of tar bytes: gzip (RFC 1952, members one
 * after another allowed), zstd (RFC 8878, frames one after another
 * allowed) or plain, named by the layer's media type or, with none,
 * recognised by magic bytes.
 *
 * Output is capped: a layer that decompresses to more than max_out bytes
 * is an error (-EFBIG) once the first byte past the cap comes out, so a
 * small blob cannot fill the disk or keep a worker busy for ever.
 */

enum decomp_kind {
	DECOMP_AUTO, /* by magic bytes: gzip, zstd, else plain */
	DECOMP_PLAIN,
	DECOMP_GZIP,
	DECOMP_ZSTD,
};

/* Reads up to len bytes: the count (0 only at the end), or -errno. */
typedef ssize_t (*decomp_read_fn)(void *ctx, void *buf, size_t len);

struct decomp;

/*
 * The kind a layer media type (OCI image-spec media-types.md, and
 * Docker's) names: 0, or -EINVAL for a type that is not a tar layer.
 */
int decomp_kind_for_media_type(const char *media_type, enum decomp_kind *k);

/*
 * A stream reading compressed bytes from read(ctx): 0 and *out, or
 * -errno with err saying why (for a named kind, data that is not of
 * that kind is an error here, before any output).
 */
int decomp_open(struct decomp **out, enum decomp_kind kind, decomp_read_fn read,
		void *ctx, uint64_t max_out, char *err, size_t errlen);

/*
 * Up to len decompressed bytes: the count, 0 at the end of the last
 * member or frame, or -errno with decomp_error() saying why. A stream
 * cut short is an error, not an end.
 */
ssize_t decomp_read(struct decomp *d, void *buf, size_t len);

/* Why the last call failed, or "". */
const char *decomp_error(const struct decomp *d);

void decomp_close(struct decomp *d);

/* A decomp_read_fn over a file descriptor: ctx points to the int fd. */
ssize_t decomp_fd_reader(void *ctx, void *buf, size_t len);

#endif

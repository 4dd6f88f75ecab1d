/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SOURCE_H
#define KEEL_SOURCE_H

#include "os/download.h"

#include <nettle/sha2.h>

#include <stdint.h>
#include <sys/types.h>

/*
 * Where a bundle is read from, front to back and once: a file (or block
 * device) or an http(s):// URL, whose download resumes where it was cut
 * (download.h).
 */
struct source {
	int fd; /* a file, or -1 */
	int direct; /* the same file O_DIRECT, or -1 */
	struct http_conn *http; /* a URL, or NULL */
	struct download dl;
	struct stall stall;
	char spec[HTTP_PATH_MAX + HTTP_HOST_MAX]; /* as given */
	uint64_t pos;
	uint64_t size; /* for progress; 0 when unknown */
	char err[512]; /* why a read failed */
	/* every byte read is hashed here when set (os/expect.c's hook) */
	struct sha256_ctx *whole;
};

/* stall_s: update_stall_timeout, for a URL. */
int source_open(struct source *s, const char *spec, int stall_s, char *err,
		size_t errlen);
/* Exactly len bytes, or -errno with s->err (-EPIPE: the source ended). */
int source_read(struct source *s, void *buf, size_t len);

/*
 * The same into a buffer of cap bytes, which a file may fill past len:
 * an aligned read of a page-aligned buffer goes past the page cache
 * (O_DIRECT), which under emulation costs a quarter of a buffered one
 * (make bench).
 */
int source_read_into(struct source *s, void *buf, size_t len, size_t cap);
/* Read and drop n bytes. */
int source_skip(struct source *s, uint64_t n);
void source_close(struct source *s);

/*
 * ref (a manifest's store or full) where the bundle at spec names it: a
 * URL as it is, otherwise a path from the bundle's folder (or URL path).
 */
int source_resolve(const char *spec, const char *ref, char *out, size_t outlen);

#endif

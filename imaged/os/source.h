/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SOURCE_H
#define KEEL_SOURCE_H

#include "net/http.h"

#include <nettle/sha2.h>

#include <stdint.h>
#include <sys/types.h>

/*
 * Where a bundle is read from, front to back: a file (or block device)
 * or an http:// URL. An install reads its source twice (verify, then
 * write), so a source can be opened again.
 */
struct source {
	int fd; /* a file, or -1 */
	struct http_conn *http; /* a URL, or NULL */
	uint64_t pos;
	uint64_t size; /* for progress; 0 when unknown */
	/* every byte read is hashed here when set (os/expect.c's hook) */
	struct sha256_ctx *whole;
};

int source_open(struct source *s, const char *spec, char *err, size_t errlen);
/* Exactly len bytes, or -errno (-EPIPE: the source ended first). */
int source_read(struct source *s, void *buf, size_t len);
/* Read and drop n bytes. */
int source_skip(struct source *s, uint64_t n);
void source_close(struct source *s);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CASTORE_H
#define KEEL_CASTORE_H

#include "os/download.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A casync chunk store (.castr), over http(s) or in a folder: chunk <id>
 * is the file <id[0..3]>/<id>.cacnk (ids in lower-case hex), its bytes
 * compressed with zstd, as `casync make` writes them (casync's
 * src/cachunk.c, ca_chunk_file_open, and --compression=zstd, its
 * default). A chunk is believed only once its bytes hash to its id.
 */
struct castore {
	char base[HTTP_PATH_MAX + HTTP_HOST_MAX]; /* ends in '/' */
	struct http_conn *c; /* over http(s); NULL for a folder */
	struct stall *stall;
	uint8_t *z; /* the chunk as stored */
	size_t zcap;
	uint64_t fetched; /* stored bytes fetched */
	uint64_t chunks; /* chunks fetched */
	struct castore *tally; /* where those are counted: itself, or */
};

int castore_open(struct castore *s, const char *base, struct stall *stall,
		 char *err, size_t errlen);

/*
 * Another connection to s's store, for another thread, counting what it
 * fetches into s (which must outlive it).
 */
int castore_clone(struct castore *dst, struct castore *s, char *err,
		  size_t errlen);

/*
 * Chunk id (len bytes long, as the index says) into out: fetched,
 * decompressed and checked. -ENOENT: the store lacks it; -EBADMSG: it is
 * not what its id says.
 */
int castore_get(struct castore *s, const uint8_t id[32], uint8_t *out,
		size_t len, char *err, size_t errlen);

void castore_close(struct castore *s);

/* id as casync names it: 64 lower-case hex digits. */
void chunk_id_hex(const uint8_t id[32], char hex[65]);

#endif

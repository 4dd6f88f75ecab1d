/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CAINDEX_H
#define KEEL_CAINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A casync blob index (.caibx), as `casync make FILE.caibx FILE` writes
 * it: the list of chunks a file is cut into, each by its end offset and
 * its id (the SHA-256 of its bytes). Pure, for the unit tests and the
 * fuzzer; the bytes come from a bundle and are untrusted until their
 * sha256 matched the signed manifest, and are parsed strictly anyway.
 *
 * The layout (casync's src/caformat.h, "index files"; all numbers
 * little-endian 64-bit):
 *
 *   INDEX  size = 48, type = CA_FORMAT_INDEX, feature flags,
 *          chunk size min, avg, max (the chunker's parameters)
 *   TABLE  size = 2^64 - 1 (written before its length is known),
 *          type = CA_FORMAT_TABLE, then per chunk 40 bytes: the offset
 *          where it ends in the file (strictly growing) and its 32-byte id
 *   TAIL   0, 0, 48 (the INDEX's offset from the TABLE), the TABLE's
 *          size (16 + 40 n + 40), CA_FORMAT_TABLE_TAIL_MARKER
 *
 * and nothing after. keel takes SHA-256 ids only (`casync make
 * --digest=sha256`, the feature flag CA_FORMAT_SHA512_256 clear).
 */
#define CA_FORMAT_INDEX 0x96824d9c7b129ff9ULL
#define CA_FORMAT_TABLE 0xe75b9e112f17417dULL
#define CA_FORMAT_TABLE_TAIL_MARKER 0x4b4f050e5549ecd1ULL
#define CA_FORMAT_SHA512_256 0x2000000000000000ULL
#define CA_INDEX_HEADER 48
#define CA_TABLE_HEADER 16
#define CA_ITEM 40
#define CA_ID 32
/* keel holds one chunk in memory at a time: no bigger than this */
#define CA_INDEX_CHUNK_MAX (16u << 20)

struct caindex {
	uint64_t flags, min, avg, max;
	uint64_t chunks;
	uint64_t size; /* of the file: the last chunk's end */
	const uint8_t
		*items; /* chunks * CA_ITEM bytes, in the caller's buffer */
};

int caindex_parse(struct caindex *ix, const uint8_t *buf, size_t len, char *err,
		  size_t errlen);

/* Chunk i: where it starts, how long it is, its id. */
void caindex_chunk(const struct caindex *ix, uint64_t i, uint64_t *start,
		   uint64_t *len, const uint8_t **id);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CACHUNKER_H
#define KEEL_CACHUNKER_H

#include <stddef.h>
#include <stdint.h>

/*
 * casync's content-defined chunker, so that keel cuts a file where
 * `casync make` cuts it: a chunk store made by casync then holds the
 * chunks this host finds in its running slot. Pure, for the unit tests
 * (which compare the cuts with casync's own) and the fuzzer.
 *
 * The rule (casync's src/cachunker.c and its README, "chunking"): a
 * buzhash over the last 48 bytes; a chunk ends after byte i when it is at
 * least min bytes long and h(i) mod d == d - 1, or when it is max bytes
 * long, where d, the discriminator, is avg / (1.33237515 - 1.42888852e-7
 * avg) (casync's fit, so that chunks average avg bytes with min = avg / 4
 * and max = 4 avg), kept within min..max. The first min - 48 bytes of a
 * chunk cannot end it and are not hashed. The end of the input ends the
 * last chunk.
 */
#define CA_WINDOW 48
#define CA_CHUNK_LIMIT_MAX (128u << 20) /* casync refuses bigger chunks */
#define CA_CUT_NONE SIZE_MAX

struct cachunker {
	size_t min, avg, max, discriminator, skip;
	uint64_t reciprocal; /* 2^64 / discriminator, rounded up */
	size_t len; /* of the chunk so far */
	size_t filled; /* bytes in the window, up to CA_WINDOW */
	size_t pos; /* the window's oldest byte, once it is full */
	uint32_t h;
	uint8_t window[CA_WINDOW];
};

/*
 * CA_WINDOW <= min <= avg <= max <= CA_CHUNK_LIMIT_MAX, or -EINVAL: casync
 * tests no cut before its window is full, so with a smaller min or max
 * it would make chunks longer than max.
 */
int cachunker_init(struct cachunker *c, size_t min, size_t avg, size_t max);

/*
 * Feed n bytes: the number of them up to and including the end of the
 * current chunk (the chunker then starts the next), or CA_CUT_NONE when
 * none of them ends it.
 */
size_t cachunker_scan(struct cachunker *c, const uint8_t *p, size_t n);

#endif

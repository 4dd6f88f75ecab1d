/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SEED_H
#define KEEL_SEED_H

#include "os/caindex.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Which chunks of an index this host already has: a seed (the running
 * slot's root, or its kernel file) is cut with the index's own chunker
 * parameters, as casync cuts it (cachunker.h), and each of its chunks
 * hashed; those whose id the index wants are remembered with where they
 * lie in the seed. Content-defined cuts find a chunk wherever it moved.
 */
struct seed_entry {
	uint64_t chunk; /* the first index entry with this id, + 1; 0: empty */
	uint64_t at; /* where it lies in the seed; UINT64_MAX: not there */
};

struct seed {
	const struct caindex *ix;
	struct seed_entry *table; /* open addressing on the id */
	uint64_t mask;
	uint64_t found, found_bytes; /* index chunks the seed has */
};

/* The table of ids ix wants, none found yet. */
int seed_init(struct seed *s, const struct caindex *ix);

/*
 * Cut fd's first size bytes and note the wanted chunks found in it. A
 * read error is the seed's end: what was read counts, and the error is
 * returned with err set.
 */
int seed_scan(struct seed *s, int fd, uint64_t size, char *err, size_t errlen);

/* Where chunk i of the index lies in the seed, or UINT64_MAX. */
uint64_t seed_find(const struct seed *s, uint64_t i);

void seed_free(struct seed *s);

#endif

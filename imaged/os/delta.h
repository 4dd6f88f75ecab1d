/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DELTA_H
#define KEEL_DELTA_H

#include "os/bundle.h"
#include "os/caindex.h"
#include "os/castore.h"
#include "os/fetchahead.h"
#include "os/pipeline.h"
#include "os/seed.h"
#include "os/source.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A delta bundle's install (imaged/README.md, "Delta updates"): each
 * chunked payload is assembled from its casync index, chunk by chunk,
 * from what the running slot already has (the seed) or else from the
 * chunk store; a kernel or initramfs the running slot has as it is, is
 * copied. What is assembled goes through the same checks as a full
 * bundle's payloads (block by block against the verity tree).
 */
struct delta_part {
	uint8_t *index; /* the .caibx, its sha256 checked */
	struct caindex ix;
	struct seed seed;
	int seed_fd; /* -1: none */
	bool copy; /* the seed is the payload: copied whole */
	int from; /* copy: the slot whose file is the payload */
	bool keep; /* copy from the slot being written: kept, not written */
};

struct delta {
	const struct manifest *m;
	int booted;
	struct delta_part part[PAYLOAD_COUNT];
	struct castore store;
	struct fetch_want *wants; /* the chunks to download, in order */
	size_t nwants, max; /* max: the biggest chunk */
	struct fetchahead fa;
	uint8_t *chunk; /* one chunk at a time */
	uint64_t seeded; /* bytes taken from this host */
};

void delta_init(struct delta *d, const struct manifest *m, int booted);

/* The indexes, from src after the tree, each checked and parsed. */
int delta_read_indexes(struct delta *d, struct source *src, char *err,
		       size_t errlen);

/*
 * The seeds cut, the store opened (a place relative to the bundle at
 * spec). -ENODATA: the running slot's root cannot be read whole, so it
 * cannot seed; the full bundle is the way.
 */
int delta_seed(struct delta *d, const char *spec, struct stall *stall,
	       char *err, size_t errlen);

/*
 * Kernel file k is in the slot being written already, as the manifest
 * has it (its sums say so): it stays as it is, read and hashed in the
 * write pass like a copy, but not written, nor renamed.
 */
bool delta_kept(const struct delta *d, int k);

/* The pipeline's producer; ctx is the install's struct flow. */
int delta_produce(void *ctx, struct pipeline *pl, char *err, size_t errlen);

/* ", 0.3 MiB fetched (5 chunks), 2.4 MiB here" for progress lines. */
void delta_describe(const struct delta *d, char *buf, size_t len);

void delta_free(struct delta *d);

#endif

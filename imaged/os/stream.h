/* SPDX-License-Identifier: MIT */
#ifndef KEEL_STREAM_H
#define KEEL_STREAM_H

#include "os/bundle.h"
#include "os/download.h"
#include "os/pipeline.h"
#include "os/source.h"
#include "os/vtree.h"
#include "progress.h"

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bundle's signed part: header and manifest, then its signature. */
struct signed_part {
	struct bundle_header h;
	struct manifest m;
	size_t len; /* header + manifest */
	uint8_t bytes[BUNDLE_HEADER_SIZE + BUNDLE_MANIFEST_MAX +
		      BUNDLE_SIG_MAX];
	size_t sig_len;
};

/*
 * The signed part from the front of src: the signature checked against
 * the trusted keys before a byte of the manifest is believed, then the
 * manifest parsed.
 */
int signed_read(struct source *src, struct signed_part *sp, char *err,
		size_t errlen);

struct delta;

/*
 * One pass of the payloads through the pipeline (pipeline.h), for the
 * write and for the read back: where they come from, how each is checked,
 * where it goes.
 */
struct flow {
	const struct manifest *m;
	struct vtree tree; /* format 2: checked against the root hash */
	uint8_t *tree_bytes;
	int fd[PAYLOAD_COUNT]; /* root: the slot's partition; -1: none */
	struct sha256_ctx sha[PAYLOAD_COUNT];
	struct source *src; /* a full bundle */
	struct delta *delta; /* or a delta bundle's seeds and store */
	struct progress *p;
	const char *phase; /* the progress lines' first word */
	uint64_t total, done;
	long start_ms, shown_ms;
	int shown_pct;
	const char *fault_half; /* the fault point halfway through the root */
	bool halfway;
};

/* Payloads of the bundle that stream, in the order they lie in it. */
int stream_order(const struct manifest *m, int order[PAYLOAD_COUNT]);

/*
 * Format 2: the verity tree, read from src (its next bytes must lead to
 * it) and checked against the signed root hash into f->tree.
 */
int tree_read(struct flow *f, struct source *src, char *err, size_t errlen);

/*
 * The write pass: the tree into the partition after the data, then every
 * payload from the bundle (or assembled by f->delta), each block or
 * payload checked before it is written.
 */
int stream_write(struct flow *f, char *err, size_t errlen);

/*
 * The read back: what landed on the disk, past the caches, through the
 * same checks, and the tree compared with the one checked.
 */
int stream_read_back(struct flow *f, char *err, size_t errlen);

#define FLOW_BUF (1u << 20)

/*
 * For a producer that assembles a payload from pieces: len bytes
 * appended at *off of payload kind into *b (taken when NULL), which goes
 * on to the checker when full; flow_flush sends what is left. -ECANCELED
 * once another stage failed.
 */
int flow_emit(struct pipeline *pl, struct pipe_buf **b, int kind,
	      const uint8_t *data, size_t len, uint64_t *off);
int flow_flush(struct pipeline *pl, struct pipe_buf **b);

/* Payload k as it lies in the bundle f->src, into the pipeline. */
int flow_from_source(struct flow *f, struct pipeline *pl, int k, char *err,
		     size_t errlen);

#endif

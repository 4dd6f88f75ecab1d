/* SPDX-License-Identifier: MIT */
#ifndef KEEL_STREAM_H
#define KEEL_STREAM_H

#include "os/bundle.h"
#include "os/source.h"
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

/* Where each payload goes while it streams past, and its running hash. */
struct sink {
	int fd; /* -1: only hash */
	struct sha256_ctx sha;
	uint64_t done;
};

struct stream {
	struct progress *p;
	const char *phase; /* the progress lines' first word */
	uint64_t total, done;
	int last_pct;
	const struct manifest *m;
	const char *fault_half; /* fault point halfway through the root */
	bool hash; /* check each payload's SHA-256 as it passes */
};

/*
 * Every payload from src in the order they lie in the bundle, each fed
 * to its sink, and with st->hash checked against the manifest.
 */
int stream_payloads(struct source *src, struct stream *st,
		    struct sink sinks[PAYLOAD_COUNT], char *err, size_t errlen);

/* SHA-256 of size bytes of what is on disk now, past the caches. */
int hash_back(int fd, uint64_t size, uint8_t out[32]);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CHANNEL_H
#define KEEL_CHANNEL_H

#include "net/http.h"
#include "os/bundle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The update channel: a small JSON document at channel_url, signed by
 * channel_url + ".sig" (DER ECDSA P-256, the same keys as bundles). One
 * document serves many boards. Format 2 (scripts/mkchannel writes it):
 *
 *   {"format": 2, "serial": 8, "expires": "2027-01-31T00:00:00Z",
 *    "min_version": "0.2.0",
 *    "boards": {"qemu-x86_64": {"version": "0.3.0",
 *        "url": "https://cdn.example/keel-0.3.0-qemu-x86_64.keelb",
 *        "size": 17756160, "sha256": "<the whole file>",
 *        "manifest_sha256": "<its header and manifest>", "rollout": 25}},
 *    "workloads": {"revision": 12, "rollout": 100,
 *        "url": "https://cdn.example/fleet-12.yaml", "sha256": "..."}}
 *
 * Its signature is over SHA-256(CHANNEL_CONTEXT || document): a
 * signature made for another kind of document (a bundle, a file signed
 * with `mkbundle --sign`) never verifies as a channel. Format 1 (no
 * expiry, no binding of the bundle) is still read, signed with or
 * without the context; format 2 only with it.
 *
 * rollout is the percentage of hosts that take this version now; which
 * ones is a stable function of the machine id and the version, so a host
 * in the first 25% stays in when the rollout grows (waves, as
 * Bottlerocket's updater does them). serial grows with every document
 * the publisher signs; a host refuses one older than it has seen, and
 * one past its expires, so an old signed document cannot be replayed to
 * hold it back. Unknown keys are skipped: a newer publisher may add
 * fields (a delta variant beside the bundle's) that older hosts do not
 * use; a newer format is refused.
 */
#define CHANNEL_MAX 65536
/* "keel-channel" and its NUL, in front of the document when signed */
#define CHANNEL_CONTEXT "keel-channel"
#define CHANNEL_CONTEXT_LEN (sizeof(CHANNEL_CONTEXT))
#define RFC3339_MAX 32

/* The workload revision a format 2 channel names, kept for later. */
struct channel_workloads {
	bool given;
	long long revision;
	int rollout; /* 0..100 */
	char url[HTTP_PATH_MAX];
	uint8_t sha256[32];
};

struct channel {
	int format; /* 1 or 2 */
	long long serial;
	char expires[RFC3339_MAX]; /* as written; "" in format 1 */
	long long expires_at; /* seconds since the epoch; format 2 */
	char min_version[BUNDLE_VERSION_MAX]; /* the floor, or "" */
	bool os; /* there is an entry for this board: what follows */
	char version[BUNDLE_VERSION_MAX];
	char url[HTTP_PATH_MAX];
	int rollout; /* 0..100 */
	bool bound; /* format 2: the bundle's size and digests */
	uint64_t size;
	uint8_t sha256[32]; /* the whole bundle file */
	uint8_t manifest_sha256[32]; /* its header and manifest */
	struct channel_workloads workloads;
};

/*
 * The document, and the entry for board (ch->os false when there is
 * none: the document-wide fields still count). An error names what is
 * missing or wrong. Pure: no clock, no files.
 */
int channel_parse(struct channel *ch, const char *json, size_t len,
		  const char *board, char *err, size_t errlen);

/* SHA-256 of the document as it is signed: with CHANNEL_CONTEXT first. */
void channel_digest(const char *doc, size_t len, bool context, uint8_t out[32]);

/*
 * One of keys signed doc: with CHANNEL_CONTEXT (*bare false) or without
 * it (*bare true; channel_check takes that for format 1 only). A bare
 * signature counts only over a JSON object: what a bundle's signature
 * covers (bundle.h) begins with its magic or its context, so a bundle's
 * signature never verifies as a channel's, bare or not. 0, -ENOKEY or
 * -EKEYREJECTED with err saying why.
 */
int channel_verify(const char *doc, size_t len, const void *sig, size_t slen,
		   const uint8_t (*keys)[P256_POINT_LEN], int nkeys, bool *bare,
		   char *err, size_t errlen);

/*
 * A parsed document believed here, or not: signed with the context
 * unless format 1 (bare: signed without it), not past its expires at
 * now, serial not older than seen (the highest this host has believed).
 * 0, or -EKEYREJECTED, -EKEYEXPIRED, -ESTALE with err saying why.
 */
int channel_check(const struct channel *ch, bool bare, long long seen,
		  time_t now, char *err, size_t errlen);

/* This host's place in the rollout of version: 0..99. */
int rollout_slot(const char *machine_id, const char *version);

/*
 * "YYYY-MM-DDTHH:MM:SS[.frac]Z" (RFC 3339, UTC only) to seconds since
 * the epoch, years 1970..9999. 0, or -EINVAL.
 */
int rfc3339_parse(const char *s, long long *t);
/* And back, without a fraction: out holds RFC3339_MAX bytes. */
void rfc3339_format(long long t, char *out);

#endif

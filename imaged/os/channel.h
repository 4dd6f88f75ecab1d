/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CHANNEL_H
#define KEEL_CHANNEL_H

#include "net/http.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The update channel: a small JSON document at channel_url, signed by
 * channel_url + ".sig" (DER ECDSA P-256 over its SHA-256, the same keys
 * as bundles). One document can serve many boards:
 *
 *   {"format": 1, "serial": 7, "boards": {"qemu-x86_64":
 *       {"version": "0.2.0", "url": "http://.../keel-0.2.0-qemu-x86_64.keelb",
 *        "rollout": 25}}}
 *
 * rollout is the percentage of hosts that take this version now; which
 * ones is a stable function of the machine id and the version, so a host
 * in the first 25% stays in when the rollout grows (waves, as
 * Bottlerocket's updater does them). serial grows with every document
 * the publisher signs; a host refuses one older than it has seen, so an
 * old signed document cannot be replayed to hold it back.
 */
#define CHANNEL_MAX 65536

struct channel {
	long long serial;
	char version[64];
	char url[HTTP_PATH_MAX];
	int rollout; /* 0..100 */
};

/* The entry for board; an error names what is missing or wrong. */
int channel_parse(struct channel *ch, const char *json, size_t len,
		  const char *board, char *err, size_t errlen);

/* This host's place in the rollout of version: 0..99. */
int rollout_slot(const char *machine_id, const char *version);

#endif

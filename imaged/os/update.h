/* SPDX-License-Identifier: MIT */
#ifndef KEEL_UPDATE_H
#define KEEL_UPDATE_H

#include "imaged_conf.h"
#include "imaged.h"
#include "os/bundle.h"
#include "progress.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * OS updates into the inactive slot (install.c); the steps and why they
 * are in this order are in imaged/README.md, "OS updates". The fault
 * points a test image can stop dead at, in the order an install passes
 * them: one at the good end of each state of the install, and one
 * halfway through the root (tests/system/test_update.py reads this list).
 */
#define UPDATE_FAULT_POINTS                                               \
	"checked", "signed", "tree-checked", "seeded", "unbootable",      \
		"root-half", "root-written", "files-written", "readback", \
		"committed"
/* The points only a delta bundle's install passes (a full one has no seed). */
#define UPDATE_DELTA_FAULT_POINTS "seeded"

/* What update.c and health.c remember on /var between boots. */
#define UPDATE_LAST UPDATE_STATE_DIR "/last"
#define UPDATE_PENDING UPDATE_STATE_DIR "/pending"
#define UPDATE_TRIAL_FAILURE UPDATE_STATE_DIR "/trial-failure"
/* A version rolled back here: automatic updates leave it alone. */
#define UPDATE_REJECTED UPDATE_STATE_DIR "/rejected"
/* The highest channel serial seen: older documents are replays. */
#define CHANNEL_SERIAL UPDATE_STATE_DIR "/channel-serial"
/* The expires of the document with that serial ("" in format 1). */
#define CHANNEL_EXPIRES UPDATE_STATE_DIR "/channel-expires"
/* "<serial> <version>": that entry's bundle was not the one it named. */
#define CHANNEL_MISMATCH UPDATE_STATE_DIR "/channel-mismatch"

/* The trusted keys: every 65-byte *.p256 in UPDATE_KEYS_DIR. */
#define UPDATE_KEYS_MAX 8
int update_keys_load(uint8_t (*keys)[P256_POINT_LEN]);

/* Make the other slot, which must be good, boot next. */
int update_rollback(char *msg, size_t len);

/* Slots, the running install or health gate, the last result. */
void update_status(char *buf, size_t len);

/* A line into UPDATE_LAST, with the time. */
void update_last(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* That line back, without its time ("" for none). */
void update_last_get(char *buf, size_t len);

#endif

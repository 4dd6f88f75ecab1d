/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REPORTQ_H
#define KEEL_REPORTQ_H

#include "imaged.h"

#include <stddef.h>

/*
 * Status reports waiting to be sent: one file each in a folder on /var
 * (<sequence>.json), sent oldest first, at most REPORT_QUEUE_MAX kept
 * (the oldest dropped first), so reports made while the receiver or the
 * network is down go out later, and a host that never reaches it keeps
 * a bounded few.
 */
#define REPORT_QUEUE_DIR UPDATE_STATE_DIR "/reports"
#define REPORT_QUEUE_MAX 64
/* The bearer token for report_url, on the ESP; never logged. */
#define REPORT_TOKEN_FILE ESP_DIR "/config/report-token"
#define REPORT_TOKEN_MAX 4096

/* doc (len bytes) queued in dir; the oldest dropped past max. 0/-errno */
int reportq_add(const char *dir, const char *doc, size_t len, int max);

/* How many reports wait in dir (0 when there is no dir). */
int reportq_count(const char *dir);

/*
 * Send what waits in dir to url, oldest first, each removed once the
 * receiver takes it (a 2xx answer); stops at the first that is not
 * taken. token: a bearer token, or "". The number sent, or -errno with
 * err saying why the next one was not taken.
 */
int reportq_flush(const char *dir, const char *url, const char *token,
		  char *err, size_t errlen);

/*
 * The token in path into tok ("" when there is no file): one line of
 * RFC 6750's b64token characters. 0, or -errno (-EINVAL: not a token;
 * the token itself is never put into a message).
 */
int report_token_read(const char *path, char *tok, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DOWNLOAD_H
#define KEEL_DOWNLOAD_H

#include "net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * An install's downloads, made to survive real networks: a body cut off
 * mid-stream is asked for again from where it stopped (Range, RFC 9110
 * section 14), after a pause that doubles from 1 s up to 30 s; a 5xx or
 * 429 answer is retried the same way. What ends it is the stall deadline
 * (update_stall_timeout): no progress, that is fewer than STALL_BYTES
 * moved, for that long. A server that trickles a byte at a time is a
 * stall too; without the deadline it would keep the other slot
 * unbootable for as long as it liked.
 */
#define STALL_BYTES (64u << 10)

struct stall {
	int timeout_s;
	long since_ms; /* when progress was last seen */
	uint64_t at; /* bytes moved then */
	uint64_t moved; /* bytes moved in all */
};

void stall_start(struct stall *s, int timeout_s);
/* n more bytes moved. */
void stall_moved(struct stall *s, uint64_t n);
/* -ETIMEDOUT with err set once there was no progress for timeout_s. */
int stall_check(const struct stall *s, char *err, size_t errlen);

struct download {
	struct http_conn *c; /* the caller's, reused from one GET to the next */
	char url[HTTP_PATH_MAX + HTTP_HOST_MAX]; /* after redirects */
	uint64_t pos; /* body bytes handed out */
	int64_t size; /* of the body, -1 when unknown */
	struct stall *stall;
	bool keep_alive; /* false: Connection: close */
	int retries; /* in a row, for the pause */
};

/*
 * GET url into d on connection c (c->fd = -1 before its first use),
 * following up to 5 redirects, retrying as above. 0, or -errno with err
 * saying why; -ENOENT for a 404 or 410.
 */
int download_open(struct download *d, struct http_conn *c, const char *url,
		  struct stall *stall, bool keep_alive, char *err,
		  size_t errlen);

/* Body bytes, resumed across cuts; 0 at the end, or -errno with err. */
ssize_t download_read(struct download *d, void *buf, size_t len, char *err,
		      size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_FETCHAHEAD_H
#define KEEL_FETCHAHEAD_H

#include "os/castore.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The chunks a delta install must download, fetched ahead by a thread of
 * their own, in the order the producer will want them, while it copies
 * what this host has: each download's round trip is hidden behind local
 * work instead of adding up (a few hundred ms for a dozen chunks under
 * emulation, make bench). At most FETCH_AHEAD chunks wait in memory.
 */
#define FETCH_AHEAD 8

struct fetch_want {
	const uint8_t *id;
	size_t len;
};

struct fetchahead {
	struct castore *store;
	const struct fetch_want *want; /* the caller's, in order */
	size_t n, next; /* wanted, and the next to fetch */
	struct {
		uint8_t *data;
		size_t len;
	} slot[FETCH_AHEAD];
	size_t taken; /* chunks handed out */
	size_t ready; /* fetched, not yet handed out */
	int code; /* the fetcher's failure */
	char err[512];
	bool stop, running;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t moved;
};

/* Start fetching want[0..n) (chunks up to max bytes); 0 or -errno. */
int fetchahead_start(struct fetchahead *fa, struct castore *store,
		     const struct fetch_want *want, size_t n, size_t max,
		     char *err, size_t errlen);

/* The next wanted chunk, in order, into out (want's len bytes). */
int fetchahead_take(struct fetchahead *fa, uint8_t *out, char *err,
		    size_t errlen);

/* Stop the fetcher (wherever it is) and free what it holds. */
void fetchahead_stop(struct fetchahead *fa);

#endif

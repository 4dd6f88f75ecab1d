/* SPDX-License-Identifier: MIT */
#ifndef KEEL_FETCHAHEAD_H
#define KEEL_FETCHAHEAD_H

#include "os/castore.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The chunks a delta install must download, fetched ahead by threads of
 * their own, in the order the producer will want them, while it copies
 * what this host has: each download's round trip is hidden behind local
 * work instead of adding up. A chunk is one small GET, so a round trip
 * is most of its cost (about 40 ms each from a server that sends a head
 * and a body in two writes, make bench; more on a mobile link): with
 * FETCH_CONNS connections at once, as many round trips overlap. At most
 * FETCH_AHEAD chunks wait in memory.
 */
#define FETCH_AHEAD 8
#define FETCH_CONNS 4

struct fetch_want {
	const uint8_t *id;
	size_t len;
};

struct fetchahead;

struct fetch_conn {
	struct fetchahead *fa;
	struct castore store; /* a connection of its own to the store */
	pthread_t thread;
	bool running;
};

struct fetch_slot {
	uint8_t *data;
	size_t len;
	int state; /* empty (or being fetched), ready, or failed */
	int code;
	char err[512];
};

struct fetchahead {
	const struct fetch_want *want; /* the caller's, in order */
	size_t n, next; /* wanted, and the next to fetch */
	struct fetch_slot slot[FETCH_AHEAD];
	struct fetch_conn conn[FETCH_CONNS];
	size_t taken; /* chunks handed out */
	int code; /* the first failure; no more fetches are begun */
	char err[512];
	bool stop, locked;
	pthread_mutex_t lock;
	pthread_cond_t moved;
};

/* Start fetching want[0..n) (chunks up to max bytes); 0 or -errno. */
int fetchahead_start(struct fetchahead *fa, struct castore *store,
		     const struct fetch_want *want, size_t n, size_t max,
		     char *err, size_t errlen);

/*
 * The next wanted chunk, in order, into out (want's len bytes), or the
 * error of its fetch (or, when it was never begun, of the first that
 * failed).
 */
int fetchahead_take(struct fetchahead *fa, uint8_t *out, char *err,
		    size_t errlen);

/* Stop the fetcher (wherever it is) and free what it holds. */
void fetchahead_stop(struct fetchahead *fa);

#endif

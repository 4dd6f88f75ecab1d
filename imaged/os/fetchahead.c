// SPDX-License-Identifier: MIT
#include "os/fetchahead.h"
#include "errmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FETCH_EMPTY, FETCH_READY, FETCH_FAILED };

/* The next chunk to fetch, SIZE_MAX when there is none to begin. */
static size_t claim(struct fetchahead *fa)
{
	size_t i = SIZE_MAX;

	pthread_mutex_lock(&fa->lock);
	/* chunk i goes in slot i % FETCH_AHEAD: free once i - 8 is taken */
	while (!fa->stop && !fa->code && fa->next < fa->n &&
	       fa->next >= fa->taken + FETCH_AHEAD)
		pthread_cond_wait(&fa->moved, &fa->lock);
	if (!fa->stop && !fa->code && fa->next < fa->n)
		i = fa->next++;
	pthread_mutex_unlock(&fa->lock);
	return i;
}

static void *fetcher(void *arg)
{
	struct fetch_conn *fc = arg;
	struct fetchahead *fa = fc->fa;
	char err[512];
	size_t i;

	while ((i = claim(fa)) != SIZE_MAX) {
		struct fetch_slot *s = &fa->slot[i % FETCH_AHEAD];
		int r = castore_get(&fc->store, fa->want[i].id, s->data,
				    fa->want[i].len, err, sizeof(err));
		pthread_mutex_lock(&fa->lock);
		if (r) {
			s->state = FETCH_FAILED;
			s->code = r;
			snprintf(s->err, sizeof(s->err), "%s", err);
			if (!fa->code) {
				fa->code = r;
				snprintf(fa->err, sizeof(fa->err), "%s", err);
			}
		} else {
			s->state = FETCH_READY;
			s->len = fa->want[i].len;
		}
		pthread_cond_broadcast(&fa->moved);
		pthread_mutex_unlock(&fa->lock);
	}
	return NULL;
}

int fetchahead_start(struct fetchahead *fa, struct castore *store,
		     const struct fetch_want *want, size_t n, size_t max,
		     char *err, size_t errlen)
{
	int r;

	memset(fa, 0, sizeof(*fa));
	fa->want = want;
	fa->n = n;
	if (!n)
		return 0;
	for (int i = 0; i < FETCH_AHEAD; i++)
		if (!(fa->slot[i].data = malloc(max))) {
			fetchahead_stop(fa);
			return errmsg(err, errlen, -ENOMEM, "out of memory");
		}
	pthread_mutex_init(&fa->lock, NULL);
	pthread_cond_init(&fa->moved, NULL);
	fa->locked = true;
	/* no more connections than chunks; each counts into store's tally */
	for (size_t t = 0; t < FETCH_CONNS && t < n; t++) {
		struct fetch_conn *fc = &fa->conn[t];
		fc->fa = fa;
		if ((r = castore_clone(&fc->store, store, err, errlen))) {
			fetchahead_stop(fa);
			return r;
		}
		if ((r = pthread_create(&fc->thread, NULL, fetcher, fc))) {
			castore_close(&fc->store);
			fetchahead_stop(fa);
			return errmsg_errno(err, errlen, -r, r,
					    "pthread_create");
		}
		fc->running = true;
	}
	return 0;
}

int fetchahead_take(struct fetchahead *fa, uint8_t *out, char *err,
		    size_t errlen)
{
	size_t i = fa->taken;
	int r = 0;

	if (i >= fa->n)
		return errmsg(err, errlen, -EINVAL, "no chunk left to fetch");
	struct fetch_slot *s = &fa->slot[i % FETCH_AHEAD];
	pthread_mutex_lock(&fa->lock);
	/* begun (i < next), it ends one way or the other; else it may not */
	while (s->state == FETCH_EMPTY && !(i >= fa->next && fa->code))
		pthread_cond_wait(&fa->moved, &fa->lock);
	if (s->state == FETCH_READY) {
		memcpy(out, s->data, s->len);
		s->state = FETCH_EMPTY;
		fa->taken++;
		pthread_cond_broadcast(&fa->moved);
	} else if (s->state == FETCH_FAILED) {
		r = errmsg(err, errlen, s->code, "%s", s->err);
	} else {
		r = errmsg(err, errlen, fa->code, "%s", fa->err);
	}
	pthread_mutex_unlock(&fa->lock);
	return r;
}

void fetchahead_stop(struct fetchahead *fa)
{
	if (fa->locked) {
		pthread_mutex_lock(&fa->lock);
		fa->stop = true;
		pthread_cond_broadcast(&fa->moved);
		pthread_mutex_unlock(&fa->lock);
	}
	for (int t = 0; t < FETCH_CONNS; t++) {
		struct fetch_conn *fc = &fa->conn[t];
		if (fc->running)
			pthread_join(fc->thread, NULL);
		if (fc->fa)
			castore_close(&fc->store);
		fc->running = false;
		fc->fa = NULL;
	}
	if (fa->locked) {
		pthread_cond_destroy(&fa->moved);
		pthread_mutex_destroy(&fa->lock);
		fa->locked = false;
	}
	for (int i = 0; i < FETCH_AHEAD; i++) {
		free(fa->slot[i].data);
		fa->slot[i].data = NULL;
	}
}

// SPDX-License-Identifier: MIT
#include "os/fetchahead.h"
#include "errmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *fetcher(void *arg)
{
	struct fetchahead *fa = arg;
	char err[512];

	for (;;) {
		pthread_mutex_lock(&fa->lock);
		while (!fa->stop && fa->ready == FETCH_AHEAD)
			pthread_cond_wait(&fa->moved, &fa->lock);
		size_t i = fa->next;
		bool done = fa->stop || i == fa->n;
		pthread_mutex_unlock(&fa->lock);
		if (done)
			return NULL;
		/* slot i % FETCH_AHEAD is free: the producer took chunk i - 8 */
		uint8_t *data = fa->slot[i % FETCH_AHEAD].data;
		int r = castore_get(fa->store, fa->want[i].id, data,
				    fa->want[i].len, err, sizeof(err));
		pthread_mutex_lock(&fa->lock);
		if (r) {
			fa->code = r;
			snprintf(fa->err, sizeof(fa->err), "%s", err);
		} else {
			fa->slot[i % FETCH_AHEAD].len = fa->want[i].len;
			fa->next++;
			fa->ready++;
		}
		pthread_cond_broadcast(&fa->moved);
		pthread_mutex_unlock(&fa->lock);
		if (r)
			return NULL;
	}
}

int fetchahead_start(struct fetchahead *fa, struct castore *store,
		     const struct fetch_want *want, size_t n, size_t max,
		     char *err, size_t errlen)
{
	int r;

	memset(fa, 0, sizeof(*fa));
	fa->store = store;
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
	if ((r = pthread_create(&fa->thread, NULL, fetcher, fa))) {
		pthread_cond_destroy(&fa->moved);
		pthread_mutex_destroy(&fa->lock);
		fetchahead_stop(fa);
		return errmsg_errno(err, errlen, -r, r, "pthread_create");
	}
	fa->running = true;
	return 0;
}

int fetchahead_take(struct fetchahead *fa, uint8_t *out, char *err,
		    size_t errlen)
{
	int r = 0;

	pthread_mutex_lock(&fa->lock);
	while (!fa->ready && !fa->code && fa->taken < fa->n)
		pthread_cond_wait(&fa->moved, &fa->lock);
	if (fa->ready) {
		size_t s = fa->taken % FETCH_AHEAD;
		memcpy(out, fa->slot[s].data, fa->slot[s].len);
		fa->taken++;
		fa->ready--;
		pthread_cond_broadcast(&fa->moved);
	} else if (fa->code) {
		r = errmsg(err, errlen, fa->code, "%s", fa->err);
	} else {
		r = errmsg(err, errlen, -EINVAL, "no chunk left to fetch");
	}
	pthread_mutex_unlock(&fa->lock);
	return r;
}

void fetchahead_stop(struct fetchahead *fa)
{
	if (fa->running) {
		pthread_mutex_lock(&fa->lock);
		fa->stop = true;
		pthread_cond_broadcast(&fa->moved);
		pthread_mutex_unlock(&fa->lock);
		pthread_join(fa->thread, NULL);
		pthread_cond_destroy(&fa->moved);
		pthread_mutex_destroy(&fa->lock);
		fa->running = false;
	}
	for (int i = 0; i < FETCH_AHEAD; i++) {
		free(fa->slot[i].data);
		fa->slot[i].data = NULL;
	}
}

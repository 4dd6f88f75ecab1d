// SPDX-License-Identifier: MIT
#include "os/pipeline.h"
#include "errmsg.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A FIFO of buffer numbers; each buffer is in exactly one of them. */
struct queue {
	int slot[PIPE_BUFS];
	int head, count;
};

/* The checker's second pair of hands: one half buffer at a time. */
struct helper {
	pthread_t thread;
	bool on; /* the thread runs */
	const struct pipe_buf *job; /* to check; NULL: none */
	bool stop;
	int code;
	char err[1024];
};

struct pipeline {
	const struct pipe_ops *ops;
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	struct pipe_buf buf[PIPE_BUFS];
	struct queue free, checking, writing;
	bool failed; /* a stage failed: the others stop */
	bool produced; /* the producer is through */
	bool checked; /* and so is the checker */
	long busy_ms[3]; /* each stage's time at work, not waiting */
	struct helper help; /* under lock, like the queues */
	int code;
	char err[1024];
};

static void push(struct queue *q, int i)
{
	q->slot[(q->head + q->count++) % PIPE_BUFS] = i;
}

static int pop(struct queue *q)
{
	int i = q->slot[q->head];

	q->head = (q->head + 1) % PIPE_BUFS;
	q->count--;
	return i;
}

/* The first failure is the pipeline's; later ones are its echoes. */
static void fail(struct pipeline *pl, int code, const char *err)
{
	pthread_mutex_lock(&pl->lock);
	if (!pl->failed) {
		pl->failed = true;
		pl->code = code;
		snprintf(pl->err, sizeof(pl->err), "%s", err);
	}
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
}

/* The next buffer of q, or -1 once failed or once done says so. */
static int wait_for(struct pipeline *pl, struct queue *q, const bool *done)
{
	int i = -1;

	pthread_mutex_lock(&pl->lock);
	while (!pl->failed && !q->count && !(done && *done))
		pthread_cond_wait(&pl->moved, &pl->lock);
	if (!pl->failed && q->count)
		i = pop(q);
	pthread_mutex_unlock(&pl->lock);
	return i;
}

static void move_to(struct pipeline *pl, struct queue *q, int i)
{
	pthread_mutex_lock(&pl->lock);
	push(q, i);
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
}

struct pipe_buf *pipe_take(struct pipeline *pl)
{
	long t = monotonic_ms();
	int i = wait_for(pl, &pl->free, NULL);

	pl->busy_ms[0] -= monotonic_ms() - t;
	if (i < 0)
		return NULL;
	pl->buf[i].len = 0;
	return &pl->buf[i];
}

void pipe_send(struct pipeline *pl, struct pipe_buf *b)
{
	move_to(pl, &pl->checking, b - pl->buf);
}

static void *producer(void *arg)
{
	struct pipeline *pl = arg;
	char err[1024] = "";
	long t = monotonic_ms();
	int r = pl->ops->produce(pl->ctx, pl, err, sizeof(err));

	/* (its waits for a free buffer are taken off in pipe_take) */
	pl->busy_ms[0] += monotonic_ms() - t;
	if (r)
		fail(pl, r, err);
	pthread_mutex_lock(&pl->lock);
	pl->produced = true;
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

static void *helper(void *arg)
{
	struct pipeline *pl = arg;
	struct helper *h = &pl->help;

	pthread_mutex_lock(&pl->lock);
	for (;;) {
		while (!h->job && !h->stop)
			pthread_cond_wait(&pl->moved, &pl->lock);
		if (!h->job)
			break;
		pthread_mutex_unlock(&pl->lock);
		char err[1024] = "";
		int r = pl->ops->check(pl->ctx, h->job, err, sizeof(err));
		pthread_mutex_lock(&pl->lock);
		h->code = r;
		snprintf(h->err, sizeof(h->err), "%s", err);
		h->job = NULL;
		pthread_cond_broadcast(&pl->moved);
	}
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

/*
 * Where every block is hashed (a verity-checked root), checking is the
 * slowest stage by far from a disk: the reader and the writer leave most
 * of a second core idle. Two halves at once use both cores. Only while
 * the producer is not the slowest, though (buffers wait for the checker,
 * or none is free for the producer): over a network link the other core
 * has the kernel's receive work to do, and taking it all made an install
 * over http slower on a loaded host (make bench). The verdict is
 * the one of a single pass: the first half's first bad block, else the
 * second's.
 */
static int check_buf(struct pipeline *pl, const struct pipe_buf *b, char *err,
		     size_t errlen)
{
	struct helper *h = &pl->help;
	struct pipe_buf lo = *b, hi = *b;
	size_t half = b->len / 2 / PIPE_ALIGN * PIPE_ALIGN;

	pthread_mutex_lock(&pl->lock);
	bool behind = pl->checking.count > 0 || !pl->free.count;
	pthread_mutex_unlock(&pl->lock);
	if (!behind || !h->on || !half || !pl->ops->halves(pl->ctx, b))
		return pl->ops->check(pl->ctx, b, err, errlen);
	lo.len = half;
	hi.data += half;
	hi.off += half;
	hi.len -= half;
	pthread_mutex_lock(&pl->lock);
	h->job = &hi;
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
	int r = pl->ops->check(pl->ctx, &lo, err, errlen);
	pthread_mutex_lock(&pl->lock);
	while (h->job)
		pthread_cond_wait(&pl->moved, &pl->lock);
	if (!r && h->code)
		r = errmsg(err, errlen, h->code, "%s", h->err);
	pthread_mutex_unlock(&pl->lock);
	return r;
}

static void *checker(void *arg)
{
	struct pipeline *pl = arg;
	char err[1024] = "";
	int i, r;

	while ((i = wait_for(pl, &pl->checking, &pl->produced)) >= 0) {
		long t = monotonic_ms();
		r = check_buf(pl, &pl->buf[i], err, sizeof(err));
		pl->busy_ms[1] += monotonic_ms() - t;
		if (r) {
			fail(pl, r, err);
			break;
		}
		move_to(pl, &pl->writing, i);
	}
	pthread_mutex_lock(&pl->lock);
	pl->checked = true;
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

static void consumer(struct pipeline *pl)
{
	char err[1024] = "";
	int i, r;

	while ((i = wait_for(pl, &pl->writing, &pl->checked)) >= 0) {
		long t = monotonic_ms();
		r = pl->ops->consume(pl->ctx, &pl->buf[i], err, sizeof(err));
		pl->busy_ms[2] += monotonic_ms() - t;
		if (r) {
			fail(pl, r, err);
			break;
		}
		move_to(pl, &pl->free, i);
	}
}

static void helper_stop(struct pipeline *pl)
{
	if (!pl->help.on)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->help.stop = true;
	pthread_cond_broadcast(&pl->moved);
	pthread_mutex_unlock(&pl->lock);
	pthread_join(pl->help.thread, NULL);
	pl->help.on = false;
}

static void pipeline_free(struct pipeline *pl)
{
	for (int i = 0; i < PIPE_BUFS; i++)
		free(pl->buf[i].data);
	pthread_cond_destroy(&pl->moved);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

int pipeline_run(const struct pipe_ops *ops, void *ctx, size_t bufsize,
		 char *err, size_t errlen)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	pthread_t prod, chk;
	int r = 0;

	if (!pl)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	pl->ops = ops;
	pl->ctx = ctx;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->moved, NULL);
	for (int i = 0; i < PIPE_BUFS; i++) {
		/* page-aligned: the slot is read and written O_DIRECT */
		if (!(pl->buf[i].data = aligned_alloc(4096, bufsize))) {
			pipeline_free(pl);
			return errmsg(err, errlen, -ENOMEM, "out of memory");
		}
		push(&pl->free, i);
	}
	/* a helper only where there is a core for it; without, one pass */
	if (ops->halves && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		pl->help.on =
			!pthread_create(&pl->help.thread, NULL, helper, pl);
	if ((r = pthread_create(&prod, NULL, producer, pl))) {
		helper_stop(pl);
		pipeline_free(pl);
		return errmsg_errno(err, errlen, -r, r, "pthread_create");
	}
	if ((r = pthread_create(&chk, NULL, checker, pl))) {
		fail(pl, -r, "pthread_create failed");
		pthread_join(prod, NULL);
		helper_stop(pl);
		pipeline_free(pl);
		return errmsg_errno(err, errlen, -r, r, "pthread_create");
	}
	long t = monotonic_ms();
	consumer(pl);
	pthread_join(prod, NULL);
	pthread_join(chk, NULL);
	helper_stop(pl);
	/* which stage is the slowest, for make bench and the curious */
	log_info("pipeline: %.2f s; produce %.2f s, check %.2f s, consume "
		 "%.2f s at work",
		 (monotonic_ms() - t) / 1e3, pl->busy_ms[0] / 1e3,
		 pl->busy_ms[1] / 1e3, pl->busy_ms[2] / 1e3);
	r = pl->failed ? pl->code : 0;
	if (r)
		snprintf(err, errlen, "%s", pl->err);
	pipeline_free(pl);
	return r;
}

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PIPELINE_H
#define KEEL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Three stages over bounded buffers, each on a core of its own: a
 * producer fills buffers (reads or downloads, or assembles chunks), a
 * checker verifies each (block by block against the verity tree, or a
 * running SHA-256), and a consumer writes them, so an install takes about
 * the time of its slowest stage; where that is the checker, it may take
 * a helper (pipe_ops.halves). Threads are only ever here, in the
 * install's child process; they share nothing but the queues.
 *
 * A buffer holds bytes of one payload: [off, off + len) of payload kind.
 * The first stage that fails stops the others; its error is the
 * pipeline's.
 */
#define PIPE_BUFS 6

struct pipe_buf {
	uint8_t *data;
	size_t len;
	int kind;
	uint64_t off;
};

struct pipeline;

struct pipe_ops {
	/* fill buffers from pipe_take and hand them on with pipe_send */
	int (*produce)(void *ctx, struct pipeline *pl, char *err,
		       size_t errlen);
	int (*check)(void *ctx, const struct pipe_buf *b, char *err,
		     size_t errlen);
	int (*consume)(void *ctx, const struct pipe_buf *b, char *err,
		       size_t errlen);
	/*
	 * Optional: whether b may be checked as two halves at once (each a
	 * pipe_buf of its own, split at a multiple of PIPE_ALIGN), the
	 * second on a helper thread, which is done while buffers wait for
	 * the checker. check must then judge a piece by itself alone. The
	 * verdict is the first half's failure, else the second's: what one
	 * pass over b would have said.
	 */
	bool (*halves)(void *ctx, const struct pipe_buf *b);
};

#define PIPE_ALIGN 4096

/*
 * A free buffer of bufsize bytes, PIPE_ALIGN aligned (for O_DIRECT); NULL
 * once a stage failed.
 */
struct pipe_buf *pipe_take(struct pipeline *pl);
void pipe_send(struct pipeline *pl, struct pipe_buf *b);

/* Run the stages until the producer is through or one fails. */
int pipeline_run(const struct pipe_ops *ops, void *ctx, size_t bufsize,
		 char *err, size_t errlen);

#endif

// SPDX-License-Identifier: MIT
#include "os/stream.h"
#include "clock.h"
#include "errmsg.h"
#include "file.h"
#include "imaged.h"
#include "os/delta.h"
#include "os/fault.h"
#include "os/update.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MiB(x) ((double)(x) / (1 << 20))

int signed_read(struct source *src, struct signed_part *sp, char *err,
		size_t errlen)
{
	static uint8_t keys[UPDATE_KEYS_MAX][P256_POINT_LEN];
	char why[200];
	int r;

	if ((r = source_read(src, sp->bytes, BUNDLE_HEADER_SIZE)))
		goto cut;
	if ((r = bundle_header_parse(&sp->h, sp->bytes, BUNDLE_HEADER_SIZE, err,
				     errlen)))
		return r;
	sp->len = BUNDLE_HEADER_SIZE + sp->h.manifest_len;
	sp->sig_len = sp->h.sig_len;
	if ((r = source_read(src, sp->bytes + BUNDLE_HEADER_SIZE,
			     sp->h.manifest_len + sp->h.sig_len)))
		goto cut;
	/* nothing in the manifest is believed before the signature is */
	int nkeys = update_keys_load(keys);
	if ((r = bundle_verify(&sp->h, sp->bytes,
			       (const uint8_t(*)[P256_POINT_LEN])keys, nkeys,
			       why, sizeof(why))))
		return errmsg(err, errlen, r, "%s (keys in %s)", why,
			      UPDATE_KEYS_DIR);
	return manifest_parse(
		&sp->m, (const char *)sp->bytes + BUNDLE_HEADER_SIZE,
		sp->h.manifest_len, sp->len + sp->sig_len, err, errlen);
cut:
	return errmsg(err, errlen, r,
		      "bundle ends inside its header or manifest: %s",
		      src->err);
}

int stream_order(const struct manifest *m, int order[PAYLOAD_COUNT])
{
	int n = 0;

	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (m->payload[k].present && k != PAYLOAD_VERITY)
			order[n++] = k;
	for (int i = 1; i < n; i++) /* by offset */
		for (int j = i;
		     j > 0 && m->payload[order[j]].offset <
				      m->payload[order[j - 1]].offset;
		     j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n;
}

int tree_read(struct flow *f, struct source *src, char *err, size_t errlen)
{
	const struct payload *pl = &f->m->payload[PAYLOAD_VERITY];
	int r;

	vtree_init(&f->tree, f->m->data_blocks, f->m->root_hash);
	/* page-aligned: written into the slot O_DIRECT */
	if (!(f->tree_bytes =
		      aligned_alloc(VT_BLOCK, pl->size ? pl->size : VT_BLOCK)))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if ((r = source_skip(src, pl->offset - src->pos)) ||
	    (r = source_read(src, f->tree_bytes, pl->size)))
		return errmsg(err, errlen, r, "reading the verity tree: %s",
			      src->err);
	return vtree_check(&f->tree, f->tree_bytes, pl->size, err, errlen);
}

/* "(12.5 MiB/s, 7 s left)" from the start of the pass. */
static void rate(const struct flow *f, char *buf, size_t len)
{
	double s = (monotonic_ms() - f->start_ms) / 1e3;
	double r = s > 0 ? f->done / s : 0;

	if (r <= 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, ", %.1f MiB/s, %.0f s left", MiB(r),
		 (f->total - f->done) / r);
}

static void flow_progress(struct flow *f, uint64_t n)
{
	char r[64], extra[96] = "";

	f->done += n;
	int pct = f->total ? (int)(f->done * 100 / f->total) : 100;
	long now = monotonic_ms();
	if (f->shown_pct >= 0 && pct / 10 == f->shown_pct / 10 &&
	    now - f->shown_ms < 5000)
		return;
	f->shown_pct = pct;
	f->shown_ms = now;
	rate(f, r, sizeof(r));
	if (f->delta)
		delta_describe(f->delta, extra, sizeof(extra));
	progress(f->p, "%s: %d%% (%.1f of %.1f MiB%s%s)", f->phase, pct,
		 MiB(f->done), MiB(f->total), r, extra);
}

static int check_hash(struct flow *f, const struct pipe_buf *b, char *err,
		      size_t errlen)
{
	const struct payload *pl = &f->m->payload[b->kind];
	uint8_t got[SHA256_DIGEST_SIZE];
	char want_hex[65], got_hex[65];

	if (!b->off)
		sha256_init(&f->sha[b->kind]);
	sha256_update(&f->sha[b->kind], b->len, b->data);
	if (b->off + b->len < pl->size)
		return 0;
	sha256_digest(&f->sha[b->kind], sizeof(got), got);
	if (!memcmp(got, pl->sha256, sizeof(got)))
		return 0;
	sha256_hex(pl->sha256, want_hex);
	sha256_hex(got, got_hex);
	return errmsg(err, errlen, -EBADMSG,
		      "%s %s is corrupt: sha256 %.16s..., the signed "
		      "manifest says %.16s...",
		      f->delta && delta_kept(f->delta, b->kind)
			      ? "the slot's kept"
			      : "payload",
		      payload_name(b->kind), got_hex, want_hex);
}

/*
 * The checker: every 4 KiB block of a format 2 root against its leaf in
 * the verity tree (dm-verity's own check, done before the write instead
 * of at each read), every other payload by a SHA-256 over all of it.
 */
static int flow_check(void *ctx, const struct pipe_buf *b, char *err,
		      size_t errlen)
{
	struct flow *f = ctx;

	if (!f->m->payload[b->kind].by_verity)
		return check_hash(f, b, err, errlen);
	if (b->off % VT_BLOCK || b->len % VT_BLOCK)
		return errmsg(err, errlen, -EINVAL,
			      "root: a piece off the 4 KiB blocks");
	for (size_t o = 0; o < b->len; o += VT_BLOCK) {
		uint64_t at = b->off + o;
		if (!vtree_block_ok(&f->tree, at / VT_BLOCK, b->data + o))
			return errmsg(err, errlen, -EBADMSG,
				      "root block %" PRIu64 " (at byte %" PRIu64
				      ") does not match the verity tree",
				      at / VT_BLOCK, at);
	}
	return 0;
}

/* A root's blocks are each checked alone: halves may go on two cores. */
_Static_assert(PIPE_ALIGN % VT_BLOCK == 0, "halves split between blocks");
static bool flow_halves(void *ctx, const struct pipe_buf *b)
{
	const struct flow *f = ctx;

	return f->m->payload[b->kind].by_verity && !(b->off % VT_BLOCK) &&
	       !(b->len % VT_BLOCK);
}

static int flow_write(void *ctx, const struct pipe_buf *b, char *err,
		      size_t errlen)
{
	struct flow *f = ctx;
	const uint8_t *p = b->data;
	size_t left = b->len;
	off_t at = b->off;

	/* (a kernel file a delta keeps is there already, and was checked) */
	while (left && !(f->delta && delta_kept(f->delta, b->kind))) {
		ssize_t n = pwrite(f->fd[b->kind], p, left, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errmsg_errno(
				err, errlen, n ? -errno : -EIO, n ? errno : EIO,
				"writing payload %s", payload_name(b->kind));
		p += n;
		left -= n;
		at += n;
	}
	flow_progress(f, b->len);
	if (b->kind == PAYLOAD_ROOT && f->fault_half && !f->halfway &&
	    b->off + b->len >= f->m->payload[PAYLOAD_ROOT].size / 2) {
		f->halfway = true;
		fault_point(f->fault_half);
	}
	return 0;
}

static int flow_count(void *ctx, const struct pipe_buf *b, char *err,
		      size_t errlen)
{
	(void)err;
	(void)errlen;
	flow_progress(ctx, b->len);
	return 0;
}

int flow_emit(struct pipeline *pl, struct pipe_buf **b, int kind,
	      const uint8_t *data, size_t len, uint64_t *off)
{
	while (len) {
		if (!*b) {
			if (!(*b = pipe_take(pl)))
				return -ECANCELED;
			(*b)->kind = kind;
			(*b)->off = *off;
		}
		size_t n =
			FLOW_BUF - (*b)->len < len ? FLOW_BUF - (*b)->len : len;
		memcpy((*b)->data + (*b)->len, data, n);
		(*b)->len += n;
		data += n;
		len -= n;
		*off += n;
		if ((*b)->len == FLOW_BUF)
			flow_flush(pl, b);
	}
	return 0;
}

int flow_flush(struct pipeline *pl, struct pipe_buf **b)
{
	if (*b && (*b)->len)
		pipe_send(pl, *b);
	*b = NULL;
	return 0;
}

int flow_from_source(struct flow *f, struct pipeline *pl, int k, char *err,
		     size_t errlen)
{
	const struct payload *p = &f->m->payload[k];
	struct source *src = f->src;
	int r;

	if ((r = source_skip(src, p->offset - src->pos)))
		return errmsg(err, errlen, r, "reading payload %s: %s",
			      payload_name(k), src->err);
	for (uint64_t off = 0; off < p->size;) {
		struct pipe_buf *b = pipe_take(pl);
		if (!b)
			return -ECANCELED;
		b->kind = k;
		b->off = off;
		b->len = p->size - off < FLOW_BUF ? p->size - off : FLOW_BUF;
		if ((r = source_read_into(src, b->data, b->len, FLOW_BUF)))
			return errmsg(err, errlen, r, "reading payload %s: %s",
				      payload_name(k), src->err);
		off += b->len;
		pipe_send(pl, b);
	}
	return 0;
}

/* The producer of a full bundle: each payload as it lies in it. */
static int from_bundle(void *ctx, struct pipeline *pl, char *err, size_t errlen)
{
	struct flow *f = ctx;
	int order[PAYLOAD_COUNT], n = stream_order(f->m, order), r;

	for (int i = 0; i < n; i++)
		if ((r = flow_from_source(f, pl, order[i], err, errlen)))
			return r;
	return 0;
}

static void flow_start(struct flow *f, const char *phase)
{
	f->phase = phase;
	f->done = 0;
	f->total = 0;
	f->shown_pct = -1;
	f->start_ms = monotonic_ms();
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (f->m->payload[k].present && k != PAYLOAD_VERITY)
			f->total += f->m->payload[k].size;
}

static int pwrite_full(int fd, const void *buf, size_t len, off_t at)
{
	for (const char *p = buf; len;) {
		ssize_t n = pwrite(fd, p, len, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= n;
		at += n;
	}
	return 0;
}

int stream_write(struct flow *f, char *err, size_t errlen)
{
	static const struct pipe_ops ops = { .check = flow_check,
					     .consume = flow_write,
					     .halves = flow_halves };
	struct pipe_ops o = ops;
	int r;

	if (f->tree_bytes &&
	    (r = pwrite_full(f->fd[PAYLOAD_ROOT], f->tree_bytes,
			     f->tree.blocks * VT_BLOCK,
			     f->m->data_blocks * VT_BLOCK)))
		return errmsg_errno(err, errlen, r, -r,
				    "writing the verity tree");
	flow_start(f, "write");
	o.produce = f->delta ? delta_produce : from_bundle;
	return pipeline_run(&o, f, FLOW_BUF, err, errlen);
}

/* The read back's producer: every payload from where it was written. */
static int from_disk(void *ctx, struct pipeline *pl, char *err, size_t errlen)
{
	struct flow *f = ctx;

	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *p = &f->m->payload[k];
		if (!p->present || k == PAYLOAD_VERITY)
			continue;
		for (uint64_t off = 0; off < p->size;) {
			struct pipe_buf *b = pipe_take(pl);
			if (!b)
				return -ECANCELED;
			b->kind = k;
			b->off = off;
			size_t want = p->size - off < FLOW_BUF ? p->size - off
							       : FLOW_BUF;
			ssize_t n = pread(f->fd[k], b->data, want, off);
			if (n != (ssize_t)want)
				return errmsg_errno(err, errlen,
						    n < 0 ? -errno : -EIO,
						    n < 0 ? errno : 0,
						    "reading back payload %s",
						    payload_name(k));
			b->len = n;
			off += n;
			pipe_send(pl, b);
		}
	}
	return 0;
}

/* What is read next comes from the disk, not from memory. */
static void drop_caches(int fd)
{
	ioctl(fd, BLKFLSBUF, 0); /* a block device: its buffer cache */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int tree_back(struct flow *f, char *err, size_t errlen)
{
	size_t len = f->tree.blocks * VT_BLOCK;
	uint8_t *back = aligned_alloc(VT_BLOCK, len ? len : VT_BLOCK);
	int r = 0;

	if (!back)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if (pread(f->fd[PAYLOAD_ROOT], back, len,
		  f->m->data_blocks * VT_BLOCK) != (ssize_t)len ||
	    memcmp(back, f->tree_bytes, len))
		r = errmsg(err, errlen, -EIO,
			   "the verity tree reads back wrong");
	free(back);
	return r;
}

int stream_read_back(struct flow *f, char *err, size_t errlen)
{
	static const struct pipe_ops ops = { .produce = from_disk,
					     .check = flow_check,
					     .consume = flow_count,
					     .halves = flow_halves };
	int r;

	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (f->fd[k] >= 0)
			drop_caches(f->fd[k]);
	if (f->tree_bytes && (r = tree_back(f, err, errlen)))
		return r;
	flow_start(f, "read back");
	f->fault_half = NULL;
	if ((r = pipeline_run(&ops, f, FLOW_BUF, err, errlen)))
		return errmsg_prefix(err, errlen, r, "read back: ");
	return 0;
}

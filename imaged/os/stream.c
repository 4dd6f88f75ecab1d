// SPDX-License-Identifier: MIT
#include "os/stream.h"
#include "errmsg.h"
#include "file.h"
#include "imaged.h"
#include "os/fault.h"
#include "os/update.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define MiB(x) ((double)(x) / (1 << 20))

int signed_read(struct source *src, struct signed_part *sp, char *err,
		size_t errlen)
{
	static uint8_t keys[UPDATE_KEYS_MAX][P256_POINT_LEN];
	uint8_t head[BUNDLE_HEADER_SIZE], digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
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
	memcpy(head, sp->bytes, sizeof(head));
	memset(head + 12, 0, 4); /* signed with its own length zeroed */
	sha256_init(&sha);
	sha256_update(&sha, sizeof(head), head);
	sha256_update(&sha, sp->h.manifest_len, sp->bytes + BUNDLE_HEADER_SIZE);
	sha256_digest(&sha, sizeof(digest), digest);
	int nkeys = update_keys_load(keys);
	if ((r = signature_verify(digest, sp->bytes + sp->len, sp->sig_len,
				  (const uint8_t(*)[P256_POINT_LEN])keys, nkeys,
				  why, sizeof(why))))
		return errmsg(err, errlen, r, "%s (keys in %s)", why,
			      UPDATE_KEYS_DIR);
	return manifest_parse(
		&sp->m, (const char *)sp->bytes + BUNDLE_HEADER_SIZE,
		sp->h.manifest_len, sp->len + sp->sig_len, err, errlen);
cut:
	return errmsg_errno(err, errlen, r, -r,
			    "bundle ends inside its header or manifest");
}

static void stream_progress(struct stream *st, uint64_t n)
{
	st->done += n;
	int pct = st->total ? (int)(st->done * 100 / st->total) : 100;
	if (pct / 10 != st->last_pct / 10 || st->last_pct < 0) {
		st->last_pct = pct;
		progress(st->p, "%s: %d%% (%.1f of %.1f MiB)", st->phase, pct,
			 MiB(st->done), MiB(st->total));
	}
}

/* The payloads' indexes in the order they lie in the bundle. */
static void by_offset(const struct manifest *m, int order[PAYLOAD_COUNT])
{
	for (int i = 0; i < PAYLOAD_COUNT; i++)
		order[i] = i;
	for (int i = 1; i < PAYLOAD_COUNT; i++)
		for (int j = i;
		     j > 0 && m->payload[order[j]].offset <
				      m->payload[order[j - 1]].offset;
		     j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

static int hash_check(int k, const struct payload *pl, struct sink *sk,
		      char *err, size_t errlen)
{
	uint8_t got[SHA256_DIGEST_SIZE];
	char want_hex[65], got_hex[65];

	sha256_digest(&sk->sha, sizeof(got), got);
	if (!memcmp(got, pl->sha256, sizeof(got)))
		return 0;
	sha256_hex(pl->sha256, want_hex);
	sha256_hex(got, got_hex);
	return errmsg(err, errlen, -EBADMSG,
		      "payload %s is corrupt: sha256 %.16s..., the signed "
		      "manifest says %.16s...",
		      payload_name(k), got_hex, want_hex);
}

/* One payload from src into its sink, CHUNK bytes at a time. */
static int stream_one(struct source *src, struct stream *st, int k,
		      struct sink *sk, uint8_t *buf, char *err, size_t errlen)
{
	const struct payload *pl = &st->m->payload[k];
	bool halfway = false;
	int r;

	if (source_skip(src, pl->offset - src->pos))
		return errmsg(err, errlen, -EPIPE,
			      "bundle ends before payload %s", payload_name(k));
	if (st->hash)
		sha256_init(&sk->sha);
	for (sk->done = 0; sk->done < pl->size;) {
		size_t n = pl->size - sk->done < CHUNK ? pl->size - sk->done
						       : CHUNK;
		if ((r = source_read(src, buf, n)))
			return errmsg(err, errlen, r, "reading payload %s: %s",
				      payload_name(k),
				      r == -EPIPE ? "the bundle is cut short"
						  : strerror(-r));
		if (st->hash)
			sha256_update(&sk->sha, n, buf);
		if (sk->fd >= 0 && (r = write_full(sk->fd, buf, n)))
			return errmsg_errno(err, errlen, r, -r,
					    "writing payload %s",
					    payload_name(k));
		sk->done += n;
		stream_progress(st, n);
		if (k == PAYLOAD_ROOT && st->fault_half && !halfway &&
		    sk->done >= pl->size / 2) {
			halfway = true;
			fault_point(st->fault_half);
		}
	}
	return st->hash ? hash_check(k, pl, sk, err, errlen) : 0;
}

int stream_payloads(struct source *src, struct stream *st,
		    struct sink sinks[PAYLOAD_COUNT], char *err, size_t errlen)
{
	int order[PAYLOAD_COUNT], r = 0;
	uint8_t *buf = malloc(CHUNK);

	if (!buf)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	by_offset(st->m, order);
	st->last_pct = -1;
	for (int i = 0; i < PAYLOAD_COUNT && !r; i++)
		r = stream_one(src, st, order[i], &sinks[order[i]], buf, err,
			       errlen);
	free(buf);
	return r;
}

int hash_back(int fd, uint64_t size, uint8_t out[32])
{
	struct sha256_ctx sha;
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;

	if (!buf)
		return -ENOMEM;
	ioctl(fd, BLKFLSBUF, 0); /* a block device: its buffer cache */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	sha256_init(&sha);
	while (off < size) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		ssize_t got = pread(fd, buf, n, off);
		if (got <= 0) {
			free(buf);
			return got < 0 ? -errno : -EIO;
		}
		sha256_update(&sha, got, buf);
		off += got;
	}
	sha256_digest(&sha, SHA256_DIGEST_SIZE, out);
	free(buf);
	return 0;
}

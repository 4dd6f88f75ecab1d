// SPDX-License-Identifier: MIT
/*
 * Layer decompression (decompress.h) over zlib's and libzstd's streaming
 * interfaces. Compressed bytes go through one input buffer, which also
 * holds the first bytes read to recognise the format.
 */
#include "store/decompress.h"

#include "errmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE (64 * 1024)

/*
 * Largest zstd window accepted: libzstd's default limit, written out so
 * the memory a frame can ask for (128 MiB) is visible here.
 */
#define ZSTD_WINDOW_LOG_MAX 27

struct decomp {
	enum decomp_kind kind;
	decomp_read_fn read;
	void *ctx;
	uint64_t max_out, out;
	int state; /* 0 reading, 1 at the end, -errno after an error */
	uint8_t *in;
	size_t in_pos, in_len;
	bool in_eof;
	z_stream z;
	bool z_ready, member_done;
	ZSTD_DCtx *zs;
	size_t zhint; /* ZSTD_decompressStream's last return: 0 between frames */
	char err[256];
};

static const struct {
	const char *type;
	enum decomp_kind kind;
} media_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", DECOMP_PLAIN },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", DECOMP_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", DECOMP_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar",
	  DECOMP_PLAIN },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	  DECOMP_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	  DECOMP_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", DECOMP_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	  DECOMP_GZIP },
};

static const char *const kind_names[] = { "auto", "plain", "gzip", "zstd" };

int decomp_kind_for_media_type(const char *media_type, enum decomp_kind *k)
{
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]);
	     i++) {
		if (!strcmp(media_type, media_types[i].type)) {
			*k = media_types[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

ssize_t decomp_fd_reader(void *ctx, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(*(int *)ctx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Some more input into an empty buffer: 1, 0 at its end, or -errno. */
static int src_read(struct decomp *d, uint8_t *buf, size_t len, size_t *got)
{
	ssize_t n = d->in_eof ? 0 : d->read(d->ctx, buf, len);

	if (n < 0 || (size_t)n > len) {
		int err = n < -4095 || n > 0 ? -EIO : (int)n;

		return errmsg_errno(d->err, sizeof(d->err), err, -err,
				    "reading the layer");
	}
	if (!n)
		d->in_eof = true;
	*got = (size_t)n;
	return n > 0;
}

static int refill(struct decomp *d)
{
	d->in_pos = d->in_len = 0;
	return src_read(d, d->in, IN_SIZE, &d->in_len);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* gzip: RFC 1952 2.3.1 (ID1 ID2 CM=deflate); zstd: RFC 8878 3.1.1, 3.1.2 */
static enum decomp_kind sniff(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return DECOMP_GZIP;
	if (n >= 4 && (le32(p) == ZSTD_MAGICNUMBER ||
		       (le32(p) & ZSTD_MAGIC_SKIPPABLE_MASK) ==
			       ZSTD_MAGIC_SKIPPABLE_START))
		return DECOMP_ZSTD;
	return DECOMP_PLAIN;
}

static int start(struct decomp *d, enum decomp_kind kind)
{
	enum decomp_kind found;
	size_t got = 0;
	int r;

	while (d->in_len < 4) {
		r = src_read(d, d->in + d->in_len, IN_SIZE - d->in_len, &got);
		if (r <= 0) {
			if (r < 0)
				return r;
			break;
		}
		d->in_len += got;
	}
	found = sniff(d->in, d->in_len);
	if (kind == DECOMP_AUTO)
		kind = found;
	else if (kind != DECOMP_PLAIN && kind != found)
		return errmsg(d->err, sizeof(d->err), -EINVAL,
			      "layer is not %s data", kind_names[kind]);
	d->kind = kind;
	if (kind == DECOMP_GZIP) {
		/* 16 + window bits: a gzip wrapper, not zlib's (zlib.h) */
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			return errmsg(d->err, sizeof(d->err), -ENOMEM,
				      "gzip: out of memory");
		d->z_ready = true;
	} else if (kind == DECOMP_ZSTD) {
		d->zs = ZSTD_createDCtx();
		if (!d->zs ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(
			    d->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			return errmsg(d->err, sizeof(d->err), -ENOMEM,
				      "zstd: out of memory");
		d->zhint = 1;
	}
	return 0;
}

int decomp_open(struct decomp **out, enum decomp_kind kind, decomp_read_fn read,
		void *ctx, uint64_t max_out, char *err, size_t errlen)
{
	struct decomp *d = calloc(1, sizeof(*d));
	int r;

	*out = NULL;
	if (d)
		/* zeroed: gcc -O2 cannot see that sniff() reads only what came in */
		d->in = calloc(1, IN_SIZE);
	if (!d || !d->in) {
		free(d);
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	}
	d->read = read;
	d->ctx = ctx;
	d->max_out = max_out;
	r = start(d, kind);
	if (r) {
		errmsg(err, errlen, r, "%s", d->err);
		decomp_close(d);
		return r;
	}
	*out = d;
	return 0;
}

static ssize_t plain_read(struct decomp *d, uint8_t *buf, size_t len)
{
	size_t n = d->in_len - d->in_pos;
	int r;

	if (n) {
		n = n < len ? n : len;
		memcpy(buf, d->in + d->in_pos, n);
		d->in_pos += n;
		return (ssize_t)n;
	}
	r = src_read(d, buf, len, &n);
	return r < 0 ? r : (ssize_t)n;
}

/* gzip members one after another make one stream (RFC 1952 2.2). */
static ssize_t gz_read(struct decomp *d, uint8_t *buf, size_t len)
{
	uInt want = len > UINT_MAX ? UINT_MAX : (uInt)len;
	z_stream *z = &d->z;
	int r;

	z->next_out = buf;
	z->avail_out = want;
	while (z->avail_out == want) {
		if (d->in_pos == d->in_len) {
			r = refill(d);
			if (r < 0)
				return r;
			if (!r && d->member_done)
				return 0;
			if (!r)
				return errmsg(d->err, sizeof(d->err), -EIO,
					      "gzip stream truncated");
		}
		if (d->member_done) {
			inflateReset(z);
			d->member_done = false;
		}
		z->next_in = d->in + d->in_pos;
		z->avail_in = (uInt)(d->in_len - d->in_pos);
		r = inflate(z, Z_NO_FLUSH);
		d->in_pos = d->in_len - z->avail_in;
		if (r == Z_STREAM_END)
			d->member_done = true;
		/* Z_BUF_ERROR: no input left to go on with; refill */
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return errmsg(d->err, sizeof(d->err), -EINVAL,
				      "gzip: %s", z->msg ? z->msg : zError(r));
	}
	return (ssize_t)(want - z->avail_out);
}

/* zstd frames one after another make one stream (RFC 8878 3.1). */
static ssize_t zs_read(struct decomp *d, uint8_t *buf, size_t len)
{
	ZSTD_outBuffer out = { buf, len, 0 };
	int r;

	for (;;) {
		ZSTD_inBuffer in = { d->in, d->in_len, d->in_pos };
		size_t hint = ZSTD_decompressStream(d->zs, &out, &in);
		bool moved = in.pos != d->in_pos;

		d->in_pos = in.pos;
		if (ZSTD_isError(hint))
			return errmsg(d->err, sizeof(d->err), -EINVAL,
				      "zstd: %s", ZSTD_getErrorName(hint));
		/*
		 * With no input and no output, libzstd answers for a next
		 * frame not begun: keep the hint from the last real step.
		 */
		if (moved || out.pos)
			d->zhint = hint;
		if (out.pos)
			return (ssize_t)out.pos;
		if (d->in_pos < d->in_len) {
			if (!moved)
				return errmsg(d->err, sizeof(d->err), -EINVAL,
					      "zstd: no progress");
			continue;
		}
		r = refill(d);
		if (r < 0)
			return r;
		if (!r && !d->zhint)
			return 0;
		if (!r)
			return errmsg(d->err, sizeof(d->err), -EIO,
				      "zstd stream truncated");
	}
}

ssize_t decomp_read(struct decomp *d, void *buf, size_t len)
{
	uint64_t room = d->max_out - d->out;
	ssize_t n;

	if (d->state)
		return d->state > 0 ? 0 : d->state;
	if (!len)
		return 0;
	/* one byte past the cap is enough to know it is exceeded */
	if (room < len)
		len = (size_t)room + 1;
	if (d->kind == DECOMP_GZIP)
		n = gz_read(d, buf, len);
	else if (d->kind == DECOMP_ZSTD)
		n = zs_read(d, buf, len);
	else
		n = plain_read(d, buf, len);
	/* the end, or an error, sticks: every later call says the same */
	if (n <= 0) {
		d->state = n ? (int)n : 1;
		return n;
	}
	d->out += (uint64_t)n;
	if (d->out > d->max_out) {
		d->state = errmsg(d->err, sizeof(d->err), -EFBIG,
				  "layer is larger than the limit of %" PRIu64
				  " bytes uncompressed",
				  d->max_out);
		return d->state;
	}
	return n;
}

const char *decomp_error(const struct decomp *d)
{
	return d->state < 0 ? d->err : "";
}

void decomp_close(struct decomp *d)
{
	if (!d)
		return;
	if (d->z_ready)
		inflateEnd(&d->z);
	ZSTD_freeDCtx(d->zs);
	free(d->in);
	free(d);
}

// SPDX-License-Identifier: MIT
#include "os/expect.h"
#include "errmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static int differs(struct install_expect *e, char *err, size_t errlen,
		   const char *what, const uint8_t got[32],
		   const uint8_t want[32])
{
	char g[65], w[65];

	sha256_hex(got, g);
	sha256_hex(want, w);
	e->mismatch = true;
	return errmsg(err, errlen, -EBADMSG,
		      "the bundle is not the one the channel names: its %s "
		      "has sha256 %.16s..., the channel says %.16s...",
		      what, g, w);
}

static int size_differs(struct install_expect *e, uint64_t got, char *err,
			size_t errlen)
{
	e->mismatch = true;
	return errmsg(err, errlen, -EBADMSG,
		      "the bundle is not the one the channel names: %s%" PRIu64
		      " bytes, the channel says %" PRIu64,
		      got > e->size ? "more than " : "",
		      got > e->size ? e->size : got, e->size);
}

int expect_signed(struct install_expect *e, struct source *src,
		  const struct signed_part *sp, char *err, size_t errlen)
{
	uint8_t got[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;

	/* what signed_read took from src: header, manifest, signature */
	if (src->pos != sp->len + sp->sig_len)
		return errmsg(err, errlen, -EINVAL,
			      "the bundle's signed part is not where it was "
			      "expected");
	sha256_init(&sha);
	sha256_update(&sha, sp->len, sp->bytes);
	sha256_digest(&sha, sizeof(got), got);
	if (memcmp(got, e->manifest_sha256, sizeof(got)))
		return differs(e, err, errlen, "header and manifest", got,
			       e->manifest_sha256);
	if (src->size && src->size != e->size)
		return size_differs(e, src->size, err, errlen);
	sha256_init(&e->whole);
	sha256_update(&e->whole, src->pos, sp->bytes);
	src->whole = &e->whole;
	return 0;
}

int expect_whole(struct install_expect *e, struct source *src, char *err,
		 size_t errlen)
{
	uint8_t buf[4096], got[SHA256_DIGEST_SIZE];
	int r;

	/* the rest, to the end: source_read hashes what it gives */
	while (src->pos <= e->size) {
		r = source_read(src, buf, sizeof(buf));
		if (r == -EPIPE)
			break;
		if (r)
			return errmsg_errno(err, errlen, r, -r,
					    "reading the bundle's end");
	}
	src->whole = NULL;
	if (src->pos != e->size)
		return size_differs(e, src->pos, err, errlen);
	sha256_digest(&e->whole, sizeof(got), got);
	if (memcmp(got, e->sha256, sizeof(got)))
		return differs(e, err, errlen, "whole file", got, e->sha256);
	return 0;
}

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_EXPECT_H
#define KEEL_EXPECT_H

#include "os/source.h"
#include "os/stream.h"

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What an install must find, when something outside the bundle names it
 * (a format 2 channel entry): the bundle file's size and SHA-256, and
 * the SHA-256 of its header and manifest as they lie in the file. The
 * install checks them through two hooks: expect_signed once the signed
 * part is read (a different manifest or a known size that differs:
 * refused before a byte is written), expect_whole once the last byte has
 * passed (a different file: refused before the commit point).
 */
struct install_expect {
	uint64_t size;
	uint8_t sha256[32];
	uint8_t manifest_sha256[32];
	/* set by the hooks */
	struct sha256_ctx whole; /* of every byte src has given */
	bool mismatch; /* refused for not being what was named */
};

/*
 * After signed_read from src: its manifest (sp's header and manifest) is
 * the one named, src's size (when the file or the server says it) is
 * too; from here on every byte src gives is hashed. 0, or -EBADMSG with
 * err saying which differs.
 */
int expect_signed(struct install_expect *e, struct source *src,
		  const struct signed_part *sp, char *err, size_t errlen);

/*
 * After the last payload: src read to its end; its length and SHA-256
 * are the ones named. 0, or -errno with err saying which differs.
 */
int expect_whole(struct install_expect *e, struct source *src, char *err,
		 size_t errlen);

#endif

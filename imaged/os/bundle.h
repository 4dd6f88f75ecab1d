/* SPDX-License-Identifier: MIT */
#ifndef KEEL_BUNDLE_H
#define KEEL_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An update bundle (.keelb), as scripts/mkbundle writes it; the format is
 * in imaged/README.md, "Update bundles":
 *
 *   header     16 bytes: "KEELBDL2", manifest length, signature length
 *              (both u32 little-endian)
 *   manifest   text, one "key value" line per field
 *   signature  DER ECDSA P-256 over SHA-256("keel-bundle" NUL || header
 *              || manifest), the header's signature length zeroed for the
 *              hash
 *   payloads   at the offsets the manifest gives, 4 KiB aligned
 *
 * The context in front names what is signed: the same keys sign channel
 * documents ("keel-channel" NUL || document, channel.h), and neither
 * signature verifies as the other. A bundle with the old magic KEELBDL1
 * (every mkbundle before issue 20 wrote it) is still read: the same
 * header and manifest, signed without the context. The magic is signed
 * too, so relabelling one as the other breaks its signature.
 *
 * Format 2 (a verity tree of its own, ahead of the root; delta bundles
 * whose payloads come from a casync chunk store) is read beside format 1;
 * the manifest's format and the header's magic are independent.
 *
 * Everything here is pure (bytes in, struct out) so it runs in unit tests
 * and under the fuzzer. Functions return 0 or -errno with a reason in err.
 */

#define BUNDLE_MAGIC "KEELBDL2"
#define BUNDLE_MAGIC_1 "KEELBDL1" /* signed without the context: still read */
#define BUNDLE_MAGIC_LEN 8
/* "keel-bundle" and its NUL, in front of a KEELBDL2 header when signed */
#define BUNDLE_CONTEXT "keel-bundle"
#define BUNDLE_CONTEXT_LEN (sizeof(BUNDLE_CONTEXT))
#define BUNDLE_HEADER_SIZE 16
#define BUNDLE_MANIFEST_MAX 16384
#define BUNDLE_SIG_MAX 128
#define BUNDLE_FORMAT_MIN 1
#define BUNDLE_FORMAT 2
#define BUNDLE_VERSION_MAX 64
#define BUNDLE_BOARD_MAX 64
#define BUNDLE_CMDLINE_MAX 512
#define BUNDLE_REF_MAX 512
/* a chunk index (.caibx) in a bundle: 64 MiB is 1.6 M chunks */
#define BUNDLE_INDEX_MAX (64 << 20)

/*
 * The payloads, in the order of this enum; PAYLOAD_VERITY (the root's
 * hash tree on its own) only in format 2, where the root payload is the
 * data blocks alone. In format 1 the root payload is the data with the
 * tree after it, checked by one SHA-256.
 */
enum payload_kind {
	PAYLOAD_ROOT,
	PAYLOAD_KERNEL,
	PAYLOAD_INITRAMFS,
	PAYLOAD_VERITY,
	PAYLOAD_COUNT,
};

struct payload {
	bool present; /* the verity tree is absent in format 1 */
	/*
	 * Not in the bundle: at offset is its chunk index (index_size
	 * bytes, index_sha256), and the chunks come from the store.
	 */
	bool chunked;
	/* checked through the verity root hash, not sha256 (format 2) */
	bool by_verity;
	uint64_t offset; /* from the start of the bundle */
	uint64_t size; /* of the payload itself */
	uint8_t sha256[32];
	uint64_t index_size;
	uint8_t index_sha256[32];
};

struct manifest {
	int format;
	char version[BUNDLE_VERSION_MAX];
	char board[BUNDLE_BOARD_MAX];
	char verity[64 + 1 + 20 + 1]; /* "<root hash>:<data blocks>" */
	char cmdline
		[BUNDLE_CMDLINE_MAX]; /* extra kernel arguments; may be "" */
	/* a delta bundle: where its chunks are, and its full bundle */
	char store[BUNDLE_REF_MAX];
	char full[BUNDLE_REF_MAX];
	uint8_t root_hash[32];
	uint64_t data_blocks;
	struct payload payload[PAYLOAD_COUNT];
};

struct bundle_header {
	int magic; /* 2: KEELBDL2, signed with the context; 1: KEELBDL1 */
	uint32_t manifest_len;
	uint32_t sig_len;
};

const char *payload_name(enum payload_kind k);

int bundle_header_parse(struct bundle_header *h, const void *buf, size_t len,
			char *err, size_t errlen);

/*
 * The manifest text. Every field must be present once, every region of
 * the bundle (payloads, chunk indexes) must lie after the signed part
 * (signed_end bytes) without overlapping another; an unknown key is an
 * error, so an old reader never skips what a newer writer meant. In
 * format 2 the sizes must agree with the verity value (the root is its
 * data blocks, the tree as big as dm-verity makes it), and the tree and
 * the indexes lie before the payloads that stream, so one pass reads
 * them first.
 */
int manifest_parse(struct manifest *m, const char *text, size_t len,
		   uint64_t signed_end, char *err, size_t errlen);

/* A delta bundle: some payload comes from a chunk store. */
bool manifest_is_delta(const struct manifest *m);

/*
 * The public keys a device trusts: raw uncompressed P-256 points (65
 * bytes, 0x04 || X || Y), as the build bakes them into
 * /etc/keel/update-keys/. Returns 0 when one of them signed digest.
 */
#define P256_POINT_LEN 65
int signature_verify(const uint8_t digest[32], const void *sig, size_t siglen,
		     const uint8_t (*keys)[P256_POINT_LEN], int nkeys,
		     char *err, size_t errlen);

/*
 * SHA-256 of what a bundle's signature covers: BUNDLE_CONTEXT and its
 * NUL (KEELBDL2 only), the header (h parsed from it) with its signature
 * length zeroed, then the manifest; signed_part is the header and
 * manifest as they lie in the file.
 */
void bundle_digest(const struct bundle_header *h, const uint8_t *signed_part,
		   uint8_t out[32]);

/*
 * The signature after the header and manifest in signed_part (as they lie
 * in the file, h parsed from it) is one of keys' over bundle_digest. 0,
 * -ENOKEY or -EKEYREJECTED with err saying why.
 */
int bundle_verify(const struct bundle_header *h, const uint8_t *signed_part,
		  const uint8_t (*keys)[P256_POINT_LEN], int nkeys, char *err,
		  size_t errlen);

/*
 * Dotted versions compared field by field, numbers as numbers ("1.10" is
 * newer than "1.9"), anything else as text. Returns <0, 0 or >0.
 */
int version_compare(const char *a, const char *b);

void sha256_hex(const uint8_t digest[32], char hex[65]);
int hex_decode(const char *hex, uint8_t *out, size_t outlen);

#endif

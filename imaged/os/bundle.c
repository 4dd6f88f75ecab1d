// SPDX-License-Identifier: MIT
#include "os/bundle.h"
#include "errmsg.h"
#include "le.h"
#include "os/vtree.h"

#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bundle_header_parse(struct bundle_header *h, const void *buf, size_t len,
			char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (len >= BUNDLE_HEADER_SIZE &&
	    !memcmp(p, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
		h->magic = 2;
	else if (len >= BUNDLE_HEADER_SIZE &&
		 !memcmp(p, BUNDLE_MAGIC_1, BUNDLE_MAGIC_LEN))
		h->magic = 1;
	else
		return errmsg(err, errlen, -EINVAL,
			      "not a keel update bundle (no %s or %s header)",
			      BUNDLE_MAGIC, BUNDLE_MAGIC_1);
	h->manifest_len = get_le32(p + 8);
	h->sig_len = get_le32(p + 12);
	if (!h->manifest_len || h->manifest_len > BUNDLE_MANIFEST_MAX) {
		snprintf(err, errlen,
			 "manifest length %" PRIu32 " is not 1..%d",
			 h->manifest_len, BUNDLE_MANIFEST_MAX);
		return -EINVAL;
	}
	if (!h->sig_len || h->sig_len > BUNDLE_SIG_MAX) {
		snprintf(err, errlen,
			 "signature length %" PRIu32 " is not 1..%d",
			 h->sig_len, BUNDLE_SIG_MAX);
		return -EINVAL;
	}
	return 0;
}

int hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
	for (size_t i = 0; i < outlen; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + j];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -EINVAL;
		}
		out[i] = v;
	}
	return hex[2 * outlen] ? -EINVAL : 0;
}

void sha256_hex(const uint8_t digest[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* A whole decimal number that fits in a uint64_t, no sign, no spaces. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

/* Versions and board names: printable, no spaces, not empty. */
static bool word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

static int copy_word(char *dst, size_t dstlen, const char *v)
{
	if (!word_ok(v) || strlen(v) >= dstlen)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

/* "<64 hex>:<blocks>", the form init's keel.verity= takes. */
static bool verity_ok(const char *v)
{
	uint8_t hash[32];
	char hex[65];
	uint64_t blocks;
	const char *colon = strchr(v, ':');

	if (!colon || colon - v != 64)
		return false;
	memcpy(hex, v, 64);
	hex[64] = '\0';
	return !hex_decode(hex, hash, sizeof(hash)) &&
	       !parse_u64(colon + 1, &blocks) && blocks > 0;
}

static const char *const payload_names[PAYLOAD_COUNT] = {
	[PAYLOAD_ROOT] = "root",
	[PAYLOAD_KERNEL] = "kernel",
	[PAYLOAD_INITRAMFS] = "initramfs",
	[PAYLOAD_VERITY] = "verity",
};

const char *payload_name(enum payload_kind k)
{
	return k < PAYLOAD_COUNT ? payload_names[k] : "?";
}

#define SEEN_PAYLOAD(k) (1u << (16 + (k)))

/*
 * A manifest being parsed: what was seen, and each payload's check word,
 * judged once the format is known (fields come in any order).
 */
struct mparse {
	struct manifest *m;
	unsigned seen;
	char check[PAYLOAD_COUNT][72];
};

/* A payload's name, not given before. */
static int payload_kind(const char *name, unsigned *seen, char *why,
			size_t whylen)
{
	int k;

	for (k = 0; k < PAYLOAD_COUNT; k++)
		if (!strcmp(name, payload_names[k]))
			break;
	if (k == PAYLOAD_COUNT)
		return errmsg(why, whylen, -EINVAL, "unknown payload '%.32s'",
			      name);
	if (*seen & SEEN_PAYLOAD(k))
		return errmsg(why, whylen, -EINVAL, "payload %s given twice",
			      name);
	*seen |= SEEN_PAYLOAD(k);
	return k;
}

/*
 * A payload's check: its sha256, or in format 2 for the root and its
 * tree the word "verity" (checked through the signed root hash).
 */
static int parse_check(const struct manifest *m, int k, char *why,
		       size_t whylen, const char *hash)
{
	struct payload *p = (struct payload *)&m->payload[k];
	bool by_verity = k == PAYLOAD_ROOT || k == PAYLOAD_VERITY;

	if (m->format >= 2 && by_verity) {
		if (strcmp(hash, "verity"))
			return errmsg(why, whylen, -EINVAL,
				      "payload %s: checked by 'verity' in "
				      "format 2",
				      payload_names[k]);
		p->by_verity = true;
		return 0;
	}
	if (strlen(hash) != 64 || hex_decode(hash, p->sha256, 32))
		return errmsg(why, whylen, -EINVAL,
			      "payload %s: sha256 is not 64 hex digits",
			      payload_names[k]);
	return 0;
}

/* payload <name> <offset> <size> <sha256|verity> */
static int parse_payload(struct mparse *mp, char **w, int n, char *why,
			 size_t whylen)
{
	struct manifest *m = mp->m;
	if (n != 4)
		return errmsg(why, whylen, -EINVAL,
			      "payload wants: <name> <offset> <size> <sha256>");
	int k = payload_kind(w[0], &mp->seen, why, whylen);
	if (k < 0)
		return k;
	struct payload *p = &m->payload[k];
	if (parse_u64(w[1], &p->offset) || parse_u64(w[2], &p->size) ||
	    !p->size)
		return errmsg(why, whylen, -EINVAL,
			      "payload %s: bad offset or size", w[0]);
	if (p->offset % 4096)
		return errmsg(why, whylen, -EINVAL,
			      "payload %s: offset not 4 KiB aligned", w[0]);
	p->present = true;
	snprintf(mp->check[k], sizeof(mp->check[k]), "%s", w[3]);
	return 0;
}

/*
 * chunked <name> <index offset> <index size> <index sha256> <size>
 * <sha256|verity>: the payload is assembled from the chunk store by the
 * casync index (.caibx) in the bundle.
 */
static int parse_chunked(struct mparse *mp, char **w, int n, char *why,
			 size_t whylen)
{
	struct manifest *m = mp->m;
	if (n != 6)
		return errmsg(why, whylen, -EINVAL,
			      "chunked wants: <name> <index offset> <index "
			      "size> <index sha256> <size> <sha256>");
	int k = payload_kind(w[0], &mp->seen, why, whylen);
	if (k < 0)
		return k;
	struct payload *p = &m->payload[k];
	if (k == PAYLOAD_VERITY)
		return errmsg(why, whylen, -EINVAL,
			      "payload verity cannot be chunked");
	if (parse_u64(w[1], &p->offset) || parse_u64(w[2], &p->index_size) ||
	    !p->index_size || p->index_size > BUNDLE_INDEX_MAX ||
	    parse_u64(w[4], &p->size) || !p->size)
		return errmsg(why, whylen, -EINVAL,
			      "chunked %s: bad offset or size", w[0]);
	if (p->offset % 4096)
		return errmsg(why, whylen, -EINVAL,
			      "chunked %s: offset not 4 KiB aligned", w[0]);
	if (strlen(w[3]) != 64 || hex_decode(w[3], p->index_sha256, 32))
		return errmsg(why, whylen, -EINVAL,
			      "chunked %s: index sha256 is not 64 hex digits",
			      w[0]);
	p->present = p->chunked = true;
	snprintf(mp->check[k], sizeof(mp->check[k]), "%s", w[5]);
	return 0;
}

enum field {
	F_FORMAT,
	F_VERSION,
	F_BOARD,
	F_VERITY,
	F_CMDLINE,
	F_STORE,
	F_FULL,
	F_NFIELDS
};
static const char *const field_names[F_NFIELDS] = {
	"format", "version", "board", "verity", "cmdline", "store", "full",
};

/* store and full: a URL, or a path relative to the bundle's place */
static int copy_ref(char *dst, size_t dstlen, const char *v)
{
	if (!word_ok(v) || strlen(v) >= dstlen || strpbrk(v, "\"\\$`'"))
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

static int parse_field(struct manifest *m, int f, const char *val, char *why,
		       size_t whylen)
{
	uint64_t fmt;
	int r = 0;

	switch (f) {
	case F_FORMAT:
		if (parse_u64(val, &fmt) || fmt < BUNDLE_FORMAT_MIN ||
		    fmt > BUNDLE_FORMAT)
			return errmsg(why, whylen, -EINVAL,
				      "format %.20s is not %d..%d (a newer "
				      "bundle needs a newer keel to install "
				      "it)",
				      val, BUNDLE_FORMAT_MIN, BUNDLE_FORMAT);
		m->format = fmt;
		break;
	case F_VERSION:
		r = copy_word(m->version, sizeof(m->version), val);
		break;
	case F_BOARD:
		r = copy_word(m->board, sizeof(m->board), val);
		break;
	case F_VERITY:
		if (strlen(val) >= sizeof(m->verity) || !verity_ok(val) ||
		    vtree_parse_spec(val, m->root_hash, &m->data_blocks))
			r = -EINVAL;
		else
			strcpy(m->verity, val);
		break;
	case F_CMDLINE:
		/* GRUB sources it inside double quotes: keep it plain */
		if (strlen(val) >= sizeof(m->cmdline) ||
		    strpbrk(val, "\"\\$`'"))
			r = -EINVAL;
		else
			strcpy(m->cmdline, val);
		break;
	case F_STORE:
		r = copy_ref(m->store, sizeof(m->store), val);
		break;
	case F_FULL:
		r = copy_ref(m->full, sizeof(m->full), val);
		break;
	}
	if (r)
		return errmsg(why, whylen, r, "bad %s '%.40s'", field_names[f],
			      val);
	return 0;
}

/* The line's words (space-separated), at most max; their number. */
static int split(char *line, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(line, " "); t; t = strtok(NULL, " "))
		if (n++ < max)
			w[n - 1] = t;
	return n;
}

static int parse_line(struct mparse *mp, char *line, char *why, size_t whylen)
{
	unsigned *seen = &mp->seen;
	char *val = strchr(line, ' '), *w[8];
	int f;

	if (!val)
		return errmsg(why, whylen, -EINVAL, "'%.32s' has no value",
			      line);
	*val++ = '\0';
	if (!strcmp(line, "payload") || !strcmp(line, "chunked")) {
		int n = split(val, w, 8);
		return line[0] == 'p' ? parse_payload(mp, w, n, why, whylen)
				      : parse_chunked(mp, w, n, why, whylen);
	}
	for (f = 0; f < F_NFIELDS; f++)
		if (!strcmp(line, field_names[f]))
			break;
	if (f == F_NFIELDS)
		return errmsg(why, whylen, -EINVAL, "unknown field '%.32s'",
			      line);
	if (*seen & (1u << f))
		return errmsg(why, whylen, -EINVAL, "%s given twice", line);
	*seen |= 1u << f;
	return parse_field(mp->m, f, val, why, whylen);
}

bool manifest_is_delta(const struct manifest *m)
{
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (m->payload[k].chunked)
			return true;
	return false;
}

/* The bytes a payload (or its index) takes in the bundle. */
static uint64_t region_size(const struct payload *p)
{
	return p->chunked ? p->index_size : p->size;
}

/* Read before anything streams: the tree, and every chunk index. */
static bool read_first(int k, const struct payload *p)
{
	return k == PAYLOAD_VERITY || p->chunked;
}

/* Regions after the signed part, none overlapping another. */
static int check_regions(const struct manifest *m, uint64_t signed_end,
			 char *err, size_t errlen)
{
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *p = &m->payload[k];
		if (!p->present)
			continue;
		if (p->offset < signed_end ||
		    region_size(p) > UINT64_MAX - p->offset)
			return errmsg(err, errlen, -EINVAL,
				      "manifest: payload %s out of place",
				      payload_names[k]);
		for (int j = 0; j < k; j++) {
			const struct payload *q = &m->payload[j];
			if (!q->present ||
			    p->offset >= q->offset + region_size(q) ||
			    q->offset >= p->offset + region_size(p))
				continue;
			return errmsg(err, errlen, -EINVAL,
				      "manifest: payloads %s and %s overlap",
				      payload_names[j], payload_names[k]);
		}
	}
	return 0;
}

/*
 * Format 2: sizes as the verity value has them; what is read first, in
 * this order: the tree, the chunk indexes, then the payloads that stream.
 */
static int check_format2(const struct manifest *m, char *err, size_t errlen)
{
	const struct payload *pl = m->payload;
	struct vtree t;

	if (!pl[PAYLOAD_VERITY].present || pl[PAYLOAD_VERITY].chunked)
		return errmsg(err, errlen, -EINVAL,
			      "manifest: no verity payload (format 2 ships "
			      "the tree)");
	vtree_init(&t, m->data_blocks, m->root_hash);
	if (pl[PAYLOAD_ROOT].size != m->data_blocks * VT_BLOCK ||
	    pl[PAYLOAD_VERITY].size != t.blocks * VT_BLOCK)
		return errmsg(err, errlen, -EINVAL,
			      "manifest: root and verity sizes do not fit "
			      "%" PRIu64 " data blocks",
			      m->data_blocks);
	if (!manifest_is_delta(m) != !m->store[0] ||
	    (m->full[0] && !m->store[0]))
		return errmsg(err, errlen, -EINVAL,
			      "manifest: store (and full) go with chunked "
			      "payloads, and only with them");
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		if (pl[k].chunked && pl[k].offset < pl[PAYLOAD_VERITY].offset)
			return errmsg(err, errlen, -EINVAL,
				      "manifest: the verity tree lies after "
				      "the %s index",
				      payload_names[k]);
		for (int j = 0; j < PAYLOAD_COUNT; j++)
			if (read_first(k, &pl[k]) && !read_first(j, &pl[j]) &&
			    pl[k].offset > pl[j].offset)
				return errmsg(err, errlen, -EINVAL,
					      "manifest: %s lies after "
					      "payload %s",
					      k == PAYLOAD_VERITY
						      ? "the verity tree"
						      : "a chunk index",
					      payload_names[j]);
	}
	return 0;
}

static int check_whole(const struct mparse *mp, uint64_t signed_end, char *err,
		       size_t errlen)
{
	const struct manifest *m = mp->m;
	unsigned seen = mp->seen;
	char why[160];
	/* cmdline, store and full are optional; the rest must be there */
	for (int f = 0; f < F_CMDLINE; f++)
		if (!(seen & (1u << f)))
			return errmsg(err, errlen, -EINVAL, "manifest: no %s",
				      field_names[f]);
	for (int k = 0; k < PAYLOAD_VERITY; k++)
		if (!m->payload[k].present)
			return errmsg(err, errlen, -EINVAL,
				      "manifest: no %s payload",
				      payload_names[k]);
	if (m->format < 2 &&
	    (m->payload[PAYLOAD_VERITY].present || manifest_is_delta(m) ||
	     (seen & (1u << F_STORE | 1u << F_FULL))))
		return errmsg(err, errlen, -EINVAL,
			      "manifest: verity, chunked, store and full are "
			      "format 2");
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (m->payload[k].present &&
		    parse_check(m, k, why, sizeof(why), mp->check[k]))
			return errmsg(err, errlen, -EINVAL, "manifest: %s",
				      why);
	int r = check_regions(m, signed_end, err, errlen);
	if (!r && m->format >= 2)
		r = check_format2(m, err, errlen);
	return r;
}

int manifest_parse(struct manifest *m, const char *text, size_t len,
		   uint64_t signed_end, char *err, size_t errlen)
{
	char buf[BUNDLE_MANIFEST_MAX + 1], why[160];
	struct mparse mp = { .m = m };
	int lineno = 0;

	memset(m, 0, sizeof(*m));
	if (len > BUNDLE_MANIFEST_MAX)
		return errmsg(err, errlen, -EINVAL,
			      "manifest: longer than %d bytes",
			      BUNDLE_MANIFEST_MAX);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len || !len || buf[len - 1] != '\n')
		return errmsg(err, errlen, -EINVAL,
			      "manifest: not text ending in a newline");
	for (char *line = buf, *next; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		lineno++;
		for (char *c = line; *c; c++)
			if (!isprint((unsigned char)*c))
				return errmsg(err, errlen, -EINVAL,
					      "manifest line %d: control "
					      "character",
					      lineno);
		if (parse_line(&mp, line, why, sizeof(why)))
			return errmsg(err, errlen, -EINVAL,
				      "manifest line %d: %s", lineno, why);
	}
	return check_whole(&mp, signed_end, err, errlen);
}

int signature_verify(const uint8_t digest[32], const void *sig, size_t siglen,
		     const uint8_t (*keys)[P256_POINT_LEN], int nkeys,
		     char *err, size_t errlen)
{
	const br_ec_impl *ec = br_ec_get_default();
	br_ecdsa_vrfy vrfy = br_ecdsa_vrfy_asn1_get_default();

	if (!nkeys) {
		snprintf(err, errlen, "no update signing keys on this system");
		return -ENOKEY;
	}
	for (int i = 0; i < nkeys; i++) {
		br_ec_public_key pk = {
			.curve = BR_EC_secp256r1,
			.q = (unsigned char *)keys[i],
			.qlen = P256_POINT_LEN,
		};
		if (vrfy(ec, digest, 32, &pk, sig, siglen))
			return 0;
	}
	snprintf(err, errlen,
		 "bad signature: no trusted key (of %d) signed this bundle",
		 nkeys);
	return -EKEYREJECTED;
}

void bundle_digest(const struct bundle_header *h, const uint8_t *signed_part,
		   uint8_t out[32])
{
	uint8_t head[BUNDLE_HEADER_SIZE];
	struct sha256_ctx sha;

	memcpy(head, signed_part, sizeof(head));
	memset(head + 12, 0, 4); /* signed with its own length zeroed */
	sha256_init(&sha);
	if (h->magic >= 2) /* what is signed is a bundle, nothing else */
		sha256_update(&sha, BUNDLE_CONTEXT_LEN,
			      (const uint8_t *)BUNDLE_CONTEXT);
	sha256_update(&sha, sizeof(head), head);
	sha256_update(&sha, h->manifest_len, signed_part + BUNDLE_HEADER_SIZE);
	sha256_digest(&sha, SHA256_DIGEST_SIZE, out);
}

int bundle_verify(const struct bundle_header *h, const uint8_t *signed_part,
		  const uint8_t (*keys)[P256_POINT_LEN], int nkeys, char *err,
		  size_t errlen)
{
	uint8_t digest[SHA256_DIGEST_SIZE];

	bundle_digest(h, signed_part, digest);
	return signature_verify(
		digest, signed_part + BUNDLE_HEADER_SIZE + h->manifest_len,
		h->sig_len, keys, nkeys, err, errlen);
}

/* One dot-separated field of a version, and where the next starts. */
static const char *version_field(const char *s, const char **end)
{
	*end = strchr(s, '.');
	if (!*end)
		*end = s + strlen(s);
	return s;
}

int version_compare(const char *a, const char *b)
{
	while (*a || *b) {
		const char *ea, *eb;
		version_field(a, &ea);
		version_field(b, &eb);
		size_t la = ea - a, lb = eb - b;
		bool na = la && strspn(a, "0123456789") >= la;
		bool nb = lb && strspn(b, "0123456789") >= lb;
		int c;

		if (na && nb) {
			/* numbers as numbers, without overflow: skip zeros */
			while (la > 1 && *a == '0')
				a++, la--;
			while (lb > 1 && *b == '0')
				b++, lb--;
			c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
		} else if (na != nb && la && lb) {
			c = na ? 1 : -1; /* "1.2" is newer than "1.rc1" */
		} else {
			size_t l = la < lb ? la : lb;
			c = memcmp(a, b, l);
			if (!c && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c)
			return c;
		a = *ea ? ea + 1 : ea;
		b = *eb ? eb + 1 : eb;
	}
	return 0;
}

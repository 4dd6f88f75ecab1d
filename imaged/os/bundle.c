// SPDX-License-Identifier: MIT
#include "os/bundle.h"
#include "le.h"

#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const payload_names[PAYLOAD_COUNT] = {
	[PAYLOAD_ROOT] = "root",
	[PAYLOAD_KERNEL] = "kernel",
	[PAYLOAD_INITRAMFS] = "initramfs",
};

const char *payload_name(enum payload_kind k)
{
	return k < PAYLOAD_COUNT ? payload_names[k] : "?";
}

int bundle_header_parse(struct bundle_header *h, const void *buf, size_t len,
			char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (len < BUNDLE_HEADER_SIZE ||
	    memcmp(p, BUNDLE_MAGIC, strlen(BUNDLE_MAGIC))) {
		snprintf(err, errlen, "not a keel update bundle (no %s header)",
			 BUNDLE_MAGIC);
		return -EINVAL;
	}
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

static int parse_payload(struct manifest *m, char *args, unsigned *seen,
			 char *why, size_t whylen)
{
	char *name = strtok(args, " ");
	char *off = strtok(NULL, " ");
	char *size = strtok(NULL, " ");
	char *hash = strtok(NULL, " ");
	int k;

	if (!name || !off || !size || !hash || strtok(NULL, " ")) {
		snprintf(why, whylen,
			 "payload wants: <name> <offset> <size> <sha256>");
		return -EINVAL;
	}
	for (k = 0; k < PAYLOAD_COUNT; k++)
		if (!strcmp(name, payload_names[k]))
			break;
	if (k == PAYLOAD_COUNT) {
		snprintf(why, whylen, "unknown payload '%.32s'", name);
		return -EINVAL;
	}
	if (*seen & (1u << (8 + k))) {
		snprintf(why, whylen, "payload %s given twice", name);
		return -EINVAL;
	}
	struct payload *p = &m->payload[k];
	if (parse_u64(off, &p->offset) || parse_u64(size, &p->size) ||
	    !p->size) {
		snprintf(why, whylen, "payload %s: bad offset or size", name);
		return -EINVAL;
	}
	if (p->offset % 4096) {
		snprintf(why, whylen, "payload %s: offset not 4 KiB aligned",
			 name);
		return -EINVAL;
	}
	if (strlen(hash) != 64 || hex_decode(hash, p->sha256, 32)) {
		snprintf(why, whylen, "payload %s: sha256 is not 64 hex digits",
			 name);
		return -EINVAL;
	}
	*seen |= 1u << (8 + k);
	return 0;
}

enum field { F_FORMAT, F_VERSION, F_BOARD, F_VERITY, F_CMDLINE, F_NFIELDS };
static const char *const field_names[F_NFIELDS] = {
	"format", "version", "board", "verity", "cmdline",
};

static int parse_line(struct manifest *m, char *line, unsigned *seen, char *why,
		      size_t whylen)
{
	char *val = strchr(line, ' ');
	int f;

	if (!val) {
		snprintf(why, whylen, "'%.32s' has no value", line);
		return -EINVAL;
	}
	*val++ = '\0';
	if (!strcmp(line, "payload"))
		return parse_payload(m, val, seen, why, whylen);
	for (f = 0; f < F_NFIELDS; f++)
		if (!strcmp(line, field_names[f]))
			break;
	if (f == F_NFIELDS) {
		snprintf(why, whylen, "unknown field '%.32s'", line);
		return -EINVAL;
	}
	if (*seen & (1u << f)) {
		snprintf(why, whylen, "%s given twice", line);
		return -EINVAL;
	}
	*seen |= 1u << f;

	int r = 0;
	uint64_t fmt;
	switch (f) {
	case F_FORMAT:
		if (parse_u64(val, &fmt) || fmt != BUNDLE_FORMAT) {
			snprintf(why, whylen,
				 "format %.20s is not %d (a newer bundle needs "
				 "a newer keel to install it)",
				 val, BUNDLE_FORMAT);
			return -EINVAL;
		}
		break;
	case F_VERSION:
		r = copy_word(m->version, sizeof(m->version), val);
		break;
	case F_BOARD:
		r = copy_word(m->board, sizeof(m->board), val);
		break;
	case F_VERITY:
		if (strlen(val) >= sizeof(m->verity) || !verity_ok(val))
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
	}
	if (r)
		snprintf(why, whylen, "bad %s '%.40s'", field_names[f], val);
	return r;
}

int manifest_parse(struct manifest *m, const char *text, size_t len,
		   uint64_t signed_end, char *err, size_t errlen)
{
	char buf[BUNDLE_MANIFEST_MAX + 1], why[128];
	unsigned seen = 0;
	int lineno = 0;

	memset(m, 0, sizeof(*m));
	if (len > BUNDLE_MANIFEST_MAX) {
		snprintf(err, errlen, "manifest: longer than %d bytes",
			 BUNDLE_MANIFEST_MAX);
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len || !len || buf[len - 1] != '\n') {
		snprintf(err, errlen, "manifest: not text ending in a newline");
		return -EINVAL;
	}
	for (char *line = buf, *next; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		lineno++;
		for (char *c = line; *c; c++) {
			if (!isprint((unsigned char)*c)) {
				snprintf(err, errlen,
					 "manifest line %d: control character",
					 lineno);
				return -EINVAL;
			}
		}
		if (parse_line(m, line, &seen, why, sizeof(why))) {
			snprintf(err, errlen, "manifest line %d: %s", lineno,
				 why);
			return -EINVAL;
		}
	}
	/* cmdline is optional; everything else must be there */
	for (int f = 0; f < F_NFIELDS; f++) {
		if (f != F_CMDLINE && !(seen & (1u << f))) {
			snprintf(err, errlen, "manifest: no %s",
				 field_names[f]);
			return -EINVAL;
		}
	}
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		if (!(seen & (1u << (8 + k)))) {
			snprintf(err, errlen, "manifest: no %s payload",
				 payload_names[k]);
			return -EINVAL;
		}
	}
	/* payloads after the signed part, none overlapping another */
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *p = &m->payload[k];
		if (p->offset < signed_end ||
		    p->size > UINT64_MAX - p->offset) {
			snprintf(err, errlen,
				 "manifest: payload %s out of place",
				 payload_names[k]);
			return -EINVAL;
		}
		for (int j = 0; j < k; j++) {
			const struct payload *q = &m->payload[j];
			if (p->offset < q->offset + q->size &&
			    q->offset < p->offset + p->size) {
				snprintf(err, errlen,
					 "manifest: payloads %s and %s overlap",
					 payload_names[j], payload_names[k]);
				return -EINVAL;
			}
		}
	}
	return 0;
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

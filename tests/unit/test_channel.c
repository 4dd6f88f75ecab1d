// SPDX-License-Identifier: MIT
/*
 * The update channel document (formats 1 and 2), the checks that decide
 * whether a host believes one (context, expiry, serial), RFC 3339 times
 * and the rollout waves; and that a channel's signature and a bundle's
 * (the same keys sign both) are never taken for each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "os/channel.h"

#include <bearssl.h>

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

static int parse(struct channel *ch, const char *json, char *err)
{
	return channel_parse(ch, json, strlen(json), "qemu-x86_64", err, 256);
}

static void expect_bad(const char *json, const char *why)
{
	struct channel ch;
	char err[256] = "";

	if (parse(&ch, json, err) != -EINVAL || !strstr(err, why))
		fail_msg("%s: '%s', wanted '%s'", json, err, why);
	/* nothing of a refused document is kept */
	assert_int_equal(ch.format, 0);
	assert_false(ch.os);
}

static void test_format1(void **state)
{
	struct channel ch;
	char err[256];

	(void)state;
	assert_int_equal(
		parse(&ch,
		      "{\"format\": 1, \"serial\": 42, \"boards\": {"
		      "\"rpi4\": {\"version\": \"9\", \"url\": \"http://x/r\", "
		      "\"rollout\": 5},"
		      "\"qemu-x86_64\": {\"version\": \"0.2.0\", \"url\": "
		      "\"http://10.0.2.2:8000/keel.keelb\", \"rollout\": 25}}}",
		      err),
		0);
	assert_int_equal(ch.format, 1);
	assert_true(ch.os);
	assert_string_equal(ch.version, "0.2.0");
	assert_string_equal(ch.url, "http://10.0.2.2:8000/keel.keelb");
	assert_int_equal(ch.rollout, 25);
	assert_int_equal(ch.serial, 42);
	/* format 1 binds nothing and never expires */
	assert_false(ch.bound);
	assert_string_equal(ch.expires, "");
	assert_string_equal(ch.min_version, "");

	/* no entry for this board: the document still counts (its serial) */
	assert_int_equal(parse(&ch,
			       "{\"format\": 1, \"serial\": 3, \"boards\": "
			       "{\"rpi4\": {}}}",
			       err),
			 0);
	assert_false(ch.os);
	assert_int_equal(ch.serial, 3);

	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": ",
		  "not a JSON object" },
		{ "{\"format\": 3, \"boards\": {}}", "format is not 1 or 2" },
		{ "{\"format\": \"1\", \"boards\": {}}", "format is not 1" },
		{ "{\"format\": 1, \"serial\": 1}", "no \"boards\"" },
		{ "{\"format\": 1, \"boards\": {}}", "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": -1, \"boards\": {}}",
		  "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": 1.5, \"boards\": {}}",
		  "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": 1e300, \"boards\": {}}",
		  "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"url\": "
		  "\"http://x\", \"rollout\": 1}}}",
		  "needs \"version\"" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1 2\", \"url\": \"http://x\", \"rollout\": 1}}}",
		  "needs \"version\"" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": 101}}}",
		  "whole percentage" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": 2.5}}}",
		  "whole percentage" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": \"50\"}}}",
		  "whole percentage" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_bad(bad[i].json, bad[i].why);
}

/* A good format 2 document, with one field of the entry replaced. */
static void v2(char *out, size_t len, const char *top, const char *entry)
{
	snprintf(out, len,
		 "{\"format\": 2, \"serial\": 8, %s"
		 "\"boards\": {\"qemu-x86_64\": {%s}}}",
		 top ? top
		     : "\"expires\": \"2027-01-31T00:00:00Z\", "
		       "\"min_version\": \"0.2.0\", ",
		 entry ? entry
		       : "\"version\": \"0.3.0\", \"url\": "
			 "\"https://cdn.example/keel.keelb\", \"size\": "
			 "17756160, \"sha256\": \"" D1 "\", "
			 "\"manifest_sha256\": \"" D2 "\", \"rollout\": 25");
}

static void test_format2(void **state)
{
	struct channel ch;
	char doc[2048], err[256];

	(void)state;
	v2(doc, sizeof(doc),
	   "\"expires\": \"2027-01-31T00:00:00Z\", \"min_version\": \"0.2.0\", "
	   "\"workloads\": {\"revision\": 12, \"rollout\": 100, \"url\": "
	   "\"https://cdn.example/fleet-12.yaml\", \"sha256\": \"" D3 "\"}, "
	   "\"a-later-field\": [1, 2], ",
	   NULL);
	assert_int_equal(parse(&ch, doc, err), 0);
	assert_int_equal(ch.format, 2);
	assert_int_equal(ch.serial, 8);
	assert_string_equal(ch.expires, "2027-01-31T00:00:00Z");
	assert_int_equal(ch.expires_at, 1801353600);
	assert_string_equal(ch.min_version, "0.2.0");
	assert_true(ch.os);
	assert_string_equal(ch.version, "0.3.0");
	assert_string_equal(ch.url, "https://cdn.example/keel.keelb");
	assert_int_equal(ch.rollout, 25);
	assert_true(ch.bound);
	assert_int_equal(ch.size, 17756160);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(ch.sha256[i], 0x11);
		assert_int_equal(ch.manifest_sha256[i], 0x22);
	}
	/* the workloads entry is kept (and not acted on) */
	assert_true(ch.workloads.given);
	assert_int_equal(ch.workloads.revision, 12);
	assert_int_equal(ch.workloads.rollout, 100);
	assert_string_equal(ch.workloads.url,
			    "https://cdn.example/fleet-12.yaml");
	assert_int_equal(ch.workloads.sha256[31], 0x33);

	/* no floor, no workloads, a file:/// bundle: fine */
	v2(doc, sizeof(doc), "\"expires\": \"2027-01-31T00:00:00.5Z\", ",
	   "\"version\": \"1\", \"url\": \"file:///mnt/usb/k.keelb\", "
	   "\"size\": 1, \"sha256\": \"" D1 "\", \"manifest_sha256\": \"" D2
	   "\", \"rollout\": 0");
	assert_int_equal(parse(&ch, doc, err), 0);
	assert_string_equal(ch.min_version, "");
	assert_false(ch.workloads.given);
	assert_string_equal(ch.url, "file:///mnt/usb/k.keelb");

	/* no entry for this board: the floor and expiry still count */
	assert_int_equal(parse(&ch,
			       "{\"format\": 2, \"serial\": 9, \"expires\": "
			       "\"2027-01-31T00:00:00Z\", \"min_version\": "
			       "\"0.4\", \"boards\": {}}",
			       err),
			 0);
	assert_false(ch.os);
	assert_string_equal(ch.min_version, "0.4");
}

#define ENTRY(size, sha, msha, url)                                     \
	"\"version\": \"0.3.0\", \"url\": \"" url "\", \"size\": " size \
	", \"sha256\": \"" sha "\", \"manifest_sha256\": \"" msha       \
	"\", \"rollout\": 25"

static void test_format2_bad(void **state)
{
	char doc[2048];

	(void)state;
	static const struct {
		const char *top, *entry, *why;
	} bad[] = {
		/* the binding */
		{ NULL,
		  "\"version\": \"1\", \"url\": \"http://x\", \"rollout\": 1",
		  "\"size\"" },
		{ NULL, ENTRY("0", D1, D2, "http://x"), "\"size\" is not" },
		{ NULL, ENTRY("-5", D1, D2, "http://x"), "\"size\" is not" },
		{ NULL, ENTRY("1.5", D1, D2, "http://x"), "\"size\" is not" },
		{ NULL, ENTRY("\"12\"", D1, D2, "http://x"),
		  "\"size\" is not" },
		{ NULL, ENTRY("12", "abc", D2, "http://x"),
		  "\"sha256\" is not" },
		{ NULL, ENTRY("12", D1 "0", D2, "http://x"),
		  "\"sha256\" is not" },
		{ NULL,
		  ENTRY("12",
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			"AAAAAAAAAA",
			D2, "http://x"),
		  "\"sha256\" is not" },
		{ NULL,
		  ENTRY("12", D1,
			"zz2222222222222222222222222222222222222222222222222222"
			"2222222222",
			"http://x"),
		  "\"manifest_sha256\" is not" },
		{ NULL,
		  "\"version\": \"1\", \"url\": \"http://x\", \"size\": 1, "
		  "\"sha256\": \"" D1 "\", \"rollout\": 1",
		  "\"manifest_sha256\" is not" },
		{ NULL, ENTRY("12", D1, D2, "ftp://x/k"), "\"url\" is not" },
		{ NULL, ENTRY("12", D1, D2, "/mnt/usb/k"), "\"url\" is not" },
		{ NULL, ENTRY("12", D1, D2, "file://host/k"),
		  "\"url\" is not" },
		/* the document's own fields */
		{ "", NULL, "\"expires\" is not" },
		{ "\"expires\": 1801353600, ", NULL, "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31\", ", NULL, "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00\", ", NULL,
		  "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00+01:00\", ", NULL,
		  "\"expires\" is not" },
		{ "\"expires\": \"2027-02-29T00:00:00Z\", ", NULL,
		  "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31T24:00:00Z\", ", NULL,
		  "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00.Z\", ", NULL,
		  "\"expires\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"min_version\": "
		  "\"0 2\", ",
		  NULL, "\"min_version\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"min_version\": 2, ",
		  NULL, "\"min_version\" is not" },
		/* the workloads entry: checked even though not used yet */
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"workloads\": "
		  "{\"revision\": 0, \"rollout\": 1, \"url\": \"http://x\", "
		  "\"sha256\": \"" D3 "\"}, ",
		  NULL, "\"revision\"" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"workloads\": "
		  "{\"revision\": 1, \"rollout\": 101, \"url\": \"http://x\", "
		  "\"sha256\": \"" D3 "\"}, ",
		  NULL, "\"rollout\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"workloads\": "
		  "{\"revision\": 1, \"rollout\": 1, \"url\": \"x\", "
		  "\"sha256\": \"" D3 "\"}, ",
		  NULL, "\"url\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"workloads\": "
		  "{\"revision\": 1, \"rollout\": 1, \"url\": \"http://x\"}, ",
		  NULL, "\"sha256\" is not" },
		{ "\"expires\": \"2027-01-31T00:00:00Z\", \"workloads\": 12, ",
		  NULL, "\"workloads\" needs" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		v2(doc, sizeof(doc), bad[i].top, bad[i].entry);
		expect_bad(doc, bad[i].why);
	}
}

static void test_check(void **state)
{
	struct channel ch;
	char doc[2048], err[256];

	(void)state;
	v2(doc, sizeof(doc), NULL, NULL);
	assert_int_equal(parse(&ch, doc, err), 0);
	/* before its expires, serial as new or newer than seen: believed */
	assert_int_equal(channel_check(&ch, false, 0, 1801353599, err, 256), 0);
	assert_int_equal(channel_check(&ch, false, 8, 1700000000, err, 256), 0);
	/* expired: the message names its expires */
	assert_int_equal(channel_check(&ch, false, 0, 1801353600, err, 256),
			 -EKEYEXPIRED);
	assert_non_null(strstr(err, "expired at 2027-01-31T00:00:00Z"));
	assert_non_null(strstr(err, "it is 2027-01-31T00:00:00Z here"));
	/* replayed: an older serial than one believed before */
	assert_int_equal(channel_check(&ch, false, 9, 1700000000, err, 256),
			 -ESTALE);
	assert_non_null(strstr(err, "serial 8 is older than 9"));
	/* format 2 signed without the channel's context: not believed */
	assert_int_equal(channel_check(&ch, true, 0, 1700000000, err, 256),
			 -EKEYREJECTED);
	assert_non_null(strstr(err, "context"));

	/* format 1: signed either way, never expires; serials still count */
	assert_int_equal(parse(&ch,
			       "{\"format\": 1, \"serial\": 5, \"boards\": {}}",
			       err),
			 0);
	assert_int_equal(channel_check(&ch, true, 5, 4102444800, err, 256), 0);
	assert_int_equal(channel_check(&ch, false, 0, 0, err, 256), 0);
	assert_int_equal(channel_check(&ch, true, 6, 0, err, 256), -ESTALE);
}

static void test_digest(void **state)
{
	static const char doc[] = "{\"format\": 2}";
	uint8_t d[32];
	char hex[65];

	(void)state;
	/* SHA-256("keel-channel" NUL document): python3 hashlib */
	channel_digest(doc, strlen(doc), true, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "f720257eb57dc31a2f9be70176a971da815e8d7917162"
				 "32adf44775de1c1a252");
	channel_digest(doc, strlen(doc), false, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "3da2733d93b954410943bedaf626703e669009c4ebd54"
				 "fdc8934d383e21046c7");
}

/*
 * A signing key of the tests' own (BearSSL signs deterministically, RFC
 * 6979), its public point the one trusted key.
 */
static const uint8_t sk_x[32] = "keel issue 20: what is signed..";
static uint8_t trusted[1][P256_POINT_LEN];

static const br_ec_private_key *test_key(void)
{
	static const br_ec_private_key sk = { BR_EC_secp256r1,
					      (unsigned char *)sk_x, 32 };
	uint8_t buf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key pk;

	assert_int_equal(br_ec_compute_pub(br_ec_get_default(), &pk, buf, &sk),
			 P256_POINT_LEN);
	memcpy(trusted[0], pk.q, P256_POINT_LEN);
	return &sk;
}

static size_t sign(const uint8_t digest[32], uint8_t *sig)
{
	size_t n = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(),
						    &br_sha256_vtable, digest,
						    test_key(), sig);

	assert_true(n > 0 && n <= BUNDLE_SIG_MAX);
	return n;
}

static const uint8_t (*keys(void))[P256_POINT_LEN]
{
	return (const uint8_t(*)[P256_POINT_LEN])trusted;
}

/*
 * A bundle's signed part as scripts/mkbundle lays it out: header (magic,
 * manifest length, signature length), manifest, signature. Its length.
 */
static size_t make_bundle(uint8_t *b, const char *magic, const char *manifest,
			  struct bundle_header *h)
{
	size_t mlen = strlen(manifest);
	uint8_t digest[32];
	char err[200];

	memcpy(b, magic, BUNDLE_MAGIC_LEN);
	put_le32(b + 8, mlen);
	put_le32(b + 12, 0);
	memcpy(b + BUNDLE_HEADER_SIZE, manifest, mlen);
	*h = (struct bundle_header){ .magic = magic[7] - '0',
				     .manifest_len = mlen };
	bundle_digest(h, b, digest);
	size_t slen = sign(digest, b + BUNDLE_HEADER_SIZE + mlen);
	put_le32(b + 12, slen);
	assert_int_equal(
		bundle_header_parse(h, b, BUNDLE_HEADER_SIZE, err, sizeof(err)),
		0);
	assert_int_equal(h->magic, magic[7] - '0');
	assert_int_equal(bundle_verify(h, b, keys(), 1, err, sizeof(err)), 0);
	return BUNDLE_HEADER_SIZE + mlen + slen;
}

#define MANIFEST              \
	"format 2\n"          \
	"version 0.2.0\n"     \
	"board qemu-x86_64\n" \
	"verity " D1 ":359\n" \
	"payload verity 4096 12288 verity\n"

/*
 * A bundle's signature handed to the channel check, over every text it
 * could be said to sign: the bytes the signature covers (the context,
 * the header with its signature length zeroed, the manifest), the same
 * without the context, the header and manifest as they lie in the file.
 * KEELBDL1 and KEELBDL2 alike: before issue 20 a KEELBDL1 bundle's
 * signature verified as a bare (format 1) channel signature over its
 * header and manifest, and a bare signature over a bundle's header and
 * manifest (`mkbundle --sign` makes one of anything) is still a KEELBDL1
 * bundle's: it must never be a channel's.
 */
static void test_bundle_signature_is_no_channels(void **state)
{
	static const char *const magics[] = { BUNDLE_MAGIC, BUNDLE_MAGIC_1 };
	uint8_t b[BUNDLE_HEADER_SIZE + BUNDLE_MANIFEST_MAX + BUNDLE_SIG_MAX];
	char doc[sizeof(b) + BUNDLE_CONTEXT_LEN], err[200];
	struct bundle_header h;
	bool bare;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		size_t len = make_bundle(b, magics[i], MANIFEST, &h);
		size_t signed_len = BUNDLE_HEADER_SIZE + h.manifest_len;
		const uint8_t *sig = b + signed_len;
		size_t slen = len - signed_len;

		/* what the signature covers, with and without the context */
		for (int context = 1; context >= 0; context--) {
			size_t n = 0;
			if (context) {
				memcpy(doc, BUNDLE_CONTEXT, BUNDLE_CONTEXT_LEN);
				n = BUNDLE_CONTEXT_LEN;
			}
			memcpy(doc + n, b, signed_len);
			memset(doc + n + 12, 0, 4);
			n += signed_len;
			err[0] = '\0';
			if (channel_verify(doc, n, sig, slen, keys(), 1, &bare,
					   err, sizeof(err)) != -EKEYREJECTED)
				fail_msg("%s, context %d: a bundle's signature "
					 "taken for a channel's (bare %d)",
					 magics[i], context, bare);
			assert_non_null(strstr(err, "bad signature"));
		}
		/* the header and manifest as they are in the file */
		assert_int_equal(channel_verify((const char *)b, signed_len,
						sig, slen, keys(), 1, &bare,
						err, sizeof(err)),
				 -EKEYREJECTED);
	}
}

/*
 * A channel's signature (scripts/mkchannel's, with the context; a format
 * 1 document's, bare, as `mkbundle --sign` makes it) after a bundle's
 * header and manifest: whatever the manifest, never a bundle's. The
 * manifest tried here is the channel document itself, with and without
 * the channel's context, the only bytes the signature is over.
 */
static void test_channel_signature_is_no_bundles(void **state)
{
	static const char *const magics[] = { BUNDLE_MAGIC, BUNDLE_MAGIC_1 };
	static const char *const docs[] = {
		"{\"format\": 2, \"serial\": 8, "
		"\"expires\": \"2027-01-31T00:00:00Z\", \"boards\": {}}\n",
		" \n{\"format\": 1, \"serial\": 5, \"boards\": {}}\n",
	};
	uint8_t b[BUNDLE_HEADER_SIZE + BUNDLE_MANIFEST_MAX + BUNDLE_SIG_MAX];
	uint8_t digest[32], sig[BUNDLE_SIG_MAX];
	char text[1024], err[200];
	struct bundle_header h;
	bool bare;

	(void)state;
	for (int context = 1; context >= 0; context--) {
		const char *doc = docs[!context];
		channel_digest(doc, strlen(doc), context, digest);
		size_t slen = sign(digest, sig);
		assert_int_equal(channel_verify(doc, strlen(doc), sig, slen,
						keys(), 1, &bare, err,
						sizeof(err)),
				 0);
		assert_int_equal(bare, !context);
		for (int with = 0; with < 2; with++) {
			/* "keel-channel" NUL and the document, or it alone */
			size_t n = 0;
			if (with) {
				memcpy(text, CHANNEL_CONTEXT,
				       CHANNEL_CONTEXT_LEN);
				n = CHANNEL_CONTEXT_LEN;
			}
			memcpy(text + n, doc, strlen(doc) + 1);
			n += strlen(doc);
			for (size_t i = 0; i < 2; i++) {
				memcpy(b, magics[i], BUNDLE_MAGIC_LEN);
				put_le32(b + 8, n);
				put_le32(b + 12, slen);
				memcpy(b + BUNDLE_HEADER_SIZE, text, n);
				memcpy(b + BUNDLE_HEADER_SIZE + n, sig, slen);
				assert_int_equal(
					bundle_header_parse(&h, b,
							    BUNDLE_HEADER_SIZE,
							    err, sizeof(err)),
					0);
				if (bundle_verify(&h, b, keys(), 1, err,
						  sizeof(err)) != -EKEYREJECTED)
					fail_msg("%s: a channel's signature "
						 "(context %d) taken for a "
						 "bundle's",
						 magics[i], context);
			}
		}
	}
}

/*
 * The magic is signed, and with it whether the context is: a bundle
 * relabelled KEELBDL2 to KEELBDL1 (to be checked without the context) or
 * back is refused.
 */
static void test_bundle_relabelled(void **state)
{
	static const char *const from[] = { BUNDLE_MAGIC, BUNDLE_MAGIC_1 };
	uint8_t b[BUNDLE_HEADER_SIZE + BUNDLE_MANIFEST_MAX + BUNDLE_SIG_MAX];
	struct bundle_header h;
	char err[200];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		make_bundle(b, from[i], MANIFEST, &h);
		memcpy(b, from[!i], BUNDLE_MAGIC_LEN);
		assert_int_equal(bundle_header_parse(&h, b, BUNDLE_HEADER_SIZE,
						     err, sizeof(err)),
				 0);
		assert_int_equal(
			bundle_verify(&h, b, keys(), 1, err, sizeof(err)),
			-EKEYREJECTED);
	}
}

static void test_rfc3339(void **state)
{
	static const struct {
		const char *s;
		long long t;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-02-29T12:34:56Z", 951827696 },
		{ "2024-12-31T23:59:59z", 1735689599 },
		{ "2027-01-31t00:00:00.123456Z", 1801353600 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "2016-12-31T23:59:60Z", 1483228800 }, /* a leap second */
	};
	static const char *const bad[] = {
		"",
		"1969-12-31T23:59:59Z",
		"2027-00-10T00:00:00Z",
		"2027-04-31T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2027-01-31T00:60:00Z",
		"2027-01-31T00:00:61Z",
		"2027-01-31T00:00:00ZZ",
		"2027-01-31T00:00:00Z ",
		" 2027-01-31T00:00:00Z",
		"2027-1-31T00:00:00Z",
		"+027-01-31T00:00:00Z",
		"2027-01-31T00:00:00-00:00",
	};
	char out[RFC3339_MAX];
	long long t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		t = -1;
		if (rfc3339_parse(good[i].s, &t) || t != good[i].t)
			fail_msg("%s: %lld, wanted %lld", good[i].s, t,
				 good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!rfc3339_parse(bad[i], &t))
			fail_msg("%s: parsed", bad[i]);
	rfc3339_format(1801353600, out);
	assert_string_equal(out, "2027-01-31T00:00:00Z");
	assert_int_equal(rfc3339_parse(out, &t), 0);
	assert_int_equal(t, 1801353600);
}

static void test_rollout(void **state)
{
	char id[40];
	int hist[10] = { 0 };

	(void)state;
	/* stable for a host and version, spread over hosts */
	assert_int_equal(rollout_slot("abc", "1.0"),
			 rollout_slot("abc", "1.0"));
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%032x", i * 2654435761u);
		int s = rollout_slot(id, "0.2.0");
		assert_true(s >= 0 && s < 100);
		hist[s / 10]++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(hist[i], 60, 140);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format1),
		cmocka_unit_test(test_format2),
		cmocka_unit_test(test_format2_bad),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_bundle_signature_is_no_channels),
		cmocka_unit_test(test_channel_signature_is_no_bundles),
		cmocka_unit_test(test_bundle_relabelled),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_rollout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

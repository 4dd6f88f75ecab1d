// SPDX-License-Identifier: MIT
/*
 * Update bundles: the header (KEELBDL2 and the old KEELBDL1), what the
 * signature covers, the manifest, the signature check against
 * keys made and a signature made by the build host's openssl, and
 * version ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os/bundle.h"

static const uint8_t key_good[65] =
	"\x04\xcb\x48\x00\xea\x89\x24\x21\xc2\x0f\xb5\x2d\x22\xca\xc9\xed"
	"\x1f\x23\xa3\x24\x36\x18\x63\x95\x68\xde\xfe\xbb\xc4\xbe\xb4\xf5"
	"\xe6\xad\xf3\x64\xeb\x74\xbd\xda\x29\x25\x75\x51\xff\x5e\xe6\xea"
	"\xbb\x50\x62\x2b\x94\x6d\x3c\x38\xad\x6f\xb9\x36\x38\x5d\x03\x1b"
	"\x3d";
static const uint8_t key_other[65] =
	"\x04\x06\x56\x11\x1c\x42\xfb\x62\x16\x01\xa9\x0f\x31\x9e\x2b\xbc"
	"\x7a\xfa\xcd\xce\x75\xd0\xd9\x7b\x8c\x84\x12\xa8\x39\x94\x6b\x26"
	"\x4b\xb9\x51\xdb\xd3\x5c\x86\xb2\xf9\x5c\x30\x57\x3b\xc0\x34\xaf"
	"\x0d\x83\x2a\xac\x0d\xc2\xea\x96\x7a\x0e\x0a\x5d\x7f\xe6\xc3\x91"
	"\x88";
static const uint8_t sig[] =
	"\x30\x45\x02\x21\x00\xf2\xe0\xfb\x27\xfd\x2f\x0e\xcf\x94\x44\xe8"
	"\x10\x19\xf1\xd2\x54\x1a\xe7\x0f\x1c\x37\x92\x5e\x24\xfa\xc8\x51"
	"\x46\xce\xff\xda\xe7\x02\x20\x7f\x37\x34\xaf\x8e\xe0\xe7\xdf\x53"
	"\x86\x19\x1b\x40\x9f\xf7\xc5\x85\x97\x6a\x8b\x07\xab\xf5\xfa\x3f"
	"\xf5\x96\x04\x38\x86\xd5\xc9";
/* sha256("keel test vector") */
static const uint8_t digest[32] =
	"\xa5\x28\xfa\x44\xbc\x6b\x56\x54\x52\x25\x66\xaf\xcd\x2a\xc7\xff"
	"\x04\x07\xe0\xe8\xa3\x0a\x3f\xf9\xd1\xd9\x2c\x12\x84\x59\x1c\xe1";

#define H64 "5765a86680eb95e71c61db775aa7ed0de2bf9821884121f8f817e6f3dfab856c"
#define GOOD                                       \
	"format 1\n"                               \
	"version 2.0.0\n"                          \
	"board qemu-x86_64\n"                      \
	"verity " H64 ":359\n"                     \
	"cmdline quiet\n"                          \
	"payload root 20480 1486848 " H64 "\n"     \
	"payload kernel 1507328 7000000 " H64 "\n" \
	"payload initramfs 8507392 900000 " H64 "\n"

static void test_header(void **state)
{
	struct bundle_header h;
	char err[128];
	uint8_t b[16] = "KEELBDL2";

	(void)state;
	b[8] = 0x10; /* manifest 16 bytes */
	b[12] = 70; /* signature 70 bytes */
	assert_int_equal(
		bundle_header_parse(&h, b, sizeof(b), err, sizeof(err)), 0);
	assert_int_equal(h.magic, 2);
	assert_int_equal(h.manifest_len, 16);
	assert_int_equal(h.sig_len, 70);
	/* the old magic is still read; none other */
	b[7] = '1';
	assert_int_equal(
		bundle_header_parse(&h, b, sizeof(b), err, sizeof(err)), 0);
	assert_int_equal(h.magic, 1);
	b[7] = '3';
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a keel update bundle"));
	b[7] = '2';

	assert_int_equal(bundle_header_parse(&h, b, 15, err, sizeof(err)),
			 -EINVAL);
	b[0] = 'X';
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a keel update bundle"));
	b[0] = 'K';
	b[10] = 1; /* 64 KiB + 16: too long */
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "manifest length"));
	b[10] = 0;
	b[12] = 0;
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "signature length"));
}

/*
 * What a bundle's signature covers, as scripts/mkbundle hashes it
 * (python3 hashlib): KEELBDL2 behind "keel-bundle" NUL, KEELBDL1 bare;
 * the signature length zeroed either way.
 */
static void test_digest(void **state)
{
	static const char manifest[] = "format 2\nversion 0.2.0\n";
	uint8_t b[16 + sizeof(manifest) + 72] = "KEELBDL2";
	struct bundle_header h;
	uint8_t d[32];
	char hex[65], err[128];

	(void)state;
	b[8] = sizeof(manifest) - 1;
	b[12] = 72;
	memcpy(b + 16, manifest, sizeof(manifest) - 1);
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)), 0);
	bundle_digest(&h, b, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "485ebe2fdf135d9bb6d08edde80919fd5b425862e2e7c"
				 "cc8443d6a183421c0f7");
	b[7] = '1';
	assert_int_equal(bundle_header_parse(&h, b, 16, err, sizeof(err)), 0);
	bundle_digest(&h, b, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "66427757c398467ed7eb6bdd8fd797632376357d9bd63"
				 "27125e84bf1458e2054");
}

static void test_manifest_good(void **state)
{
	struct manifest m;
	char err[128];

	(void)state;
	assert_int_equal(
		manifest_parse(&m, GOOD, strlen(GOOD), 4096, err, sizeof(err)),
		0);
	assert_string_equal(m.version, "2.0.0");
	assert_string_equal(m.board, "qemu-x86_64");
	assert_string_equal(m.verity, H64 ":359");
	assert_string_equal(m.cmdline, "quiet");
	assert_int_equal(m.payload[PAYLOAD_ROOT].offset, 20480);
	assert_int_equal(m.payload[PAYLOAD_ROOT].size, 1486848);
	assert_int_equal(m.payload[PAYLOAD_INITRAMFS].offset, 8507392);
	assert_int_equal(m.payload[PAYLOAD_KERNEL].sha256[0], 0x57);
	assert_int_equal(m.payload[PAYLOAD_KERNEL].sha256[31], 0x6c);
}

/* Each: the good manifest with one line replaced, and the error. */
static void test_manifest_bad(void **state)
{
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
		{ "format 1\n", "format 3\n", "newer keel" },
		{ "format 1\n", "format 0\n", "newer keel" },
		{ "format 1\n", "", "no format" },
		{ "version 2.0.0\n", "", "no version" },
		{ "version 2.0.0\n", "version 2.0 beta\n", "bad version" },
		{ "board qemu-x86_64\n", "board\n", "has no value" },
		{ "cmdline quiet\n", "cmdline a\"b\n", "bad cmdline" },
		{ "cmdline quiet\n", "cmdline $x\n", "bad cmdline" },
		{ "cmdline quiet\n", "size 12\n", "unknown field 'size'" },
		{ "cmdline quiet\n", "version 3\n", "version given twice" },
		{ "verity " H64 ":359\n", "verity " H64 "\n", "bad verity" },
		{ "verity " H64 ":359\n", "verity " H64 ":0\n", "bad verity" },
		/* zeros parse as a number but overflow the field */
		{ "verity " H64 ":359\n",
		  "verity " H64 ":000000000000000000000000000000000000001\n",
		  "bad verity" },
		{ "payload root 20480", "payload root 20481",
		  "not 4 KiB aligned" },
		{ "payload root 20480", "payload root 0", "out of place" },
		{ "payload root 20480 1486848", "payload root 20480 0",
		  "bad offset or size" },
		{ "payload root 20480 1486848", "payload root 20480 -1",
		  "bad offset or size" },
		{ "payload root 20480 1486848", "payload root 1507328 1486848",
		  "overlap" },
		{ "payload kernel", "payload boot", "unknown payload 'boot'" },
		{ "payload kernel", "payload root",
		  "payload root given twice" },
		{ "payload initramfs 8507392 900000 " H64 "\n", "",
		  "no initramfs payload" },
		{ "payload initramfs 8507392 900000 " H64,
		  "payload initramfs 8507392 900000 " H64 "0", "sha256" },
		{ "payload initramfs 8507392 900000 " H64,
		  "payload initramfs 8507392 900000", "payload wants" },
		{ "quiet\n", "quiet\x01\n", "control character" },
		{ "cmdline quiet\n", "store x.castr\n", "are format 2" },
		{ "payload kernel 1507328 7000000 " H64,
		  "chunked kernel 1507328 9 " H64 " 7000000 " H64,
		  "are format 2" },
		{ "payload root 20480 1486848 " H64,
		  "payload root 20480 1486848 verity", "sha256" },
	};
	char text[2048], err[160];
	struct manifest m;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *at = strstr(GOOD, cases[i].from);
		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - GOOD), GOOD,
			 cases[i].to, at + strlen(cases[i].from));
		err[0] = '\0';
		int r = manifest_parse(&m, text, strlen(text), 4096, err,
				       sizeof(err));
		if (r != -EINVAL || !strstr(err, cases[i].why))
			fail_msg("case %zu: r=%d err='%s', wanted '%s'", i, r,
				 err, cases[i].why);
	}
	/* not text, or no final newline */
	assert_int_equal(manifest_parse(&m, GOOD, strlen(GOOD) - 1, 4096, err,
					sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		manifest_parse(&m, "format 1\0\n", 10, 4096, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(manifest_parse(&m, "", 0, 4096, err, sizeof(err)),
			 -EINVAL);
	/* the payloads must lie after the signed part */
	assert_int_equal(
		manifest_parse(&m, GOOD, strlen(GOOD), 20481, err, sizeof(err)),
		-EINVAL);
}

/* Format 2: the tree ahead of the root, which is its data blocks. */
#define GOOD2                                      \
	"format 2\n"                               \
	"version 2.0.0\n"                          \
	"board qemu-x86_64\n"                      \
	"verity " H64 ":359\n"                     \
	"payload verity 20480 16384 verity\n"      \
	"payload root 36864 1470464 verity\n"      \
	"payload kernel 1507328 7000000 " H64 "\n" \
	"payload initramfs 8507392 900000 " H64 "\n"

/* A delta bundle: indexes instead of payloads, chunks from a store. */
#define DELTA                                                  \
	"format 2\n"                                           \
	"version 2.0.0\n"                                      \
	"board qemu-x86_64\n"                                  \
	"verity " H64 ":359\n"                                 \
	"store keel-2.0.0.castr\n"                             \
	"full keel-2.0.0.keelb\n"                              \
	"payload verity 20480 16384 verity\n"                  \
	"chunked root 36864 4000 " H64 " 1470464 verity\n"     \
	"chunked kernel 40960 30000 " H64 " 7000000 " H64 "\n" \
	"chunked initramfs 73728 2000 " H64 " 900000 " H64 "\n"

static void test_manifest_format2(void **state)
{
	struct manifest m;
	char err[160];

	(void)state;
	assert_int_equal(manifest_parse(&m, GOOD2, strlen(GOOD2), 4096, err,
					sizeof(err)),
			 0);
	assert_int_equal(m.format, 2);
	assert_true(m.payload[PAYLOAD_ROOT].by_verity);
	assert_true(m.payload[PAYLOAD_VERITY].present);
	assert_false(m.payload[PAYLOAD_KERNEL].by_verity);
	assert_int_equal(m.data_blocks, 359);
	assert_int_equal(m.root_hash[0], 0x57);
	assert_false(manifest_is_delta(&m));
	assert_int_equal(manifest_parse(&m, DELTA, strlen(DELTA), 4096, err,
					sizeof(err)),
			 0);
	assert_true(manifest_is_delta(&m));
	assert_string_equal(m.store, "keel-2.0.0.castr");
	assert_string_equal(m.full, "keel-2.0.0.keelb");
	const struct payload *k = &m.payload[PAYLOAD_KERNEL];
	assert_true(k->chunked);
	assert_int_equal(k->offset, 40960);
	assert_int_equal(k->index_size, 30000);
	assert_int_equal(k->size, 7000000);
	assert_true(m.payload[PAYLOAD_ROOT].chunked &&
		    m.payload[PAYLOAD_ROOT].by_verity);
}

static void test_manifest_format2_bad(void **state)
{
	static const struct {
		const char *good, *from, *to, *why;
	} cases[] = {
		{ GOOD2, "payload verity 20480 16384 verity\n", "",
		  "no verity payload" },
		{ GOOD2, "payload verity 20480 16384",
		  "payload verity 20480 "
		  "12288",
		  "do not fit 359 data blocks" },
		{ GOOD2, "payload root 36864 1470464",
		  "payload root 36864 "
		  "1466368",
		  "do not fit 359 data blocks" },
		{ GOOD2, "payload root 36864 1470464 verity",
		  "payload root 36864 1470464 " H64, "checked by 'verity'" },
		{ GOOD2, "payload kernel 1507328 7000000 " H64,
		  "payload kernel 1507328 7000000 verity", "sha256" },
		/* the tree must come before the root it checks */
		{ GOOD2,
		  "payload verity 20480 16384 verity\n"
		  "payload root 36864 1470464 verity\n",
		  "payload verity 1490944 16384 verity\n"
		  "payload root 20480 1470464 verity\n",
		  "the verity tree lies after payload root" },
		{ GOOD2, "board qemu-x86_64\n",
		  "board qemu-x86_64\nstore s.castr\n", "go with chunked" },
		{ DELTA, "store keel-2.0.0.castr\n", "", "go with chunked" },
		{ DELTA, "store keel-2.0.0.castr", "store keel\"2",
		  "bad store" },
		{ DELTA, "chunked root 36864 4000", "chunked root 36864 0",
		  "bad offset or size" },
		{ DELTA, "chunked root 36864 4000 " H64,
		  "chunked root 36864 4000 abc", "index sha256" },
		{ DELTA, "chunked root 36864 4000 " H64 " 1470464 verity",
		  "chunked root 36864 4000 " H64 " 1470464", "chunked wants" },
		{ DELTA, "chunked kernel 40960 30000",
		  "chunked kernel 40960 "
		  "40000",
		  "overlap" },
		{ DELTA, "payload verity 20480 16384 verity",
		  "chunked verity 20480 16384 " H64 " 16384 verity",
		  "cannot be chunked" },
		/* every index is read before what streams */
		{ DELTA,
		  "chunked root 36864 4000 " H64 " 1470464 verity\n"
		  "chunked kernel 40960 30000 " H64 " 7000000 " H64 "\n"
		  "chunked initramfs 73728 2000 " H64 " 900000 " H64,
		  "chunked root 4096000 4000 " H64 " 1470464 verity\n"
		  "chunked kernel 40960 30000 " H64 " 7000000 " H64 "\n"
		  "payload initramfs 73728 900000 " H64,
		  "a chunk index lies after payload initramfs" },
		{ DELTA, "chunked initramfs 73728 2000 " H64 " 900000 " H64,
		  "chunked root 73728 2000 " H64 " 1470464 verity",
		  "given twice" },
		{ DELTA, "chunked initramfs 73728", "chunked initramfs 8192",
		  "the verity tree lies after the initramfs index" },
	};
	char text[2048], err[160];
	struct manifest m;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *g = cases[i].good;
		const char *at = strstr(g, cases[i].from);
		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - g), g,
			 cases[i].to, at + strlen(cases[i].from));
		err[0] = '\0';
		int r = manifest_parse(&m, text, strlen(text), 4096, err,
				       sizeof(err));
		if (r != -EINVAL || !strstr(err, cases[i].why))
			fail_msg("case %zu: r=%d err='%s', wanted '%s'", i, r,
				 err, cases[i].why);
	}
}

static void test_signature(void **state)
{
	uint8_t keys[2][P256_POINT_LEN], d[32];
	char err[128];

	(void)state;
	memcpy(keys[0], key_other, 65);
	memcpy(keys[1], key_good, 65);
	/* any trusted key that signed it will do */
	assert_int_equal(signature_verify(digest, sig, sizeof(sig) - 1,
					  (const uint8_t(*)[65])keys, 2, err,
					  sizeof(err)),
			 0);
	assert_int_equal(signature_verify(digest, sig, sizeof(sig) - 1,
					  (const uint8_t(*)[65])keys, 1, err,
					  sizeof(err)),
			 -EKEYREJECTED);
	assert_non_null(strstr(err, "bad signature"));
	assert_int_equal(signature_verify(digest, sig, sizeof(sig) - 1,
					  (const uint8_t(*)[65])keys, 0, err,
					  sizeof(err)),
			 -ENOKEY);
	/* one bit of the signed digest, or of the signature */
	memcpy(d, digest, 32);
	d[7] ^= 0x10;
	assert_int_equal(signature_verify(d, sig, sizeof(sig) - 1,
					  (const uint8_t(*)[65])keys, 2, err,
					  sizeof(err)),
			 -EKEYREJECTED);
	uint8_t s2[sizeof(sig)];
	memcpy(s2, sig, sizeof(sig));
	s2[sizeof(sig) - 5] ^= 1;
	assert_int_equal(signature_verify(digest, s2, sizeof(sig) - 1,
					  (const uint8_t(*)[65])keys, 2, err,
					  sizeof(err)),
			 -EKEYREJECTED);
	assert_int_equal(signature_verify(digest, sig, 3,
					  (const uint8_t(*)[65])keys, 2, err,
					  sizeof(err)),
			 -EKEYREJECTED);
}

static void test_version_compare(void **state)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
		{ "1.0.0", "1.0.0", 0 },  { "1.0.1", "1.0.0", 1 },
		{ "1.10", "1.9", 1 },	  { "2", "10", -1 },
		{ "1.0", "1.0.0", -1 },	  { "01.2", "1.2", 0 },
		{ "1.2", "1.rc1", 1 },	  { "1.rc2", "1.rc1", 1 },
		{ "0.9.0", "1.0.0", -1 }, { "99999999999999999999999", "1", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int c = version_compare(cases[i].a, cases[i].b);
		int back = version_compare(cases[i].b, cases[i].a);
		int sign = (c > 0) - (c < 0);
		if (sign != cases[i].sign || (back > 0) - (back < 0) != -sign)
			fail_msg("%s vs %s: %d", cases[i].a, cases[i].b, c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_manifest_good),
		cmocka_unit_test(test_manifest_bad),
		cmocka_unit_test(test_manifest_format2),
		cmocka_unit_test(test_manifest_format2_bad),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_version_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

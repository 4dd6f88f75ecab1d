// SPDX-License-Identifier: MIT
/* Trust anchors from PEM text: what counts, what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "net/tls.h"

/* openssl req -x509 -newkey ec (prime256v1) -subj "/CN=keel test CA" */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhjCCASugAwIBAgIUKyr4oMp4y1bZEGeAhhjsvNguIU4wCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMa2VlbCB0ZXN0IENBMCAXDTI2MTEyNjE4NTQ0MFoYDzIxMjYx\n"
	"MTAyMTg1NDQwWjAXMRUwEwYDVQQDDAxrZWVsIHRlc3QgQ0EwWTATBgcqhkjOPQIB\n"
	"BggqhkjOPQMBBwNCAARWwrAq37PjL07nhf7sDn3fJ7/t4iuBerlaDQmK/e4iHOP9\n"
	"Us7do71dQ/dudcTxm/E6Y3kCBBi0U1m50JyZwBk8o1MwUTAdBgNVHQ4EFgQU5puR\n"
	"025Z2+GtjFmSpcd/pO+8MZkwHwYDVR0jBBgwFoAU5puR025Z2+GtjFmSpcd/pO+8\n"
	"MZkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAlPVNjIGhbYtg\n"
	"YS8d8H5uLnhloKmfyYwgHxXocIERoQYCIQCvduxzAplbBViNeDrSyd/V7w+s2TTo\n"
	"vigEMICB3EhoHA==\n"
	"-----END CERTIFICATE-----\n";

static void test_anchors(void **state)
{
	char err[160], two[4096];

	(void)state;
	tls_anchors_free();
	assert_int_equal(
		tls_anchors_add_pem(ca_pem, strlen(ca_pem), err, sizeof(err)),
		1);
	snprintf(two, sizeof(two), "junk before\n%s\n%s", ca_pem, ca_pem);
	assert_int_equal(
		tls_anchors_add_pem(two, strlen(two), err, sizeof(err)), 2);
	assert_int_equal(tls_anchors_count(), 3);
	/* other PEM objects are not anchors */
	const char *key = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
			  "-----END PRIVATE KEY-----\n";
	assert_int_equal(
		tls_anchors_add_pem(key, strlen(key), err, sizeof(err)), 0);
	/* a certificate that is not one */
	const char *bad = "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n"
			  "-----END CERTIFICATE-----\n";
	assert_true(tls_anchors_add_pem(bad, strlen(bad), err, sizeof(err)) <
		    0);
	assert_non_null(strstr(err, "does not decode"));
	assert_int_equal(tls_anchors_count(), 3);
	tls_anchors_free();
	assert_int_equal(tls_anchors_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

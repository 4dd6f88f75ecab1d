// SPDX-License-Identifier: MIT
/*
 * The challenge and the token both come from the registry (or whatever
 * answers for it). The input is a WWW-Authenticate value up to its first
 * NUL, and, whole, a token response. What parses must be safe to use: a
 * Bearer realm to fetch, values of printable ASCII only, and a token fit
 * for an Authorization header.
 */
#include "net/auth.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct bearer_token t;

static void printable(const char *s, size_t n)
{
	assert(memchr(s, '\0', n));
	for (; *s; s++)
		assert(*s >= ' ' && *s < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct www_auth a;
	char err[256];
	char *value = malloc(size + 1);

	memcpy(value, data, size);
	value[size] = '\0';
	err[0] = '\0';
	int r = www_auth_parse(value, &a, err, sizeof(err));
	if (r == 0) {
		assert(a.scheme == WWW_AUTH_BEARER ||
		       a.scheme == WWW_AUTH_BASIC);
		assert(a.scheme != WWW_AUTH_BEARER || a.realm[0]);
		printable(a.realm, sizeof(a.realm));
		printable(a.service, sizeof(a.service));
		printable(a.scope, sizeof(a.scope));
		printable(a.error, sizeof(a.error));
	} else {
		assert((r == -EINVAL || r == -ENOTSUP) && err[0]);
	}
	free(value);

	err[0] = '\0';
	if (bearer_token_parse((const char *)data, size, &t, err,
			       sizeof(err)) == 0) {
		size_t n = strlen(t.token);
		assert(n > 0 && n <= BEARER_TOKEN_MAX);
		assert(strspn(t.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				       "nopqrstuvwxyz0123456789-._~+/=") == n);
		assert(t.expires_in >= 60);
	} else {
		assert(err[0]);
	}
	return 0;
}

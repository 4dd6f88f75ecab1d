/* SPDX-License-Identifier: MIT */
#ifndef KEEL_AUTH_H
#define KEEL_AUTH_H

#include <stddef.h>

/*
 * Registry authentication, the parsing half: the challenge a registry
 * answers 401 with, and the token its token service hands out (Docker's
 * "Token Authentication Specification", which every registry that does
 * Bearer follows: docker.io, ghcr.io, quay.io, gcr.io, ECR's v2 API).
 *
 * Pure, for unit tests and the fuzzer; the input is untrusted. 0, or
 * -errno with a reason in err.
 */

/* Longest WWW-Authenticate value looked at. */
#define WWW_AUTH_MAX 8192
#define WWW_AUTH_REALM_MAX 2048 /* a URL */
#define WWW_AUTH_SERVICE_MAX 256
#define WWW_AUTH_SCOPE_MAX 2048 /* space-separated scopes */
#define WWW_AUTH_ERROR_MAX 64

enum www_auth_scheme {
	WWW_AUTH_BASIC = 1,
	WWW_AUTH_BEARER,
};

struct www_auth {
	enum www_auth_scheme scheme;
	/*
	 * Bearer: the token service URL. The registry names it, so it may be
	 * anywhere: whether credentials go there is the caller's decision.
	 */
	char realm[WWW_AUTH_REALM_MAX];
	char service[WWW_AUTH_SERVICE_MAX]; /* may be "" */
	char scope[WWW_AUTH_SCOPE_MAX]; /* may be "" */
	/* RFC 6750 3.1, e.g. "insufficient_scope"; may be "" */
	char error[WWW_AUTH_ERROR_MAX];
};

/*
 * A WWW-Authenticate field value (RFC 9110 11.6.1): one or more
 * challenges, comma-separated, each a scheme and either auth-params or a
 * token68. Of several, the first Bearer is taken, else the first Basic.
 * A Bearer challenge must carry a realm. -ENOTSUP, naming the scheme,
 * when there is neither; -EINVAL when the value does not parse.
 */
int www_auth_parse(const char *value, struct www_auth *a, char *err,
		   size_t errlen);

/* Longest token kept; JWTs from the big registries are 1-3 KiB. */
#define BEARER_TOKEN_MAX 8192
/* Longest token response read. */
#define BEARER_JSON_MAX 65536

struct bearer_token {
	char token[BEARER_TOKEN_MAX + 1]; /* an RFC 6750 b64token */
	long long expires_in; /* seconds from now, >= 60 */
};

/*
 * The token service's JSON response of len bytes (need not be
 * NUL-terminated): "token", else "access_token" (the spec takes both
 * and leaves the choice to the client when they differ), and
 * "expires_in" (60 when absent, and never less: the spec's minimum).
 * "issued_at" and "refresh_token" are ignored.
 */
int bearer_token_parse(const char *json, size_t len, struct bearer_token *t,
		       char *err, size_t errlen);

#endif

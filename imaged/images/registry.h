/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REGISTRY_H
#define KEEL_REGISTRY_H

#include "net/auth.h"
#include "net/http.h"
#include "images/regconf.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * The pull side of the OCI distribution spec (spec.md, "Pull"): manifests
 * and blobs by GET /v2/<name>/{manifests,blobs}/<reference>, through the
 * mirrors registries.conf names for the registry and then the registry
 * itself, with its Bearer or Basic authentication, redirects, retries and
 * a kept-alive connection.
 */

/* Where tokens are kept between pulls (tmpfs, root only). */
#define REGISTRY_TOKEN_DIR "/run/imaged/tokens"

struct reg_endpoint {
	char base[300]; /* "https://registry-1.docker.io" */
	bool mirror;
	bool dead; /* a mirror that failed: skipped from then on */
	char auth[BEARER_TOKEN_MAX + 16]; /* "Authorization: ..." value */
	char auth_scope[WWW_AUTH_SCOPE_MAX];
};

struct registry {
	const struct regconf *conf;
	const struct reg_host *host; /* NULL: the defaults */
	char domain[256];
	const char *token_dir; /* REGISTRY_TOKEN_DIR, or a test's */
	int n_ep;
	struct reg_endpoint ep[REGCONF_MAX_MIRRORS + 1];
	struct http_conn *conn;
	void (*log)(const char *fmt, ...); /* retries; may be NULL */
};

int registry_open(struct registry *r, const struct regconf *c,
		  const char *domain, char *err, size_t errlen);
void registry_close(struct registry *r);

/*
 * GET /v2/<repo>/<kind>/<ref> (kind "manifests" or "blobs"), asking for
 * the bytes from `from` on when from > 0. On 0 the response is a 200 or a
 * 206 and its body is ready in r->conn (http_read); anything else is an
 * error in err: not found, authentication refused, or the last failure
 * after the retries (connection loss, 429 and 5xx, with backoff).
 */
int registry_get(struct registry *r, const char *repo, const char *kind,
		 const char *ref, const char *accept, uint64_t from, char *err,
		 size_t errlen);

/* RFC 4648 section 4 base64 of len bytes into out (4 * ceil(len/3) + 1). */
void base64_encode(const void *in, size_t len, char *out);

#endif

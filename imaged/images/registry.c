// SPDX-License-Identifier: MIT
#include "images/registry.h"
#include "errmsg.h"
#include "file.h"
#include "text.h"

#include <nettle/sha2.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ATTEMPTS 6 /* per endpoint: backoff 0.5, 1, 2, 4, 8 s between */
#define BACKOFF_MAX_MS 8000

void base64_encode(const void *in, size_t len, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;

	for (; len >= 3; len -= 3, p += 3) {
		*out++ = a[p[0] >> 2];
		*out++ = a[(p[0] & 3) << 4 | p[1] >> 4];
		*out++ = a[(p[1] & 15) << 2 | p[2] >> 6];
		*out++ = a[p[2] & 63];
	}
	if (len) {
		*out++ = a[p[0] >> 2];
		*out++ = a[(p[0] & 3) << 4 | (len > 1 ? p[1] >> 4 : 0)];
		*out++ = len > 1 ? a[(p[1] & 15) << 2] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static void rlog(struct registry *r, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (!r->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->log("%s", line);
}

int registry_open(struct registry *r, const struct regconf *c,
		  const char *domain, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->conf = c;
	r->token_dir = REGISTRY_TOKEN_DIR;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->host = regconf_find(c, domain);
	for (int i = 0; r->host && i < r->host->n_mirrors; i++) {
		snprintf(r->ep[r->n_ep].base, sizeof(r->ep[0].base), "%s",
			 r->host->mirrors[i]);
		r->ep[r->n_ep++].mirror = true;
	}
	/* docker.io's API lives on another name (what docker itself uses) */
	snprintf(r->ep[r->n_ep++].base, sizeof(r->ep[0].base), "%s://%s",
		 r->host && r->host->insecure ? "http" : "https",
		 strcmp(domain, "docker.io") ? domain : "registry-1.docker.io");
	r->conn = http_conn_new();
	if (!r->conn)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

void registry_close(struct registry *r)
{
	http_conn_free(r->conn);
	r->conn = NULL;
}

/* RFC 3986 section 2.3: unreserved stays, the rest is %XX */
static void query_escape(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in && n + 4 < outlen; in++) {
		unsigned char ch = *in;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			out[n++] = ch;
		else
			n += snprintf(out + n, outlen - n, "%%%02X", ch);
	}
	out[n] = '\0';
}

/*
 * Tokens outlive one pull: a file per (origin, realm, service, scope,
 * user), named by their hash, holding "<expiry epoch> <token>". The
 * origin is the endpoint's that answered 401, and the token goes back
 * there only: a mirror that names the registry's realm, service and scope
 * is asking for the registry's token, and gets one of its own. user is
 * whose credentials fetched it ("" for none).
 */
static void token_path(struct registry *r, const char *origin,
		       const struct www_auth *a, const char *scope,
		       const char *user, char *out, size_t outlen)
{
	struct sha256_ctx h;
	uint8_t d[32];
	char hex[17];

	sha256_init(&h);
	const char *parts[] = { origin, a->realm, a->service, scope, user };
	for (int i = 0; i < 5; i++)
		sha256_update(&h, strlen(parts[i]) + 1,
			      (const uint8_t *)parts[i]);
	sha256_digest(&h, SHA256_DIGEST_SIZE, d);
	for (int i = 0; i < 8; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	snprintf(out, outlen, "%s/%s", r->token_dir, hex);
}

static bool token_cached(struct registry *r, const char *path,
			 struct reg_endpoint *ep)
{
	char text[BEARER_TOKEN_MAX + 32], *sp;
	long n = read_text(path, text, sizeof(text));

	if (n <= 0 || !(sp = strchr(text, ' ')))
		return false;
	/* a minute's margin: the token must last the request */
	if (strtoll(text, NULL, 10) < (long long)time(NULL) + 60)
		return false;
	snprintf(ep->auth, sizeof(ep->auth), "Bearer %s", text_trim(sp + 1));
	(void)r;
	return true;
}

/* "user:password" in base64, as Basic sends it (RFC 7617). */
#define BASIC_MAX 540
static void basic_credentials(const struct reg_host *h, char out[BASIC_MAX])
{
	char cred[sizeof(h->username) + sizeof(h->password) + 1];

	snprintf(cred, sizeof(cred), "%s:%s", h->username, h->password);
	base64_encode(cred, strlen(cred), out);
}

/*
 * GET the token service's answer for scope into body (BEARER_JSON_MAX),
 * with user's credentials (the registry's own) if user is not "". 0 and
 * *got, or -errno with err saying why.
 */
static int token_request(struct registry *r, const struct www_auth *a,
			 const char *scope, const char *user, char *body,
			 size_t *got, char *err, size_t errlen)
{
	char esc_scope[WWW_AUTH_SCOPE_MAX * 3];
	char esc_service[WWW_AUTH_SERVICE_MAX * 3];
	char url[WWW_AUTH_REALM_MAX + sizeof(esc_scope) + sizeof(esc_service) +
		 32];
	char hdr[1024] = "Accept: application/json\r\n", b64[BASIC_MAX];
	struct http_url u;
	struct http_conn *c;
	ssize_t n = 0;
	int res;

	query_escape(scope, esc_scope, sizeof(esc_scope));
	query_escape(a->service, esc_service, sizeof(esc_service));
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", a->realm,
		 strchr(a->realm, '?') ? "&" : "?", esc_service, esc_scope);
	if ((res = http_url_parse(&u, url, err, errlen)))
		return res;
	if (user[0]) {
		basic_credentials(r->host, b64);
		snprintf(hdr + strlen(hdr), sizeof(hdr) - strlen(hdr),
			 "Authorization: Basic %s\r\n", b64);
	}
	if (!(c = http_conn_new()))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	res = http_request(c, "GET", &u, hdr, err, errlen);
	if (!res && c->resp.status != 200)
		res = errmsg(err, errlen, -EACCES,
			     "token service %s: HTTP status %d%s", u.host,
			     c->resp.status,
			     c->resp.status == 401 ? " (credentials refused)"
						   : "");
	*got = 0;
	while (!res && *got < BEARER_JSON_MAX - 1 &&
	       (n = http_read(c, body + *got, BEARER_JSON_MAX - 1 - *got)) > 0)
		*got += n;
	if (!res && n < 0)
		res = errmsg_errno(err, errlen, (int)n, (int)-n,
				   "token service %s", u.host);
	http_conn_free(c);
	return res;
}

/* The token for ep's requests, and in path for the next pull. */
static void token_keep(struct registry *r, struct reg_endpoint *ep,
		       const char *path, const char *scope,
		       const struct bearer_token *t)
{
	char line[BEARER_TOKEN_MAX + 32];
	int len;

	snprintf(ep->auth, sizeof(ep->auth), "Bearer %s", t->token);
	snprintf(ep->auth_scope, sizeof(ep->auth_scope), "%s", scope);
	len = snprintf(line, sizeof(line), "%lld %s\n",
		       (long long)time(NULL) + t->expires_in, t->token);
	mkdir(r->token_dir, 0700);
	write_atomic(path, line, len, 0600);
}

/* Docker's token authentication specification, "Requesting a Token" */
static int fetch_token(struct registry *r, struct reg_endpoint *ep,
		       const struct www_auth *a, const char *repo, bool fresh,
		       char *err, size_t errlen)
{
	char scope[WWW_AUTH_SCOPE_MAX], path[512], origin[HTTP_ORIGIN_MAX];
	struct bearer_token *t;
	struct http_url u;
	char *body;
	size_t got = 0;
	int res = 0;

	if (a->scope[0])
		snprintf(scope, sizeof(scope), "%s", a->scope);
	else
		snprintf(scope, sizeof(scope), "repository:%s:pull", repo);
	/*
	 * The credentials go to the token service the registry names, over
	 * TLS if the registry is; never to one a mirror names, which may be
	 * the mirror's own.
	 */
	const char *user = !ep->mirror && r->host ? r->host->username : "";
	if (!strncmp(ep->base, "https:", 6) && strncmp(a->realm, "https:", 6))
		return errmsg(err, errlen, -EACCES,
			      "%s: its token service %.200s is not https; "
			      "refused",
			      r->domain, a->realm);
	if ((res = http_url_parse(&u, ep->base, err, errlen)))
		return res;
	http_origin(&u, origin, sizeof(origin)); /* sized for any URL's */
	token_path(r, origin, a, scope, user, path, sizeof(path));
	if (fresh)
		unlink(path);
	else if (token_cached(r, path, ep)) {
		snprintf(ep->auth_scope, sizeof(ep->auth_scope), "%s", scope);
		return 0;
	}
	body = malloc(BEARER_JSON_MAX);
	t = malloc(sizeof(*t));
	if (!body || !t)
		res = errmsg(err, errlen, -ENOMEM, "out of memory");
	if (!res)
		res = token_request(r, a, scope, user, body, &got, err, errlen);
	if (!res)
		res = bearer_token_parse(body, got, t, err, errlen);
	if (!res)
		token_keep(r, ep, path, scope, t);
	free(t);
	free(body);
	return res;
}

static int authenticate(struct registry *r, struct reg_endpoint *ep,
			const char *repo, bool fresh, char *err, size_t errlen)
{
	struct www_auth *a = malloc(sizeof(*a));
	char b64[BASIC_MAX];
	int res;

	if (!a)
		return -ENOMEM;
	res = www_auth_parse(r->conn->resp.www_authenticate, a, err, errlen);
	if (!res && a->scheme == WWW_AUTH_BEARER)
		res = fetch_token(r, ep, a, repo, fresh, err, errlen);
	/* the password is the registry's, not for a mirror */
	else if (!res && ep->mirror)
		res = errmsg(err, errlen, -EACCES,
			     "asks for a password; %s's is not given to a "
			     "mirror",
			     r->domain);
	else if (!res && (!r->host || !r->host->username[0]))
		res = errmsg(err, errlen, -EACCES,
			     "%s asks for a password: set username and "
			     "password in [%s] of registries.conf",
			     r->domain, r->domain);
	else if (!res) {
		basic_credentials(r->host, b64);
		snprintf(ep->auth, sizeof(ep->auth), "Basic %s", b64);
	}
	free(a);
	return res;
}

static bool same_origin(const struct http_url *a, const struct http_url *b)
{
	return a->tls == b->tls && !strcmp(a->host, b->host) &&
	       !strcmp(a->port, b->port);
}

/*
 * One request with redirects; Authorization goes only to the endpoint's
 * own origin, never to the blob store a redirect names.
 */
static int get_once(struct registry *r, struct reg_endpoint *ep,
		    const char *url, const char *accept, uint64_t from,
		    bool *home, char *err, size_t errlen)
{
	char cur[HTTP_PATH_MAX + HTTP_HOST_MAX], hdr[BEARER_TOKEN_MAX + 1024];
	struct http_url origin, u;
	int res;

	snprintf(cur, sizeof(cur), "%s", url);
	if ((res = http_url_parse(&origin, url, err, errlen)))
		return res;
	for (int hops = 0;; hops++) {
		if ((res = http_url_parse(&u, cur, err, errlen)))
			return res;
		size_t n = snprintf(hdr, sizeof(hdr), "Accept: %s\r\n",
				    accept ? accept : "*/*");
		if (from)
			n += snprintf(hdr + n, sizeof(hdr) - n,
				      "Range: bytes=%llu-\r\n",
				      (unsigned long long)from);
		if (ep->auth[0] && same_origin(&u, &origin))
			snprintf(hdr + n, sizeof(hdr) - n,
				 "Authorization: %s\r\n", ep->auth);
		if ((res = http_request(r->conn, "GET", &u, hdr, err, errlen)))
			return res;
		*home = same_origin(&u, &origin);
		int s = r->conn->resp.status;
		if (s < 300 || s > 308 || s == 304 ||
		    !r->conn->resp.location[0])
			return 0;
		if (hops == 5)
			return errmsg(err, errlen, -ELOOP,
				      "%s: too many redirects", u.host);
		char next[sizeof(cur)];
		if (http_resolve(&u, r->conn->resp.location, next,
				 sizeof(next)))
			return errmsg(err, errlen, -ENAMETOOLONG,
				      "redirect target too long");
		http_drain(r->conn, 65536);
		memcpy(cur, next, sizeof(cur));
	}
}

static void backoff(struct registry *r, int attempt, long retry_after,
		    const char *why)
{
	long ms = 500L << attempt;

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	if (retry_after >= 0)
		ms = retry_after > 30 ? 30000 : retry_after * 1000;
	rlog(r, "%s; retrying in %ld ms", why, ms);
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int registry_get(struct registry *r, const char *repo, const char *kind,
		 const char *ref, const char *accept, uint64_t from, char *err,
		 size_t errlen)
{
	char url[HTTP_PATH_MAX];
	int res = -ENOENT;

	for (int e = 0; e < r->n_ep; e++) {
		struct reg_endpoint *ep = &r->ep[e];
		int auths = 0;
		if (ep->dead)
			continue;
		snprintf(url, sizeof(url), "%s/v2/%s/%s/%s", ep->base, repo,
			 kind, ref);
		for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
			bool home = true, retry = false;
			res = get_once(r, ep, url, accept, from, &home, err,
				       errlen);
			int s = res ? 0 : r->conn->resp.status;
			if (s == 200 || s == 206)
				return 0;
			if (s)
				http_drain(r->conn, 65536);
			/*
			 * Authenticate to the endpoint itself, never to a
			 * redirect's target; a second 401 may be a cached
			 * token the registry no longer takes: one fresh try
			 */
			if (s == 401 && home && auths < 2) {
				res = authenticate(r, ep, repo, auths > 0, err,
						   errlen);
				auths++;
				if (!res) {
					attempt--;
					continue;
				}
			} else if (s == 401 || s == 403) {
				res = errmsg(
					err, errlen, -EACCES,
					"%s: access to %s denied (HTTP %d%s)",
					r->domain, repo, s,
					home ? "" : " from the blob store");
			} else if (s == 404) {
				res = errmsg(err, errlen, -ENOENT,
					     "%s/%s: %s %s not found",
					     r->domain, repo,
					     strcmp(kind, "blobs") ? "manifest"
								   : "blob",
					     ref);
			} else if (s == 416) {
				res = errmsg(err, errlen, -ERANGE,
					     "%s: range %llu- not satisfiable",
					     r->domain,
					     (unsigned long long)from);
			} else if (s && s != 429 && s < 500) {
				res = errmsg(err, errlen, -EPROTO,
					     "%s/%s: %s %s: HTTP status %d",
					     r->domain, repo, kind, ref, s);
			} else {
				if (s)
					res = errmsg(err, errlen, -EAGAIN,
						     "%s: HTTP status %d",
						     r->domain, s);
				/* what the network may fix; not a refused
				 * certificate or a URL we cannot use */
				retry = res != -EKEYREJECTED &&
					res != -EINVAL && res != -ENAMETOOLONG;
			}
			/* a mirror gets no second chance: the next is tried */
			if (ep->mirror) {
				rlog(r, "mirror %s: %s; trying the next",
				     ep->base, err);
				if (res != -ENOENT)
					ep->dead = true;
				break;
			}
			if (!retry)
				return res;
			if (attempt + 1 < ATTEMPTS)
				backoff(r, attempt,
					s ? r->conn->resp.retry_after : -1,
					err);
		}
		if (!ep->mirror)
			break;
	}
	return res ? res : -ENOENT;
}

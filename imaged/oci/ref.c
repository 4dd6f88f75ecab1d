// SPDX-License-Identifier: MIT
/*
 * Image references. The grammar is distribution/reference's (reference.go):
 *
 *   reference   := name [ ":" tag ] [ "@" digest ]
 *   name        := [ domain "/" ] path
 *   domain      := host [ ":" port ]
 *   path        := component [ "/" component ]*
 *   component   := [a-z0-9]+ ( separator [a-z0-9]+ )*
 *   separator   := "." | "_" | "__" | "-"+
 *   tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * and the normalisation is docker's (normalize.go, splitDockerDomain).
 * Every scan works on a (pointer, length) span inside the input, whose
 * length is known before anything else is looked at.
 */
#include "oci/ref.h"
#include "errmsg.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
/* Docker Hub's name from the v1 registry days, still in old configs */
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define SHA256_HEX 64
/* how much of a bad input an error quotes */
#define SHOWN_MAX 48

/* Not <ctype.h>: its answers follow the locale, the grammar's do not. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_lower(c) || is_upper(c);
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool span_is(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/*
 * Whether the first component of a name is a registry rather than part
 * of a Docker Hub path: docker's test, a '.' or ':' or "localhost". A '['
 * can only start an IPv6 literal, so it counts too, for a clearer error.
 */
static bool looks_like_domain(const char *p, size_t n)
{
	return memchr(p, '.', n) || memchr(p, ':', n) ||
	       span_is(p, n, "localhost") || (n && p[0] == '[');
}

/* An IPv6 literal's inside, as the grammar allows it: hex and colons. */
static bool ipv6_valid(const char *p, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	struct in6_addr addr;

	if (n == 0 || n >= sizeof(a))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]) && !(p[i] >= 'a' && p[i] <= 'f') &&
		    !(p[i] >= 'A' && p[i] <= 'F') && p[i] != ':')
			return false;
	memcpy(a, p, n);
	a[n] = '\0';
	return inet_pton(AF_INET6, a, &addr) == 1;
}

/*
 * DNS labels joined by single dots (an IPv4 address is four of them),
 * each as lib/text.h checks one.
 */
static bool hostname_valid(const char *p, size_t n)
{
	for (;;) {
		const char *dot = memchr(p, '.', n);
		size_t label = dot ? (size_t)(dot - p) : n;

		if (!text_hostname_label(p, label))
			return false;
		if (!dot)
			return true;
		p += label + 1;
		n -= label + 1;
	}
}

/* NULL if the domain is good, else what is wrong with it. */
static const char *domain_check(const char *p, size_t n)
{
	size_t host;

	if (n && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (!close || !ipv6_valid(p + 1, (size_t)(close - p) - 1))
			return "invalid registry host";
		host = (size_t)(close - p) + 1;
	} else {
		const char *colon = memchr(p, ':', n);

		host = colon ? (size_t)(colon - p) : n;
		if (!hostname_valid(p, host))
			return "invalid registry host";
	}
	if (host == n)
		return NULL;
	if (p[host] != ':')
		return "invalid registry host";

	/*
	 * The grammar takes any run of digits; a TCP port is 1-65535, and
	 * without leading zeros one port has one spelling, so one name.
	 */
	const char *port = p + host + 1;
	size_t len = n - host - 1;
	long v = 0;

	if (len == 0 || len > 5 || port[0] == '0')
		return "invalid registry port (want 1-65535)";
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(port[i]))
			return "invalid registry port (want 1-65535)";
		v = v * 10 + (port[i] - '0');
	}
	if (v > 65535)
		return "invalid registry port (want 1-65535)";
	return NULL;
}

static bool path_valid(const char *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		while (i < n && (is_lower(p[i]) || is_digit(p[i])))
			i++;
		/* a component, and every separator, is followed by these */
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (p[i] == '/' || p[i] == '.') {
			i++;
		} else if (p[i] == '_') {
			i++;
			if (i < n && p[i] == '_')
				i++;
		} else if (p[i] == '-') {
			while (i < n && p[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

static bool tag_valid(const char *p, size_t n)
{
	if (n == 0 || n > IMAGE_REF_TAG_MAX || !is_word(p[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(p[i]) && p[i] != '.' && p[i] != '-')
			return false;
	return true;
}

/*
 * The algorithm's shape is the OCI image spec's (descriptor.md,
 * "Digests"): components [a-z0-9]+ joined by one of "+._-". Only sha256 is
 * fetched here, and its encoded part is exactly 64 lowercase hex digits
 * (same section, "SHA-256").
 */
static const char *digest_check(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t alg = colon ? (size_t)(colon - p) : 0;
	bool sep = true;

	if (alg == 0)
		return "invalid digest format";
	for (size_t i = 0; i < alg; i++) {
		if (is_lower(p[i]) || is_digit(p[i])) {
			sep = false;
		} else if (!sep && strchr("+._-", p[i])) {
			sep = true;
		} else {
			return "invalid digest format";
		}
	}
	if (sep)
		return "invalid digest format";
	if (!span_is(p, alg, "sha256"))
		return "unsupported digest algorithm (only sha256)";
	if (n - alg - 1 != SHA256_HEX)
		return "invalid digest: sha256 needs 64 lowercase hex digits";
	for (size_t i = alg + 1; i < n; i++)
		if (!is_lower_hex(p[i]))
			return "invalid digest: sha256 needs 64 lowercase hex "
			       "digits";
	return NULL;
}

/* A reference cut into its parts, each a span of the input. */
struct spans {
	const char *dom, *path, *tag, *digest;
	size_t dom_len, path_len, tag_len, digest_len;
	bool official; /* on docker.io, one component: under "library/" */
};

/*
 * Neither a tag nor a name holds '@', so the first one starts the
 * digest. The tag follows the first ':' after the last '/': any ':'
 * before that is a port. NULL, or what is wrong.
 */
static const char *split(const char *s, size_t n, struct spans *p)
{
	const char *at = memchr(s, '@', n);
	size_t name_tag = at ? (size_t)(at - s) : n;
	size_t seg = name_tag;

	while (seg > 0 && s[seg - 1] != '/')
		seg--;
	const char *colon = memchr(s + seg, ':', name_tag - seg);
	size_t name = colon ? (size_t)(colon - s) : name_tag;
	if (name == 0)
		return "invalid reference format: no repository name";
	if (colon) {
		p->tag = colon + 1;
		p->tag_len = name_tag - name - 1;
	}
	if (at) {
		p->digest = at + 1;
		p->digest_len = n - name_tag - 1;
	}

	p->dom = DEFAULT_DOMAIN;
	p->dom_len = strlen(DEFAULT_DOMAIN);
	p->path = s;
	p->path_len = name;
	const char *slash = memchr(s, '/', name);
	if (slash && looks_like_domain(s, (size_t)(slash - s))) {
		p->dom = s;
		p->dom_len = (size_t)(slash - s);
		p->path = slash + 1;
		p->path_len = name - p->dom_len - 1;

		const char *why = domain_check(p->dom, p->dom_len);
		if (why)
			return why;
		if (span_is(p->dom, p->dom_len, LEGACY_DOMAIN)) {
			p->dom = DEFAULT_DOMAIN;
			p->dom_len = strlen(DEFAULT_DOMAIN);
		}
	}
	p->official = span_is(p->dom, p->dom_len, DEFAULT_DOMAIN) &&
		      !memchr(p->path, '/', p->path_len);
	return NULL;
}

/* The path, tag and digest by the grammar. NULL, or what is wrong. */
static const char *check(const struct spans *p)
{
	for (size_t i = 0; i < p->path_len; i++)
		if (is_upper(p->path[i]))
			return "invalid reference format: repository name "
			       "must be lowercase";
	if (!path_valid(p->path, p->path_len))
		return "invalid reference format";
	if (p->tag && !tag_valid(p->tag, p->tag_len))
		return "invalid tag format";
	if (p->digest) {
		const char *why = digest_check(p->digest, p->digest_len);
		if (why)
			return why;
	}
	/* the limit is on the normalised name, as docker checks it */
	size_t full = p->path_len + (p->official ? strlen(OFFICIAL_PREFIX) : 0);
	if (p->dom_len + 1 + full > IMAGE_REF_NAME_MAX)
		return "repository name must not be more than 255 characters";
	return NULL;
}

/* Every length is known to fit its field by now. */
static void fill(const struct spans *p, struct image_ref *r)
{
	size_t prefix = p->official ? strlen(OFFICIAL_PREFIX) : 0;

	memcpy(r->domain, p->dom, p->dom_len);
	memcpy(r->path, OFFICIAL_PREFIX, prefix);
	memcpy(r->path + prefix, p->path, p->path_len);
	if (p->tag)
		memcpy(r->tag, p->tag, p->tag_len);
	else if (!p->digest)
		strcpy(r->tag, "latest");
	if (p->digest)
		memcpy(r->digest, p->digest, p->digest_len);
}

/*
 * The start of the input, for the error: it comes from a pod manifest
 * and goes to a log, so control bytes and quotes are shown as '?'.
 */
static const char *shown(const char *s, size_t n, char out[SHOWN_MAX + 4])
{
	size_t k;

	for (k = 0; k < n && k < SHOWN_MAX; k++)
		out[k] =
			s[k] > ' ' && s[k] < 0x7f && s[k] != '"' && s[k] != '\\'
				? s[k]
				: '?';
	if (n > SHOWN_MAX)
		memcpy(out + k, "...", 4);
	else
		out[k] = '\0';
	return out;
}

int image_ref_parse(const char *s, struct image_ref *r, char *err,
		    size_t errlen)
{
	struct spans p = { 0 };
	char longer[48], q[SHOWN_MAX + 4];
	const char *why = NULL;
	size_t n, hex = 0;

	memset(r, 0, sizeof(*r));
	if (!s || !*s)
		return errmsg(err, errlen, -EINVAL, "empty image reference");
	n = strnlen(s, IMAGE_REF_MAX + 1);
	/*
	 * docker refuses a bare 64-hex-digit name: it would be read as the
	 * ID of a local image (normalize.go, ParseNormalizedNamed).
	 */
	while (hex < n && is_lower_hex(s[hex]))
		hex++;
	if (n > IMAGE_REF_MAX) {
		snprintf(longer, sizeof(longer), "longer than %d bytes",
			 IMAGE_REF_MAX);
		why = longer;
	} else if (n == SHA256_HEX && hex == n) {
		why = "a 64-hex-digit image ID, not a repository name";
	} else if (!(why = split(s, n, &p))) {
		why = check(&p);
	}
	if (why)
		return errmsg(err, errlen, -EINVAL,
			      "image reference \"%s\": %s", shown(s, n, q),
			      why);
	fill(&p, r);
	return 0;
}

int image_ref_canonical(const char *s, char out[IMAGE_REF_MAX + 1], char *err,
			size_t errlen)
{
	struct image_ref r;
	int e = image_ref_parse(s, &r, err, errlen);

	if (e)
		return e;
	/* a buffer of IMAGE_REF_MAX + 1 always holds it */
	return image_ref_format(&r, out, IMAGE_REF_MAX + 1);
}

static int emit(char *out, size_t outlen, const char *domain,
		const struct image_ref *r, const char *path)
{
	int len;

	if (!out || !outlen)
		return -ENAMETOOLONG;
	len = snprintf(out, outlen, "%s%s%s%s%s%s%s", domain,
		       *domain ? "/" : "", path, r->tag[0] ? ":" : "", r->tag,
		       r->digest[0] ? "@" : "", r->digest);
	if (len < 0 || (size_t)len >= outlen) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

int image_ref_format(const struct image_ref *r, char *out, size_t outlen)
{
	return emit(out, outlen, r->domain, r, r->path);
}

int image_ref_familiar(const struct image_ref *r, char *out, size_t outlen)
{
	const char *path = r->path;
	const char *slash = strchr(path, '/');
	size_t prefix = strlen(OFFICIAL_PREFIX);

	if (strcmp(r->domain, DEFAULT_DOMAIN))
		return emit(out, outlen, r->domain, r, path);
	if (!strncmp(path, OFFICIAL_PREFIX, prefix) &&
	    !strchr(path + prefix, '/'))
		return emit(out, outlen, "", r, path + prefix);
	/*
	 * docker would print "docker.io/foo.com/x" as "foo.com/x", which then
	 * parses as registry foo.com: keep the domain when it would.
	 */
	if (slash && looks_like_domain(path, (size_t)(slash - path)))
		return emit(out, outlen, r->domain, r, path);
	return emit(out, outlen, "", r, path);
}

// SPDX-License-Identifier: MIT
#include "net/auth.h"
#include "errmsg.h"
#include "oci/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2 */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 9110 11.2 token68, and RFC 6750 2.1 b64token: before the '='s */
static bool t68char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-._~+/", c));
}

static const char *ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * A Bearer or Basic challenge as parsed so far. A bad parameter value
 * only matters if this is the challenge we end up using, so it is noted
 * in why rather than failing the whole header.
 */
struct chal {
	struct www_auth a;
	unsigned seen; /* a bit per kept parameter, to catch repeats */
	char why[96];
};

enum {
	VAL_OK,
	VAL_SYNTAX,
	VAL_LONG,
	VAL_BYTE,
};

/*
 * A token or quoted-string (RFC 9110 5.6.2, 5.6.4) at *pp, unescaped
 * into out if out is not NULL. What is kept must be printable ASCII:
 * realms, services and scopes are URLs and names, and a control byte
 * there would end up in a request line.
 */
static int value(const char **pp, char *out, size_t outlen)
{
	const char *p = *pp;
	size_t n = 0;
	int ret = VAL_OK;
	bool quoted = *p == '"';

	if (quoted)
		p++;
	for (;; p++) {
		unsigned char c = *p;

		if (!quoted) {
			if (!tchar(c))
				break;
		} else if (c == '"') {
			p++;
			break;
		} else {
			if (c == '\\')
				c = *++p;
			/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text */
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return VAL_SYNTAX;
		}
		if (!out || ret != VAL_OK)
			continue;
		if (c < 0x20 || c >= 0x7f)
			ret = VAL_BYTE;
		else if (n + 1 >= outlen)
			ret = VAL_LONG;
		else
			out[n++] = (char)c;
	}
	if (!quoted && p == *pp)
		return VAL_SYNTAX;
	if (out)
		out[n] = '\0';
	*pp = p;
	return ret;
}

#define NOT_PARAM 1

/*
 * An auth-param (RFC 9110 11.2: token BWS "=" BWS ( token /
 * quoted-string )) at *pp into c if it is one c keeps. NOT_PARAM, with
 * nothing consumed, when the text is not shaped like one: then it is a
 * token68 or the next challenge's scheme. -EINVAL on a bad value.
 */
static int param(const char **pp, struct chal *c)
{
	static const char *const names[] = { "realm", "service", "scope",
					     "error" };
	const char *p = *pp, *name = p, *kept = NULL;
	char *out = NULL;
	size_t outlen = 0, nlen;
	unsigned bit = 0;

	while (tchar(*p))
		p++;
	nlen = (size_t)(p - name);
	if (!nlen)
		return NOT_PARAM;
	p = ows(p);
	if (*p != '=')
		return NOT_PARAM;
	p = ows(p + 1);
	if (*p != '"' && !tchar(*p))
		return NOT_PARAM;

	for (unsigned i = 0; c && i < sizeof(names) / sizeof(*names); i++) {
		/* RFC 9110 11.2: parameter names are case-insensitive */
		if (strlen(names[i]) != nlen ||
		    strncasecmp(name, names[i], nlen))
			continue;
		bit = 1u << i;
		char *fields[] = { c->a.realm, c->a.service, c->a.scope,
				   c->a.error };
		size_t sizes[] = { sizeof(c->a.realm), sizeof(c->a.service),
				   sizeof(c->a.scope), sizeof(c->a.error) };
		kept = names[i];
		out = fields[i];
		outlen = sizes[i];
		/* RFC 9110 11.2 and RFC 6750 3: each at most once */
		if ((c->seen & bit) && !c->why[0])
			snprintf(c->why, sizeof(c->why),
				 "parameter \"%s\" appears twice", names[i]);
		if (c->seen & bit)
			out = NULL;
		c->seen |= bit;
	}
	int r = value(&p, out, outlen);
	if (r == VAL_SYNTAX)
		return -EINVAL;
	/* only a kept value can be too long or unprintable */
	if (out && r != VAL_OK && !c->why[0]) {
		if (r == VAL_LONG)
			snprintf(c->why, sizeof(c->why),
				 "%s is longer than %zu bytes", kept,
				 outlen - 1);
		else
			snprintf(c->why, sizeof(c->why),
				 "%s is not printable ASCII", kept);
	}
	*pp = p;
	return 0;
}

static int syntax(const char *value, const char *p, char *err, size_t errlen)
{
	snprintf(err, errlen, "WWW-Authenticate: malformed at byte %zu",
		 (size_t)(p - value));
	return -EINVAL;
}

int www_auth_parse(const char *value, struct www_auth *a, char *err,
		   size_t errlen)
{
	struct chal bearer, basic;
	bool have_bearer = false, have_basic = false;
	char other[33] = "";
	const char *p = value, *q;

	memset(a, 0, sizeof(*a));
	memset(&bearer, 0, sizeof(bearer));
	memset(&basic, 0, sizeof(basic));
	if (strnlen(value, WWW_AUTH_MAX + 1) > WWW_AUTH_MAX) {
		snprintf(err, errlen, "WWW-Authenticate: longer than %d bytes",
			 WWW_AUTH_MAX);
		return -EINVAL;
	}
	for (;;) {
		/* RFC 9110 5.6.1: empty list elements are allowed */
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;

		const char *scheme = p;
		struct chal *c = NULL;
		while (tchar(*p))
			p++;
		size_t slen = (size_t)(p - scheme);
		if (!slen)
			return syntax(value, p, err, errlen);
		/* RFC 9110 11.1: the scheme is case-insensitive */
		if (slen == 6 && !strncasecmp(scheme, "Bearer", 6)) {
			if (!have_bearer) {
				c = &bearer;
				c->a.scheme = WWW_AUTH_BEARER;
			}
			have_bearer = true;
		} else if (slen == 5 && !strncasecmp(scheme, "Basic", 5)) {
			if (!have_basic) {
				c = &basic;
				c->a.scheme = WWW_AUTH_BASIC;
			}
			have_basic = true;
		} else if (!other[0]) {
			snprintf(other, sizeof(other), "%.*s", (int)slen,
				 scheme);
		}

		q = ows(p);
		if (!*q || *q == ',') {
			p = q; /* a scheme alone */
			continue;
		}
		if (q == p)
			return syntax(value, p, err, errlen);
		p = q;
		int r = param(&p, c);
		if (r < 0)
			return syntax(value, p, err, errlen);
		if (r == NOT_PARAM) {
			/* token68: nothing we use, but it must be well-formed */
			while (t68char(*p))
				p++;
			if (p == q)
				return syntax(value, p, err, errlen);
			while (*p == '=')
				p++;
			p = ows(p);
			if (*p && *p != ',')
				return syntax(value, p, err, errlen);
			continue;
		}
		/*
		 * Commas separate both parameters and challenges: after one,
		 * what looks like "name=" is another parameter, anything else
		 * starts the next challenge.
		 */
		for (;;) {
			q = ows(p);
			if (!*q) {
				p = q;
				break;
			}
			if (*q != ',')
				return syntax(value, q, err, errlen);
			while (*q == ',' || *q == ' ' || *q == '\t')
				q++;
			p = q;
			r = *q ? param(&p, c) : NOT_PARAM;
			if (r < 0)
				return syntax(value, p, err, errlen);
			if (r == NOT_PARAM)
				break;
		}
	}

	struct chal *pick = have_bearer ? &bearer : have_basic ? &basic : NULL;
	if (!pick) {
		if (other[0]) {
			snprintf(err, errlen,
				 "WWW-Authenticate: unsupported authentication "
				 "scheme \"%s\"",
				 other);
			return -ENOTSUP;
		}
		snprintf(err, errlen, "WWW-Authenticate: no challenge");
		return -EINVAL;
	}
	if (pick->why[0]) {
		snprintf(err, errlen, "WWW-Authenticate: %s challenge: %s",
			 pick == &bearer ? "Bearer" : "Basic", pick->why);
		return -EINVAL;
	}
	/* RFC 6750 leaves realm optional; without it there is no token URL */
	if (pick == &bearer && !bearer.a.realm[0]) {
		snprintf(err, errlen,
			 "WWW-Authenticate: Bearer challenge has no realm");
		return -EINVAL;
	}
	*a = pick->a;
	return 0;
}

/* As oci.c: a repeated member is refused, not resolved. */
static int member(const cJSON *o, const char *name, const cJSON **out,
		  char *err, size_t errlen)
{
	if (json_member(o, name, out))
		return errmsg(err, errlen, -EINVAL,
			      "token response: \"%s\" twice", name);
	return 0;
}

/* "" when absent or null, NULL when not a string. */
static const char *opt_string(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return "";
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int bearer_token_parse(const char *json, size_t len, struct bearer_token *t,
		       char *err, size_t errlen)
{
	const cJSON *tok, *acc, *exp;
	const char *why = NULL;
	cJSON *root = NULL;

	memset(t, 0, sizeof(*t));
	if (len > BEARER_JSON_MAX || memchr(json, '\0', len)) {
		why = "not a JSON document, or too large";
		goto bad;
	}
	if (json_object_parse(json, len, &root, err, errlen)) {
		errmsg_prefix(err, errlen, -EINVAL, "token response: ");
		goto fail;
	}
	if (member(root, "token", &tok, err, errlen) ||
	    member(root, "access_token", &acc, err, errlen) ||
	    member(root, "expires_in", &exp, err, errlen))
		goto fail;

	const char *s = opt_string(tok), *s2 = opt_string(acc);
	if (!s || !s2) {
		why = "\"token\" or \"access_token\" is not a string";
		goto bad;
	}
	/* Docker's spec allows either; "token" is the original */
	if (!s[0])
		s = s2;
	if (!s[0]) {
		why = "no \"token\" or \"access_token\"";
		goto bad;
	}
	size_t n = strlen(s);
	if (n > BEARER_TOKEN_MAX) {
		snprintf(err, errlen,
			 "token response: token is longer than %d bytes",
			 BEARER_TOKEN_MAX);
		goto fail;
	}
	/*
	 * RFC 6750 2.1: b64token. It goes into an Authorization header, so
	 * nothing else may pass.
	 */
	size_t i = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			     "wxyz0123456789-._~+/");
	if (!i || i + strspn(s + i, "=") != n) {
		why = "the token is not an RFC 6750 b64token";
		goto bad;
	}
	memcpy(t->token, s, n + 1);

	/* The spec: 60 when absent, and never less, as docker and containerd */
	t->expires_in = 60;
	if (exp && !cJSON_IsNull(exp)) {
		double d = cJSON_IsNumber(exp) ? exp->valuedouble : 0.5;
		if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) ||
		    d != (double)(long long)d) {
			why = "\"expires_in\" is not a whole number";
			goto bad;
		}
		if (d > 60)
			t->expires_in = (long long)d;
	}
	cJSON_Delete(root);
	return 0;
bad:
	snprintf(err, errlen, "token response: %s", why);
fail:
	cJSON_Delete(root);
	memset(t, 0, sizeof(*t));
	return -EINVAL;
}

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

/* The challenges of one field value, as far as they are read. */
struct challenges {
	struct chal bearer, basic; /* the first of each */
	bool have_bearer, have_basic;
	char other[33]; /* the first other scheme, for the error */
};

/*
 * The challenge a scheme of slen bytes starts: one to fill in, or NULL
 * when it is another scheme, or a second Bearer or Basic (parsed, then
 * dropped).
 */
static struct chal *scheme(struct challenges *cs, const char *name, size_t slen)
{
	struct chal *c = NULL;

	/* RFC 9110 11.1: the scheme is case-insensitive */
	if (slen == 6 && !strncasecmp(name, "Bearer", 6)) {
		if (!cs->have_bearer) {
			c = &cs->bearer;
			c->a.scheme = WWW_AUTH_BEARER;
		}
		cs->have_bearer = true;
	} else if (slen == 5 && !strncasecmp(name, "Basic", 5)) {
		if (!cs->have_basic) {
			c = &cs->basic;
			c->a.scheme = WWW_AUTH_BASIC;
		}
		cs->have_basic = true;
	} else if (!cs->other[0]) {
		snprintf(cs->other, sizeof(cs->other), "%.*s", (int)slen, name);
	}
	return c;
}

/*
 * What follows a challenge's scheme at *pp, up to the next challenge:
 * nothing, a token68, or auth-params into c (NULL: read and dropped).
 * 0 with *pp past it, or -EINVAL with *pp where it stops parsing.
 */
static int challenge_body(const char **pp, struct chal *c)
{
	const char *p = *pp, *q = ows(p);
	int r;

	if (!*q || *q == ',') {
		*pp = q; /* a scheme alone */
		return 0;
	}
	if (q == p)
		return -EINVAL;
	*pp = p = q;
	r = param(&p, c);
	if (r < 0)
		return -EINVAL;
	if (r == NOT_PARAM) {
		/* token68: nothing we use, but it must be well-formed */
		while (t68char(*p))
			p++;
		*pp = p;
		if (p == q)
			return -EINVAL;
		while (*p == '=')
			p++;
		*pp = p = ows(p);
		return *p && *p != ',' ? -EINVAL : 0;
	}
	/*
	 * Commas separate both parameters and challenges: after one, what
	 * looks like "name=" is another parameter, anything else starts
	 * the next challenge.
	 */
	for (;;) {
		*pp = q = ows(p);
		if (!*q)
			return 0;
		if (*q != ',')
			return -EINVAL;
		while (*q == ',' || *q == ' ' || *q == '\t')
			q++;
		*pp = p = q;
		r = *q ? param(&p, c) : NOT_PARAM;
		if (r < 0)
			return -EINVAL;
		if (r == NOT_PARAM)
			return 0;
	}
}

/* Of the challenges seen, the first Bearer, else the first Basic. */
static int pick(const struct challenges *cs, struct www_auth *a, char *err,
		size_t errlen)
{
	const struct chal *c = cs->have_bearer	? &cs->bearer
			       : cs->have_basic ? &cs->basic
						: NULL;

	if (!c && cs->other[0])
		return errmsg(err, errlen, -ENOTSUP,
			      "WWW-Authenticate: unsupported authentication "
			      "scheme \"%s\"",
			      cs->other);
	if (!c)
		return errmsg(err, errlen, -EINVAL,
			      "WWW-Authenticate: no challenge");
	if (c->why[0])
		return errmsg(err, errlen, -EINVAL,
			      "WWW-Authenticate: %s challenge: %s",
			      c == &cs->bearer ? "Bearer" : "Basic", c->why);
	/* RFC 6750 leaves realm optional; without it there is no token URL */
	if (c == &cs->bearer && !c->a.realm[0])
		return errmsg(
			err, errlen, -EINVAL,
			"WWW-Authenticate: Bearer challenge has no realm");
	*a = c->a;
	return 0;
}

int www_auth_parse(const char *value, struct www_auth *a, char *err,
		   size_t errlen)
{
	struct challenges cs;
	const char *p = value;

	memset(a, 0, sizeof(*a));
	memset(&cs, 0, sizeof(cs));
	if (strnlen(value, WWW_AUTH_MAX + 1) > WWW_AUTH_MAX)
		return errmsg(err, errlen, -EINVAL,
			      "WWW-Authenticate: longer than %d bytes",
			      WWW_AUTH_MAX);
	for (;;) {
		/* RFC 9110 5.6.1: empty list elements are allowed */
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *name = p;
		while (tchar(*p))
			p++;
		if (p == name ||
		    challenge_body(&p, scheme(&cs, name, (size_t)(p - name))))
			return errmsg(err, errlen, -EINVAL,
				      "WWW-Authenticate: malformed at byte %zu",
				      (size_t)(p - value));
	}
	return pick(&cs, a, err, errlen);
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
		errmsg(err, errlen, -EINVAL,
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
	errmsg(err, errlen, -EINVAL, "token response: %s", why);
fail:
	cJSON_Delete(root);
	memset(t, 0, sizeof(*t));
	return -EINVAL;
}

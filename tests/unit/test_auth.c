// SPDX-License-Identifier: MIT
/* WWW-Authenticate challenges and token service responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/auth.h"

static void test_docker_hub(void **state)
{
	struct www_auth a;
	char err[200];

	(void)state;
	assert_int_equal(
		www_auth_parse("Bearer realm=\"https://auth.docker.io/token\","
			       "service=\"registry.docker.io\","
			       "scope=\"repository:library/nginx:pull\"",
			       &a, err, sizeof(err)),
		0);
	assert_int_equal(a.scheme, WWW_AUTH_BEARER);
	assert_string_equal(a.realm, "https://auth.docker.io/token");
	assert_string_equal(a.service, "registry.docker.io");
	assert_string_equal(a.scope, "repository:library/nginx:pull");
	assert_string_equal(a.error, "");

	/* a push with too little access, as distribution's docs show it */
	assert_int_equal(
		www_auth_parse("Bearer realm=\"https://auth.docker.io/token\","
			       "service=\"registry.docker.io\","
			       "scope=\"repository:samalba/my-app:pull,push\","
			       "error=\"insufficient_scope\"",
			       &a, err, sizeof(err)),
		0);
	assert_string_equal(a.scope, "repository:samalba/my-app:pull,push");
	assert_string_equal(a.error, "insufficient_scope");

	/* ghcr.io, and no scope (a /v2/ ping) */
	assert_int_equal(www_auth_parse("Bearer realm=\"https://ghcr.io/token\""
					",service=\"ghcr.io\"",
					&a, err, sizeof(err)),
			 0);
	assert_string_equal(a.realm, "https://ghcr.io/token");
	assert_string_equal(a.scope, "");
}

static void test_syntax(void **state)
{
	struct www_auth a;
	char err[200];

	(void)state;
	/* case-insensitive scheme and names; BWS; tokens as values */
	assert_int_equal(www_auth_parse("bEARER  REALM = \"https://r/t\" ,\t"
					"Service=registry.example.com , "
					"scope=\"repository:a/b:pull "
					"repository:c/d:pull\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BEARER);
	assert_string_equal(a.realm, "https://r/t");
	assert_string_equal(a.service, "registry.example.com");
	assert_string_equal(a.scope, "repository:a/b:pull repository:c/d:pull");

	/* quoted-pairs: any character may be escaped */
	assert_int_equal(
		www_auth_parse("Bearer realm=\"https://r/t?q=\\\"x\\\"\""
			       ",service=\"a\\\\b\\c\"",
			       &a, err, sizeof(err)),
		0);
	assert_string_equal(a.realm, "https://r/t?q=\"x\"");
	assert_string_equal(a.service, "a\\bc");

	/* empty list elements and unknown parameters are fine */
	assert_int_equal(www_auth_parse(" , Bearer realm=\"r\",, "
					"foo=bar, x=\"y,z\", ,",
					&a, err, sizeof(err)),
			 0);
	assert_string_equal(a.realm, "r");
}

static void test_multiple(void **state)
{
	struct www_auth a;
	char err[200];

	(void)state;
	/* Bearer wins wherever it is */
	assert_int_equal(www_auth_parse("Basic realm=\"Registry Realm\", "
					"Bearer realm=\"https://r/token\","
					"service=\"r\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BEARER);
	assert_string_equal(a.realm, "https://r/token");
	assert_string_equal(a.service, "r");
	assert_int_equal(www_auth_parse("Bearer realm=\"https://r/token\", "
					"Basic realm=\"Registry Realm\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BEARER);
	assert_string_equal(a.realm, "https://r/token");

	/* unknown schemes, with a token68 or parameters, are passed over */
	assert_int_equal(www_auth_parse("Negotiate, NTLM TlRMTVNTUAABAAAAB4II"
					"og==, Digest realm=\"d\", nonce=\"n\","
					" Basic realm=\"Registry\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BASIC);
	assert_string_equal(a.realm, "Registry");
	assert_int_equal(www_auth_parse("Newauth realm=\"apps\", type=1, "
					"title=\"Login to \\\"apps\\\"\", "
					"Bearer realm=\"https://r/t\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BEARER);
	assert_string_equal(a.realm, "https://r/t");

	/* the first Bearer counts; a flaw in a challenge not taken does not */
	assert_int_equal(www_auth_parse("Bearer realm=\"a\", Bearer "
					"realm=\"b\",realm=\"c\"",
					&a, err, sizeof(err)),
			 0);
	assert_string_equal(a.realm, "a");
	assert_int_equal(www_auth_parse("Basic realm=\"Z\xc3\xbcrich\", "
					"realm=\"x\", Bearer realm=\"b\"",
					&a, err, sizeof(err)),
			 0);
	assert_string_equal(a.realm, "b");
}

static void test_basic(void **state)
{
	struct www_auth a;
	char err[200];

	(void)state;
	assert_int_equal(www_auth_parse("Basic realm=\"Registry Realm\"", &a,
					err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BASIC);
	assert_string_equal(a.realm, "Registry Realm");
	assert_int_equal(www_auth_parse("basic realm=\"x\", charset=\"UTF-8\"",
					&a, err, sizeof(err)),
			 0);
	assert_int_equal(a.scheme, WWW_AUTH_BASIC);
	/* RFC 7617 wants a realm; Basic does not need one to work */
	assert_int_equal(www_auth_parse("Basic", &a, err, sizeof(err)), 0);
	assert_int_equal(a.scheme, WWW_AUTH_BASIC);
	assert_string_equal(a.realm, "");
}

static void test_reject(void **state)
{
	struct www_auth a;
	char err[200];

	(void)state;
	static const struct {
		const char *value, *why;
		int ret;
	} bad[] = {
		/* no realm */
		{ "Bearer service=\"registry.docker.io\"",
		  "Bearer challenge has no realm", -EINVAL },
		{ "Bearer", "Bearer challenge has no realm", -EINVAL },
		{ "Bearer realm=\"\"", "Bearer challenge has no realm",
		  -EINVAL },
		{ "Bearer realm=", "Bearer challenge has no realm", -EINVAL },
		{ "Bearer dG9rZW4=", "Bearer challenge has no realm", -EINVAL },
		{ "Basic realm=\"x\", Bearer scope=\"s\"",
		  "Bearer challenge has no realm", -EINVAL },
		/* other schemes */
		{ "Negotiate",
		  "unsupported authentication scheme \"Negotiate\"", -ENOTSUP },
		{ "Digest realm=\"r\", nonce=\"abc\", qop=\"auth\"",
		  "unsupported authentication scheme \"Digest\"", -ENOTSUP },
		{ "Negotiate, NTLM",
		  "unsupported authentication scheme \"Negotiate\"", -ENOTSUP },
		{ "BearerX realm=\"r\"",
		  "unsupported authentication scheme \"BearerX\"", -ENOTSUP },
		/* values */
		{ "Bearer realm=\"a\",realm=\"b\"",
		  "Bearer challenge: parameter \"realm\" appears twice",
		  -EINVAL },
		{ "Bearer realm=\"a\",Scope=\"b\",scope=\"c\"",
		  "parameter \"scope\" appears twice", -EINVAL },
		{ "Bearer realm=\"https://h\xc3\xa9/t\"",
		  "Bearer challenge: realm is not printable ASCII", -EINVAL },
		{ "Bearer realm=\"https://r/t\",SERVICE=\"a\tb\"",
		  "service is not printable ASCII", -EINVAL },
		/* garbage */
		{ "", "no challenge", -EINVAL },
		{ " ,\t, ", "no challenge", -EINVAL },
		{ "=", "malformed at byte 0", -EINVAL },
		{ "\"Bearer\"", "malformed at byte 0", -EINVAL },
		{ "Bearer realm=\"unterminated", "malformed", -EINVAL },
		{ "Bearer realm=\"x\\", "malformed", -EINVAL },
		{ "Bearer realm=\"x\" junk", "malformed at byte 17", -EINVAL },
		{ "Bearer realm=\"x\"\"y\"", "malformed at byte 16", -EINVAL },
		{ "Bearer realm=https://r/t", "malformed at byte 18", -EINVAL },
		{ "Bearer realm=\"a\x01b\"", "malformed", -EINVAL },
		{ "Bearer realm=\"a\x7f\"", "malformed", -EINVAL },
		{ "Bearer realm=\"a\"; service=\"b\"", "malformed", -EINVAL },
		{ "Bearer\"realm\"", "malformed at byte 6", -EINVAL },
		{ "Bearer ab=c=", "malformed", -EINVAL },
		{ "Bearer a b", "malformed", -EINVAL },
		{ "Bearer =x", "malformed at byte 7", -EINVAL },
		{ "Bearer realm=\"r\", =x", "malformed", -EINVAL },
		{ "NTLM abc=def=", "malformed", -EINVAL },
		{ "\xc3\xa9", "malformed at byte 0", -EINVAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		int r = www_auth_parse(bad[i].value, &a, err, sizeof(err));
		if (r != bad[i].ret || !strstr(err, bad[i].why) ||
		    strncmp(err, "WWW-Authenticate: ", 18))
			fail_msg("'%s': %d '%s'", bad[i].value, r, err);
		assert_int_equal(a.scheme, 0);
	}
}

static void test_limits(void **state)
{
	struct www_auth a;
	char err[200];
	char *s = malloc(WWW_AUTH_MAX + 64);

	(void)state;
	int off = sprintf(s, "Bearer realm=\"");
	memset(s + off, 'r', WWW_AUTH_REALM_MAX - 1);
	strcpy(s + off + WWW_AUTH_REALM_MAX - 1, "\"");
	assert_int_equal(www_auth_parse(s, &a, err, sizeof(err)), 0);
	assert_int_equal(strlen(a.realm), WWW_AUTH_REALM_MAX - 1);
	memset(s + off, 'r', WWW_AUTH_REALM_MAX);
	strcpy(s + off + WWW_AUTH_REALM_MAX, "\"");
	assert_int_equal(www_auth_parse(s, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "Bearer challenge: realm is longer than "
				    "2047 bytes"));

	/* the whole value: up to WWW_AUTH_MAX bytes */
	off = sprintf(s, "Bearer realm=\"r\"");
	memset(s + off, ' ', WWW_AUTH_MAX - off);
	s[WWW_AUTH_MAX] = '\0';
	assert_int_equal(www_auth_parse(s, &a, err, sizeof(err)), 0);
	strcat(s, " ");
	assert_int_equal(www_auth_parse(s, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 8192 bytes"));
	free(s);
}

static int tparse(const char *json, struct bearer_token *t, char *err)
{
	return bearer_token_parse(json, strlen(json), t, err, 200);
}

static void test_token(void **state)
{
	struct bearer_token *t = malloc(sizeof(*t));
	char err[200];

	(void)state;
	/* auth.docker.io's answer, token cut short */
	assert_int_equal(
		tparse("{\"token\":\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsIng1"
		       "YyI6WyJNSUlFRmpDQ0F2NmdBd0lCQWdJVUlRUFVO.eyJhY2Nlc3Mi"
		       "Olt7InR5cGUiOiJyZXBvc2l0b3J5In1dfQ.c2lnbmF0dXJl-_\","
		       "\"access_token\":\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIs"
		       "Ing1YyI6WyJNSUlFRmpDQ0F2NmdBd0lCQWdJVUlRUFVO.eyJhY2Nl"
		       "c3MiOlt7InR5cGUiOiJyZXBvc2l0b3J5In1dfQ.c2lnbmF0dXJl-_"
		       "\",\"expires_in\":300,\"issued_at\":"
		       "\"2024-11-27T10:14:03.123456789Z\"}\n",
		       t, err),
		0);
	assert_string_equal(
		t->token, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsIng1YyI6WyJNSUl"
			  "FRmpDQ0F2NmdBd0lCQWdJVUlRUFVO.eyJhY2Nlc3MiOlt7InR5c"
			  "GUiOiJyZXBvc2l0b3J5In1dfQ.c2lnbmF0dXJl-_");
	assert_int_equal(t->expires_in, 300);

	/* OAuth2 style only; padding; absent expiry */
	assert_int_equal(
		tparse("{\"access_token\":\"djE6b3JnL2FwcDoxNzMy==\"}", t, err),
		0);
	assert_string_equal(t->token, "djE6b3JnL2FwcDoxNzMy==");
	assert_int_equal(t->expires_in, 60);
	/* both, different: token */
	assert_int_equal(tparse("{\"access_token\":\"b\",\"token\":\"a\","
				"\"expires_in\":3600}",
				t, err),
			 0);
	assert_string_equal(t->token, "a");
	assert_int_equal(t->expires_in, 3600);
	/* an empty or null token gives way to access_token */
	assert_int_equal(
		tparse("{\"token\":\"\",\"access_token\":\"b\"}", t, err), 0);
	assert_string_equal(t->token, "b");
	assert_int_equal(tparse("{\"token\":null,\"access_token\":\"b\","
				"\"expires_in\":null}",
				t, err),
			 0);
	assert_string_equal(t->token, "b");
	assert_int_equal(t->expires_in, 60);
	/* never under 60 s */
	assert_int_equal(tparse("{\"token\":\"a\",\"expires_in\":30}", t, err),
			 0);
	assert_int_equal(t->expires_in, 60);
	assert_int_equal(tparse("{\"token\":\"a\",\"expires_in\":-5}", t, err),
			 0);
	assert_int_equal(t->expires_in, 60);
	assert_int_equal(tparse("{\"token\":\"a\",\"expires_in\":61}", t, err),
			 0);
	assert_int_equal(t->expires_in, 61);

	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "[\"token\"]", "not a JSON object" },
		{ "{\"token\":\"a\"} {}", "text after it" },
		{ "{}", "no \"token\" or \"access_token\"" },
		{ "{\"token\":\"\"}", "no \"token\" or \"access_token\"" },
		{ "{\"token\":5}", "is not a string" },
		{ "{\"token\":\"a\",\"access_token\":[]}", "is not a string" },
		{ "{\"token\":\"a\",\"token\":\"b\"}", "\"token\" twice" },
		{ "{\"token\":\"a b\"}", "not an RFC 6750 b64token" },
		{ "{\"token\":\"a\\r\\nX-Evil: 1\"}", "b64token" },
		{ "{\"token\":\"a\\\"\"}", "b64token" },
		{ "{\"token\":\"=abc\"}", "b64token" },
		{ "{\"token\":\"ab=c\"}", "b64token" },
		{ "{\"token\":\"\xc3\xa9\"}", "b64token" },
		{ "{\"token\":\"a\",\"expires_in\":\"300\"}",
		  "\"expires_in\" is not a whole number" },
		{ "{\"token\":\"a\",\"expires_in\":1.5}",
		  "not a whole number" },
		{ "{\"token\":\"a\",\"expires_in\":1e300}",
		  "not a whole number" },
		{ "{\"token\":\"a\",\"expires_in\":true}",
		  "not a whole number" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (tparse(bad[i].json, t, err) != -EINVAL ||
		    !strstr(err, bad[i].why) ||
		    strncmp(err, "token response: ", 16))
			fail_msg("%s: '%s'", bad[i].json, err);
		assert_string_equal(t->token, "");
	}

	/* sizes: the token, the document, a NUL inside */
	char *s = malloc(BEARER_JSON_MAX + 2);
	int off = sprintf(s, "{\"token\":\"");
	memset(s + off, 'A', BEARER_TOKEN_MAX);
	strcpy(s + off + BEARER_TOKEN_MAX, "\"}");
	assert_int_equal(tparse(s, t, err), 0);
	assert_int_equal(strlen(t->token), BEARER_TOKEN_MAX);
	memset(s + off, 'A', BEARER_TOKEN_MAX + 1);
	strcpy(s + off + BEARER_TOKEN_MAX + 1, "\"}");
	assert_int_equal(tparse(s, t, err), -EINVAL);
	assert_non_null(strstr(err, "token is longer than 8192 bytes"));
	off = sprintf(s, "{\"token\":\"a\"}");
	memset(s + off, ' ', BEARER_JSON_MAX - off);
	assert_int_equal(
		bearer_token_parse(s, BEARER_JSON_MAX, t, err, sizeof(err)), 0);
	s[BEARER_JSON_MAX] = ' ';
	assert_int_equal(
		bearer_token_parse(s, BEARER_JSON_MAX + 1, t, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(bearer_token_parse("{\"token\":\"a\"}\0", 14, t, err,
					    sizeof(err)),
			 -EINVAL);
	free(s);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_hub),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_multiple),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

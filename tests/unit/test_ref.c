// SPDX-License-Identifier: MIT
/*
 * Image references: what docker and containerd make of them (domain,
 * path, tag, digest, the canonical and the familiar form), and what they
 * refuse, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/ref.h"

#define H64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D "sha256:" H64
#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10

/* A heap copy of exactly strlen + 1 bytes, so ASan sees any overread. */
static int parse(const char *s, struct image_ref *r, char *err, size_t len)
{
	char *copy = strdup(s);
	int rc;

	assert_non_null(copy);
	rc = image_ref_parse(copy, r, err, len);
	free(copy);
	return rc;
}

static void test_valid(void **state)
{
	static const struct {
		const char *in, *domain, *path, *tag, *digest, *canon, *fam;
	} cases[] = {
		{ "nginx", "docker.io", "library/nginx", "latest", "",
		  "docker.io/library/nginx:latest", "nginx:latest" },
		{ "nginx:1.25", "docker.io", "library/nginx", "1.25", "",
		  "docker.io/library/nginx:1.25", "nginx:1.25" },
		{ "library/nginx", "docker.io", "library/nginx", "latest", "",
		  "docker.io/library/nginx:latest", "nginx:latest" },
		{ "docker.io/nginx", "docker.io", "library/nginx", "latest", "",
		  "docker.io/library/nginx:latest", "nginx:latest" },
		{ "index.docker.io/library/nginx", "docker.io", "library/nginx",
		  "latest", "", "docker.io/library/nginx:latest",
		  "nginx:latest" },
		{ "index.docker.io/nginx:alpine", "docker.io", "library/nginx",
		  "alpine", "", "docker.io/library/nginx:alpine",
		  "nginx:alpine" },
		{ "ghcr.io/org/app@" D, "ghcr.io", "org/app", "", D,
		  "ghcr.io/org/app@" D, "ghcr.io/org/app@" D },
		{ "localhost/foo", "localhost", "foo", "latest", "",
		  "localhost/foo:latest", "localhost/foo:latest" },
		{ "localhost:5000/foo:bar", "localhost:5000", "foo", "bar", "",
		  "localhost:5000/foo:bar", "localhost:5000/foo:bar" },
		{ "127.0.0.1:5000/a/b/c:v1", "127.0.0.1:5000", "a/b/c", "v1",
		  "", "127.0.0.1:5000/a/b/c:v1", "127.0.0.1:5000/a/b/c:v1" },
		{ "[::1]:5000/x", "[::1]:5000", "x", "latest", "",
		  "[::1]:5000/x:latest", "[::1]:5000/x:latest" },
		{ "[2001:db8::1]/img", "[2001:db8::1]", "img", "latest", "",
		  "[2001:db8::1]/img:latest", "[2001:db8::1]/img:latest" },
		{ "foo/bar", "docker.io", "foo/bar", "latest", "",
		  "docker.io/foo/bar:latest", "foo/bar:latest" },
		{ "registry.example.com:443/a_b/c__d/e-f:1.0-rc.1",
		  "registry.example.com:443", "a_b/c__d/e-f", "1.0-rc.1", "",
		  "registry.example.com:443/a_b/c__d/e-f:1.0-rc.1",
		  "registry.example.com:443/a_b/c__d/e-f:1.0-rc.1" },
		{ "nginx:1.25@" D, "docker.io", "library/nginx", "1.25", D,
		  "docker.io/library/nginx:1.25@" D, "nginx:1.25@" D },
		{ "nginx@" D, "docker.io", "library/nginx", "", D,
		  "docker.io/library/nginx@" D, "nginx@" D },
		{ "host:5000/a/b:tag@" D, "host:5000", "a/b", "tag", D,
		  "host:5000/a/b:tag@" D, "host:5000/a/b:tag@" D },
		{ "docker.io/library/a/b:x", "docker.io", "library/a/b", "x",
		  "", "docker.io/library/a/b:x", "library/a/b:x" },
		/* shortened, these would name registries foo.com, localhost */
		{ "docker.io/foo.com/bar", "docker.io", "foo.com/bar", "latest",
		  "", "docker.io/foo.com/bar:latest",
		  "docker.io/foo.com/bar:latest" },
		{ "docker.io/localhost/bar", "docker.io", "localhost/bar",
		  "latest", "", "docker.io/localhost/bar:latest",
		  "docker.io/localhost/bar:latest" },
		/* with no '/' there is no domain: these are names and tags */
		{ "localhost", "docker.io", "library/localhost", "latest", "",
		  "docker.io/library/localhost:latest", "localhost:latest" },
		{ "localhost:5000", "docker.io", "library/localhost", "5000",
		  "", "docker.io/library/localhost:5000", "localhost:5000" },
		{ "docker.io", "docker.io", "library/docker.io", "latest", "",
		  "docker.io/library/docker.io:latest", "docker.io:latest" },
		{ "a--b_c/e__f.g:TAG_Upper", "docker.io", "a--b_c/e__f.g",
		  "TAG_Upper", "", "docker.io/a--b_c/e__f.g:TAG_Upper",
		  "a--b_c/e__f.g:TAG_Upper" },
		{ "my-registry.local:65535/team/app:_x",
		  "my-registry.local:65535", "team/app", "_x", "",
		  "my-registry.local:65535/team/app:_x",
		  "my-registry.local:65535/team/app:_x" },
		/* docker keeps a registry's case as written */
		{ "Registry.Example.COM/app", "Registry.Example.COM", "app",
		  "latest", "", "Registry.Example.COM/app:latest",
		  "Registry.Example.COM/app:latest" },
		{ "gcr.io/a", "gcr.io", "a", "latest", "", "gcr.io/a:latest",
		  "gcr.io/a:latest" },
		{ "1.2.3.4/x:y", "1.2.3.4", "x", "y", "", "1.2.3.4/x:y",
		  "1.2.3.4/x:y" },
		/* an image ID only when it is all there is */
		{ H64 ":latest", "docker.io", "library/" H64, "latest", "",
		  "docker.io/library/" H64 ":latest", H64 ":latest" },
		{ "library/" H64, "docker.io", "library/" H64, "latest", "",
		  "docker.io/library/" H64 ":latest", H64 ":latest" },
		{ "localhost:5000/a.b-c/d@" D, "localhost:5000", "a.b-c/d", "",
		  D, "localhost:5000/a.b-c/d@" D, "localhost:5000/a.b-c/d@" D },
	};
	struct image_ref r, back;
	char err[256], canon[IMAGE_REF_MAX + 1], fam[IMAGE_REF_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (parse(cases[i].in, &r, err, sizeof(err)))
			fail_msg("%s: %s", cases[i].in, err);
		assert_string_equal(r.domain, cases[i].domain);
		assert_string_equal(r.path, cases[i].path);
		assert_string_equal(r.tag, cases[i].tag);
		assert_string_equal(r.digest, cases[i].digest);
		assert_int_equal(image_ref_format(&r, canon, sizeof(canon)), 0);
		assert_string_equal(canon, cases[i].canon);
		assert_int_equal(image_ref_familiar(&r, fam, sizeof(fam)), 0);
		assert_string_equal(fam, cases[i].fam);

		/* both forms name the same image */
		assert_int_equal(parse(canon, &back, err, sizeof(err)), 0);
		assert_memory_equal(&r, &back, sizeof(r));
		assert_int_equal(parse(fam, &back, err, sizeof(err)), 0);
		assert_memory_equal(&r, &back, sizeof(r));
	}
}

static void test_invalid(void **state)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "", "empty image reference" },
		{ "Nginx", "repository name must be lowercase" },
		{ "docker.io/Library/nginx", "must be lowercase" },
		{ "Foo/bar", "must be lowercase" },
		{ "nginx:", "invalid tag format" },
		{ "a:b:c", "invalid tag format" },
		{ "a:-tag", "invalid tag format" },
		{ "a:.tag", "invalid tag format" },
		{ ":tag", "no repository name" },
		{ "@" D, "no repository name" },
		{ "a//b", "invalid reference format" },
		{ "-a", "invalid reference format" },
		{ "a-", "invalid reference format" },
		{ ".a", "invalid reference format" },
		{ "a..b", "invalid reference format" },
		{ "a___b", "invalid reference format" },
		{ "a_-b", "invalid reference format" },
		{ "a/", "invalid reference format" },
		{ "localhost/", "invalid reference format" },
		{ "/a", "invalid reference format" },
		{ "a b", "invalid reference format" },
		{ "a\nb", "invalid reference format" },
		{ "a/b~c", "invalid reference format" },
		{ "a@sha256:short", "sha256 needs 64 lowercase hex digits" },
		{ "a@sha256:" A10, "sha256 needs 64" },
		/* 63 digits, then 65 */
		{ "a@sha256:"
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852"
		  "b85",
		  "sha256 needs 64" },
		{ "a@" D "0", "sha256 needs 64" },
		{ "a@sha256:"
		  "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852"
		  "B855",
		  "sha256 needs 64 lowercase" },
		{ "a@md5:d41d8cd98f00b204e9800998ecf8427e",
		  "unsupported digest algorithm" },
		{ "a@sha512:" H64 H64, "unsupported digest algorithm" },
		{ "a@", "invalid digest format" },
		{ "a@sha256", "invalid digest format" },
		{ "a@:" H64, "invalid digest format" },
		{ "a@sha256+:" H64, "invalid digest format" },
		{ "a@" D "@" D, "sha256 needs 64" },
		{ "localhost:0/a", "invalid registry port" },
		{ "localhost:99999/a", "invalid registry port" },
		{ "localhost:65536/a", "invalid registry port" },
		{ "localhost:/a", "invalid registry port" },
		{ "localhost:050/a", "invalid registry port" },
		{ "localhost:5x/a", "invalid registry port" },
		{ "[::1/a", "invalid registry host" },
		{ "[zz::1]:5000/a", "invalid registry host" },
		{ "[::1]x/a", "invalid registry host" },
		{ "[]/a", "invalid registry host" },
		{ "[1.2.3.4]/a", "invalid registry host" },
		{ "-bad.com/a", "invalid registry host" },
		{ "bad-.com/a", "invalid registry host" },
		{ "a..com/x", "invalid registry host" },
		{ "my_reg.com/x", "invalid registry host" },
		{ A50 "aaaaaaaaaaaaaa.com/x", "invalid registry host" },
		{ H64, "image ID" },
	};
	struct image_ref r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		memset(err, 0, sizeof(err));
		if (parse(cases[i].in, &r, err, sizeof(err)) != -EINVAL)
			fail_msg("%s: accepted", cases[i].in);
		if (!strstr(err, cases[i].why))
			fail_msg("%s: \"%s\", not \"%s\"", cases[i].in, err,
				 cases[i].why);
		/* a refused reference leaves nothing behind */
		assert_int_equal(
			r.domain[0] | r.path[0] | r.tag[0] | r.digest[0], 0);
	}
}

/* The limits: name 255 (after normalising), tag 128, reference 512. */
static void test_lengths(void **state)
{
	struct image_ref r;
	char err[256], in[1024], out[IMAGE_REF_MAX + 1];

	(void)state;
	/* "example.com/" and 243 bytes: 255 */
	snprintf(in, sizeof(in), "example.com/%.243s", A50 A50 A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.path), 243);
	snprintf(in, sizeof(in), "example.com/%.244s", A50 A50 A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not be more than 255 characters"));

	/* "docker.io/library/" counts: 237 bytes are the most that fit */
	snprintf(in, sizeof(in), "%.237s", A50 A50 A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), 0);
	snprintf(in, sizeof(in), "%.238s", A50 A50 A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not be more than 255"));
	/* ... while index.docker.io/ shortens to docker.io/ */
	snprintf(in, sizeof(in), "index.docker.io/x/%.243s",
		 A50 A50 A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), 0);

	snprintf(in, sizeof(in), "a:%.128s", A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.tag), 128);
	snprintf(in, sizeof(in), "a:%.129s", A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid tag format"));

	/* the longest a reference can be, and its forms fit */
	snprintf(in, sizeof(in), "example.com/%.243s:%.128s@" D,
		 A50 A50 A50 A50 A50, A50 A50 A50);
	assert_int_equal(parse(in, &r, err, sizeof(err)), 0);
	assert_int_equal(image_ref_format(&r, out, sizeof(out)), 0);
	assert_string_equal(out, in);
	assert_int_equal(image_ref_familiar(&r, out, sizeof(out)), 0);
	assert_string_equal(out, in);

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 512 bytes"));
	in[IMAGE_REF_MAX + 1] = '\0';
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 512 bytes"));
	in[IMAGE_REF_MAX] = '\0';
	assert_int_equal(parse(in, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not be more than 255"));
}

/* Errors quote the input, safely for a log line, and fit any buffer. */
static void test_errors(void **state)
{
	struct image_ref r;
	char err[256], small[8];

	(void)state;
	assert_int_equal(parse("nginx:", &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "image reference \"nginx:\": invalid tag format");
	assert_int_equal(parse("a\"b\n\x1b[31m", &r, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "\"a?b??[31m\""));
	assert_int_equal(parse(A50 A50 "/B", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"" A10 A10 A10 A10 "aaaaaaaa...\""));
	assert_non_null(strstr(err, "lowercase"));

	assert_int_equal(parse("nginx:", &r, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "image r");
	assert_int_equal(parse("nginx:", &r, NULL, 0), -EINVAL);
	assert_int_equal(image_ref_parse(NULL, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
}

static void test_format_space(void **state)
{
	struct image_ref r;
	char err[128], out[64];

	(void)state;
	assert_int_equal(parse("nginx", &r, err, sizeof(err)), 0);
	/* "docker.io/library/nginx:latest" is 30 bytes, and its NUL */
	assert_int_equal(image_ref_format(&r, out, 31), 0);
	assert_int_equal(image_ref_format(&r, out, 30), -ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(image_ref_familiar(&r, out, 13), 0);
	assert_string_equal(out, "nginx:latest");
	assert_int_equal(image_ref_familiar(&r, out, 12), -ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(image_ref_format(&r, NULL, 0), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_format_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

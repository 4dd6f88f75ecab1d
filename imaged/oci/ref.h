/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REF_H
#define KEEL_REF_H

#include <stddef.h>

/*
 * Image references ("nginx", "ghcr.io/org/app:1.2@sha256:...") as pod
 * manifests and users write them, parsed by the grammar of
 * distribution/reference (reference.go, "Grammar") and normalised the way
 * docker and containerd do ("normalized named"): a name with no registry
 * is on docker.io, a one-component name there is under "library/", and
 * "index.docker.io" is docker.io.
 *
 * Everything here is pure, so it runs in unit tests and under the fuzzer:
 * the input is untrusted and only read up to its NUL or IMAGE_REF_MAX.
 */

/* Longest reference accepted, in bytes: more than any valid one needs. */
#define IMAGE_REF_MAX 512
/* The grammar's limit on domain + '/' + path (NameTotalLengthMax). */
#define IMAGE_REF_NAME_MAX 255
#define IMAGE_REF_TAG_MAX 128

struct image_ref {
	char domain[256]; /* "docker.io", "localhost:5000", "[::1]:5000" */
	char path[256]; /* "library/nginx", "org/app" */
	char tag[IMAGE_REF_TAG_MAX + 1]; /* "" with only a digest */
	char digest[72]; /* "sha256:<64 lowercase hex>" or "" */
};

/*
 * s into *r, normalised. With neither a tag nor a digest the tag is
 * "latest"; with both, both are kept. 0, or -EINVAL with err saying why
 * and naming the input.
 */
int image_ref_parse(const char *s, struct image_ref *r, char *err,
		    size_t errlen);

/* s parsed and written back as image_ref_format writes it; as parse. */
int image_ref_canonical(const char *s, char out[IMAGE_REF_MAX + 1], char *err,
			size_t errlen);

/*
 * The canonical text, "docker.io/library/nginx:latest": what parses back
 * to the same struct. 0, or -ENAMETOOLONG (out empty) if it does not fit;
 * a buffer of IMAGE_REF_MAX + 1 always does.
 */
int image_ref_format(const struct image_ref *r, char *out, size_t outlen);

/*
 * The short form `docker images` shows: docker.io and a lone "library/"
 * left off ("nginx:latest", "org/app:1"); other registries in full. It
 * parses back to the same reference. 0 or -ENAMETOOLONG as
 * image_ref_format.
 */
int image_ref_familiar(const struct image_ref *r, char *out, size_t outlen);

#endif

// SPDX-License-Identifier: MIT
/*
 * An image reference comes from a pod manifest or a user. Whatever parses
 * must be a reference by the distribution/reference grammar (checked here
 * against that grammar written as a POSIX regex), within its limits, and
 * its canonical and familiar forms must parse back to the same image.
 * Whatever does not parse must say why and leave nothing behind.
 */
#include "oci/ref.h"

#include <assert.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* reference.go's grammar, component by component */
#define DOMAIN_COMPONENT "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?"
#define HOST                                                               \
	"(" DOMAIN_COMPONENT "(\\." DOMAIN_COMPONENT ")*|\\[[a-fA-F0-9:]+" \
	"\\])"
#define PATH_COMPONENT "[a-z0-9]+(([_.]|__|-+)[a-z0-9]+)*"
#define NAME "(" HOST "(:[0-9]+)?/)?" PATH_COMPONENT "(/" PATH_COMPONENT ")*"
#define TAG "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#define DIGEST \
	"[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
#define REFERENCE "^" NAME "(:" TAG ")?(@" DIGEST ")?$"

static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static regex_t grammar;
	static int compiled;
	struct image_ref r, back;
	char err[256], canon[IMAGE_REF_MAX + 1], fam[IMAGE_REF_MAX + 1];
	char again[IMAGE_REF_MAX + 1];
	char *s;

	if (!compiled) {
		assert(regcomp(&grammar, REFERENCE, REG_EXTENDED | REG_NOSUB) ==
		       0);
		compiled = 1;
	}
	/* exactly size + 1 bytes, so ASan catches a read past the NUL */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(err, 0, sizeof(err));
	if (image_ref_parse(s, &r, err, sizeof(err))) {
		assert(err[0] && terminated(err, sizeof(err)));
		assert(!r.domain[0] && !r.path[0] && !r.tag[0] && !r.digest[0]);
		free(s);
		return 0;
	}
	assert(strlen(s) <= IMAGE_REF_MAX);
	assert(regexec(&grammar, s, 0, NULL, 0) == 0);
	assert(terminated(r.domain, sizeof(r.domain)) &&
	       terminated(r.path, sizeof(r.path)) &&
	       terminated(r.tag, sizeof(r.tag)) &&
	       terminated(r.digest, sizeof(r.digest)));
	assert(r.domain[0] && r.path[0] && (r.tag[0] || r.digest[0]));
	assert(strlen(r.domain) + 1 + strlen(r.path) <= IMAGE_REF_NAME_MAX);
	assert(!r.digest[0] || strlen(r.digest) == 71);

	/* the canonical form is a reference and names the same image */
	assert(image_ref_format(&r, canon, sizeof(canon)) == 0);
	assert(regexec(&grammar, canon, 0, NULL, 0) == 0);
	memset(&back, 0xa5, sizeof(back));
	assert(image_ref_parse(canon, &back, err, sizeof(err)) == 0);
	assert(memcmp(&r, &back, sizeof(r)) == 0);

	/* and so does the familiar one */
	assert(image_ref_familiar(&r, fam, sizeof(fam)) == 0);
	assert(strlen(fam) <= strlen(canon));
	assert(image_ref_parse(fam, &back, err, sizeof(err)) == 0);
	assert(image_ref_format(&back, again, sizeof(again)) == 0);
	assert(strcmp(canon, again) == 0);
	free(s);
	return 0;
}

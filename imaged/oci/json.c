// SPDX-License-Identifier: MIT
#include "oci/json.h"
#include "errmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int json_object_parse(const char *json, size_t len, cJSON **root, char *err,
		      size_t errlen)
{
	const char *end = NULL;

	/* cJSON stops after the value: what follows is looked at here */
	*root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!cJSON_IsObject(*root))
		return errmsg(err, errlen, -EINVAL, "not a JSON object");
	for (; end < json + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
			return errmsg(err, errlen, -EINVAL,
				      "not a JSON object (text after it)");
	return 0;
}

int json_member(const cJSON *o, const char *name, const cJSON **out)
{
	const cJSON *found = NULL;

	*out = NULL;
	for (const cJSON *c = o->child; c; c = c->next) {
		if (!c->string || strcmp(c->string, name))
			continue;
		if (found)
			return -EEXIST;
		found = c;
	}
	*out = found;
	return 0;
}

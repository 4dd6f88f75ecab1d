/* SPDX-License-Identifier: MIT */
#ifndef KEEL_JSON_H
#define KEEL_JSON_H

#include <cJSON.h>
#include <stddef.h>

/*
 * JSON from registries and token services, read as strictly as Go's
 * encoding/json (which wrote most of it, and reads it elsewhere) where
 * cJSON alone would be lenient: a second document or other text after
 * the object, and a member named twice, are refused rather than read in
 * a way another client might not (RFC 8259 sections 2 and 4).
 */

/*
 * len bytes that are one JSON object, with nothing but white space
 * after it: 0 and *root (the caller's to cJSON_Delete), or -EINVAL with
 * err saying which ("not a JSON object", "not a JSON object (text after
 * it)"); *root may then be set too, for the caller to delete.
 */
int json_object_parse(const char *json, size_t len, cJSON **root, char *err,
		      size_t errlen);

/*
 * The member of o called name into *out (NULL when it is absent): 0, or
 * -EEXIST when two members have that name. cJSON would hand back the
 * first where Go takes the last, so one digest could mean two things.
 */
int json_member(const cJSON *o, const char *name, const cJSON **out);

#endif

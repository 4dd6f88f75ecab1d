// SPDX-License-Identifier: MIT
#include "os/channel.h"

#include <cJSON.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

static const char *str_field(const cJSON *o, const char *name, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsString(v) || !v->valuestring[0] ||
	    strlen(v->valuestring) >= max)
		return NULL;
	for (const char *c = v->valuestring; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return NULL;
	return v->valuestring;
}

int channel_parse(struct channel *ch, const char *json, size_t len,
		  const char *board, char *err, size_t errlen)
{
	const char *why = NULL;
	cJSON *root = NULL;

	memset(ch, 0, sizeof(*ch));
	if (len > CHANNEL_MAX || memchr(json, '\0', len)) {
		snprintf(err, errlen, "channel: not a JSON document");
		return -EINVAL;
	}
	root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		why = "not a JSON object";
		goto bad;
	}
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!cJSON_IsNumber(fmt) || fmt->valuedouble != 1) {
		why = "format is not 1";
		goto bad;
	}
	const cJSON *serial = cJSON_GetObjectItemCaseSensitive(root, "serial");
	if (!cJSON_IsNumber(serial) || serial->valuedouble < 0 ||
	    serial->valuedouble > 9007199254740992.0 ||
	    serial->valuedouble != (long long)serial->valuedouble) {
		why = "\"serial\" is not a whole number >= 0";
		goto bad;
	}
	ch->serial = (long long)serial->valuedouble;
	const cJSON *boards = cJSON_GetObjectItemCaseSensitive(root, "boards");
	if (!cJSON_IsObject(boards)) {
		why = "no \"boards\" object";
		goto bad;
	}
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(boards, board);
	if (!b) {
		snprintf(err, errlen, "channel: nothing for board %s", board);
		cJSON_Delete(root);
		return -ENOENT;
	}
	long long keep = ch->serial;
	const char *version = str_field(b, "version", sizeof(ch->version));
	const char *url = str_field(b, "url", sizeof(ch->url));
	const cJSON *ro = cJSON_GetObjectItemCaseSensitive(b, "rollout");
	if (!version || !url) {
		why = "an entry needs \"version\" and \"url\" strings";
		goto bad;
	}
	if (!cJSON_IsNumber(ro) || ro->valuedouble < 0 ||
	    ro->valuedouble > 100 || ro->valuedouble != (int)ro->valuedouble) {
		why = "\"rollout\" is not a whole percentage 0..100";
		goto bad;
	}
	memset(ch, 0, sizeof(*ch));
	ch->serial = keep;
	strcpy(ch->version, version);
	strcpy(ch->url, url);
	ch->rollout = (int)ro->valuedouble;
	cJSON_Delete(root);
	return 0;
bad:
	snprintf(err, errlen, "channel: %s", why);
	cJSON_Delete(root);
	return -EINVAL;
}

int rollout_slot(const char *machine_id, const char *version)
{
	struct sha256_ctx sha;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&sha);
	sha256_update(&sha, strlen(machine_id), (const uint8_t *)machine_id);
	sha256_update(&sha, 1, (const uint8_t *)"\n");
	sha256_update(&sha, strlen(version), (const uint8_t *)version);
	sha256_digest(&sha, sizeof(d), d);
	uint32_t v = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
	return v % 100;
}

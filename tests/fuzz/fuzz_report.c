// SPDX-License-Identifier: MIT
/*
 * A report carries text the host did not write: an outcome read back
 * from /var (report_outcome_parse), a reason quoting a server's answer,
 * pod names from manifests. Whatever the bytes, the outcome file reads
 * back to what it was written as, and the document is one JSON object a
 * receiver parses, its reason printable ASCII of the same length.
 */
#include "os/report.h"

#include <assert.h>
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the next piece of data, up to a NUL, into buf */
static void take(const uint8_t **d, size_t *n, char *buf, size_t len)
{
	size_t i = 0;

	while (*n && **d && i < len - 1) {
		buf[i++] = (char)**d;
		(*d)++, (*n)--;
	}
	buf[i] = '\0';
	if (*n)
		(*d)++, (*n)--;
}

static void outcome_round_trip(const char *text)
{
	struct report_outcome o, again;
	char buf[REPORT_REASON_MAX + 128];

	if (report_outcome_parse(&o, text))
		return;
	assert(o.event[0] && o.result[0]);
	assert(report_outcome_format(&o, buf, sizeof(buf)) > 0);
	assert(!report_outcome_parse(&again, buf));
	assert(!memcmp(&o, &again, sizeof(o)));
}

static void document(const struct report *r)
{
	static char doc[REPORT_DOC_MAX];
	int n = report_encode(r, false, doc, sizeof(doc));

	assert(n > 0 && (size_t)n == strlen(doc));
	for (int i = 0; i < n; i++)
		assert((unsigned char)doc[i] >= 0x20 &&
		       (unsigned char)doc[i] < 0x7f);
	cJSON *j = cJSON_Parse(doc);
	assert(cJSON_IsObject(j));
	const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(j, "outcome");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(outcome, "reason");
	if (r->last.reason[0]) {
		assert(cJSON_IsString(why));
		assert(strlen(why->valuestring) == strlen(r->last.reason));
	}
	const cJSON *pods = cJSON_GetObjectItemCaseSensitive(j, "pods");
	assert(cJSON_GetArraySize(pods) == (int)r->n_pods);
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct report r;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	outcome_round_trip(text);
	free(text);

	report_init(&r);
	r.has_last = true;
	take(&data, &size, r.last.event, sizeof(r.last.event));
	take(&data, &size, r.last.result, sizeof(r.last.result));
	take(&data, &size, r.last.reason, sizeof(r.last.reason));
	take(&data, &size, r.hostname, sizeof(r.hostname));
	take(&data, &size, r.version, sizeof(r.version));
	while (size && r.n_pods < REPORT_PODS_MAX) {
		struct report_pod *p = &r.pods[r.n_pods++];
		take(&data, &size, p->name, sizeof(p->name));
		take(&data, &size, p->phase, sizeof(p->phase));
	}
	document(&r);
	return 0;
}

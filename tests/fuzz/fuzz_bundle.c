// SPDX-License-Identifier: MIT
/*
 * An update bundle comes from a server or a USB stick: its header and
 * manifest are read before anything else. (On a device the manifest is
 * parsed only after its signature checks out; here it is parsed
 * regardless, as if a signing key had leaked.)
 *
 * Whatever parses must hold together: payloads after the signed part,
 * in order of nothing, overlapping none, with a verity value init takes.
 */
#include "os/bundle.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_header h;
	struct manifest m;
	char err[256];

	if (bundle_header_parse(&h, data, size, err, sizeof(err)))
		return 0;
	size_t len = size - BUNDLE_HEADER_SIZE;
	if (len > h.manifest_len)
		len = h.manifest_len;
	uint64_t signed_end = BUNDLE_HEADER_SIZE + h.manifest_len + h.sig_len;
	if (manifest_parse(&m, (const char *)data + BUNDLE_HEADER_SIZE, len,
			   signed_end, err, sizeof(err)))
		return 0;
	assert(m.version[0] && m.board[0] && strchr(m.verity, ':'));
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *p = &m.payload[k];
		assert(p->size && p->offset >= signed_end &&
		       p->offset % 4096 == 0);
		for (int j = 0; j < k; j++)
			assert(p->offset >= m.payload[j].offset +
						    m.payload[j].size ||
			       m.payload[j].offset >= p->offset + p->size);
	}
	/* a version always equals itself */
	assert(version_compare(m.version, m.version) == 0);
	return 0;
}

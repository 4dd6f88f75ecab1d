// SPDX-License-Identifier: MIT
/*
 * An update bundle comes from a server or a USB stick: its header
 * (KEELBDL2, or the old KEELBDL1; seeds/bundle2 and seeds/bundle) and
 * manifest are read before anything else. (On a device the manifest is
 * parsed only after its signature checks out; here it is parsed
 * regardless, as if a signing key had leaked.)
 *
 * Whatever parses must hold together: payloads (and chunk indexes) after
 * the signed part, in order of nothing, overlapping none, with a verity
 * value init takes; in format 2 a root the size that value says.
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
	/* KEELBDL2, or the old KEELBDL1 (signed without the context) */
	assert(h.magic == 2 || h.magic == 1);
	assert(!memcmp(data, h.magic == 2 ? BUNDLE_MAGIC : BUNDLE_MAGIC_1,
		       BUNDLE_MAGIC_LEN));
	if (size >= BUNDLE_HEADER_SIZE + h.manifest_len) {
		uint8_t digest[32];
		bundle_digest(&h, data, digest);
	}
	size_t len = size - BUNDLE_HEADER_SIZE;
	if (len > h.manifest_len)
		len = h.manifest_len;
	uint64_t signed_end = BUNDLE_HEADER_SIZE + h.manifest_len + h.sig_len;
	if (manifest_parse(&m, (const char *)data + BUNDLE_HEADER_SIZE, len,
			   signed_end, err, sizeof(err)))
		return 0;
	assert(m.version[0] && m.board[0] && strchr(m.verity, ':'));
	assert(m.format >= BUNDLE_FORMAT_MIN && m.format <= BUNDLE_FORMAT);
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *p = &m.payload[k];
		uint64_t len = p->chunked ? p->index_size : p->size;
		if (!p->present) {
			assert(k == PAYLOAD_VERITY && m.format == 1);
			continue;
		}
		assert(p->size && len && p->offset >= signed_end &&
		       p->offset % 4096 == 0);
		for (int j = 0; j < k; j++) {
			const struct payload *q = &m.payload[j];
			uint64_t qlen = q->chunked ? q->index_size : q->size;
			assert(!q->present || p->offset >= q->offset + qlen ||
			       q->offset >= p->offset + len);
		}
	}
	/* format 2: the root is the data blocks the verity value names */
	if (m.format == 2)
		assert(m.payload[PAYLOAD_ROOT].size == m.data_blocks * 4096 &&
		       m.payload[PAYLOAD_ROOT].by_verity &&
		       !m.payload[PAYLOAD_VERITY].chunked);
	assert(manifest_is_delta(&m) == !!m.store[0]);
	/* a version always equals itself */
	assert(version_compare(m.version, m.version) == 0);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Manifests, indexes and configs come from whatever registry a pod
 * names. The input is parsed as all three kinds of document (a manifest
 * with a Content-Type chosen by the input's length, so plain JSON seeds
 * serve). What parses must be usable as is: counts within bounds,
 * supported layer types, digests that print back, strings terminated,
 * and a picked index entry that is an image for the host asked about.
 */
#include "oci/oci.h"
#include "oci/platform.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static struct oci_manifest m;
static struct oci_config c;

static const char *const content_types[] = {
	NULL,
	OCI_MT_INDEX,
	OCI_MT_MANIFEST,
	OCI_MT_DOCKER_LIST "; charset=utf-8",
	"application/json",
};

static const struct {
	const char *os, *arch, *variant;
} hosts[] = {
	{ "linux", "amd64", NULL }, { "linux", "arm64", NULL },
	{ "linux", "arm", "v7" },   { "linux", "arm64", "v9.2" },
	{ "linux", "amd64", "v3" }, { "windows", "amd64", "" },
};

static void check_size(int64_t size)
{
	assert(size >= 0 && size < (int64_t)1 << 53);
}

static void check_digest(const uint8_t d[32])
{
	char s[OCI_DIGEST_STR];
	uint8_t back[32];

	oci_digest_format(d, s);
	assert(strlen(s) == OCI_DIGEST_STR - 1);
	assert(oci_digest_parse(s, back) == 0 && !memcmp(back, d, 32));
}

static bool bounded(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_manifest(void)
{
	if (m.kind == OCI_KIND_MANIFEST) {
		assert(m.n_manifests == 0 && m.n_layers <= OCI_MAX_LAYERS);
		assert(m.config.media_type == OCI_MEDIA_CONFIG ||
		       m.config.media_type == OCI_MEDIA_DOCKER_CONFIG);
		check_size(m.config.size);
		check_digest(m.config.digest);
		for (size_t i = 0; i < m.n_layers; i++) {
			assert(oci_layer_compression(m.layers[i].media_type) >=
			       0);
			check_size(m.layers[i].size);
			check_digest(m.layers[i].digest);
		}
		for (size_t h = 0; h < sizeof(hosts) / sizeof(*hosts); h++)
			assert(oci_index_pick(&m, hosts[h].os, hosts[h].arch,
					      hosts[h].variant) == -1);
		return;
	}
	assert(m.kind == OCI_KIND_INDEX);
	assert(m.n_layers == 0 && m.n_manifests <= OCI_MAX_MANIFESTS);
	for (size_t i = 0; i < m.n_manifests; i++) {
		const struct oci_index_entry *e = &m.manifests[i];
		check_size(e->desc.size);
		check_digest(e->desc.digest);
		assert(bounded(e->platform.os, sizeof(e->platform.os)));
		assert(bounded(e->platform.architecture,
			       sizeof(e->platform.architecture)));
		assert(bounded(e->platform.variant,
			       sizeof(e->platform.variant)));
		assert(bounded(e->platform.os_version,
			       sizeof(e->platform.os_version)));
		assert(!e->has_platform ||
		       (e->platform.os[0] && e->platform.architecture[0]));
	}
	for (size_t h = 0; h < sizeof(hosts) / sizeof(*hosts); h++) {
		int i = oci_index_pick(&m, hosts[h].os, hosts[h].arch,
				       hosts[h].variant);
		if (i < 0) {
			assert(i == -1);
			continue;
		}
		assert((size_t)i < m.n_manifests);
		const struct oci_index_entry *e = &m.manifests[i];
		enum oci_media t = e->desc.media_type;
		assert(t == OCI_MEDIA_MANIFEST || t == OCI_MEDIA_INDEX ||
		       t == OCI_MEDIA_DOCKER_MANIFEST ||
		       t == OCI_MEDIA_DOCKER_LIST);
		if (e->has_platform) {
			assert(!strcasecmp(e->platform.os, hosts[h].os));
			assert(strcmp(e->platform.architecture, "unknown"));
		}
	}
}

static void check_config(void)
{
	assert(c.os[0] && c.architecture[0]);
	assert(c.n_env <= OCI_CONFIG_ARGS_MAX && !c.env[c.n_env]);
	assert(c.n_entrypoint <= OCI_CONFIG_ARGS_MAX &&
	       !c.entrypoint[c.n_entrypoint]);
	assert(c.n_cmd <= OCI_CONFIG_ARGS_MAX && !c.cmd[c.n_cmd]);
	assert(c.strings_used <= sizeof(c.strings));
	for (size_t i = 0; i < c.n_env; i++)
		assert(c.env[i][0] != '=' && strchr(c.env[i], '='));
	for (size_t i = 0; i < c.n_cmd; i++)
		assert(c.cmd[i] >= c.strings &&
		       c.cmd[i] + strlen(c.cmd[i]) <
			       c.strings + c.strings_used);
	assert(bounded(c.user, sizeof(c.user)));
	assert(bounded(c.working_dir, sizeof(c.working_dir)));
	assert(c.n_diff_ids <= OCI_MAX_LAYERS);
	for (size_t i = 0; i < c.n_diff_ids; i++)
		check_digest(c.diff_ids[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	char err[256];
	uint8_t d[32];

	const char *ct = content_types[size % 5];
	err[0] = '\0';
	if (oci_manifest_parse(json, size, ct, &m, err, sizeof(err)) == 0)
		check_manifest();
	else
		assert(err[0] && strlen(err) < sizeof(err));

	err[0] = '\0';
	if (oci_config_parse(json, size, &c, err, sizeof(err)) == 0)
		check_config();
	else
		assert(err[0]);

	/* a short input as a digest string */
	if (size < OCI_DIGEST_STR + 8) {
		char s[OCI_DIGEST_STR + 8];
		memcpy(s, data, size);
		s[size] = '\0';
		if (oci_digest_parse(s, d) == 0) {
			char back[OCI_DIGEST_STR];
			oci_digest_format(d, back);
			assert(!strcmp(back, s));
		}
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/* Registry documents: digests, manifests, indexes, platforms, configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"
#include "oci/platform.h"

#define H0 "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9"
#define H1 "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define H2 "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
#define H3 "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
#define H4 "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"
#define H5 "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"
#define H6 "e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683"
#define H7 "7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da49081b2451"
#define H8 "2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3"
#define H9 "19581e27de7ced00ff1ce50b2047e7a567c76b1cbaebabe5ef03f7c3017bb5b7"

/*
 * The shape docker.io serves for an official image today: an OCI index
 * with one manifest per platform, each followed by buildkit's
 * attestation manifest (platform unknown/unknown).
 */
static const char nginx_index[] =
	"{\n"
	"  \"manifests\": [\n"
	"    {\n"
	"      \"annotations\": {\n"
	"        \"com.docker.official-images.bashbrew.arch\": \"amd64\",\n"
	"        \"org.opencontainers.image.base.name\": "
	"\"debian:bookworm-slim\",\n"
	"        \"org.opencontainers.image.version\": \"1.27.3\"\n"
	"      },\n"
	"      \"digest\": \"sha256:" H0 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"amd64\", \"os\": "
	"\"linux\"},\n"
	"      \"size\": 2295\n"
	"    },\n"
	"    {\n"
	"      \"annotations\": {\n"
	"        \"vnd.docker.reference.digest\": \"sha256:" H0 "\",\n"
	"        \"vnd.docker.reference.type\": \"attestation-manifest\"\n"
	"      },\n"
	"      \"digest\": \"sha256:" H1 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"unknown\", \"os\": "
	"\"unknown\"},\n"
	"      \"size\": 841\n"
	"    },\n"
	"    {\n"
	"      \"digest\": \"sha256:" H2 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", "
	"\"variant\": \"v5\"},\n"
	"      \"size\": 2295\n"
	"    },\n"
	"    {\n"
	"      \"digest\": \"sha256:" H3 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", "
	"\"variant\": \"v7\"},\n"
	"      \"size\": 2295\n"
	"    },\n"
	"    {\n"
	"      \"digest\": \"sha256:" H4 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", "
	"\"variant\": \"v8\"},\n"
	"      \"size\": 2295\n"
	"    },\n"
	"    {\n"
	"      \"annotations\": {\n"
	"        \"vnd.docker.reference.digest\": \"sha256:" H4 "\",\n"
	"        \"vnd.docker.reference.type\": \"attestation-manifest\"\n"
	"      },\n"
	"      \"digest\": \"sha256:" H5 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"unknown\", \"os\": "
	"\"unknown\"},\n"
	"      \"size\": 841\n"
	"    },\n"
	"    {\n"
	"      \"digest\": \"sha256:" H6 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"386\", \"os\": \"linux\"},\n"
	"      \"size\": 2295\n"
	"    },\n"
	"    {\n"
	"      \"digest\": \"sha256:" H7 "\",\n"
	"      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"      \"platform\": {\"architecture\": \"s390x\", \"os\": "
	"\"linux\"},\n"
	"      \"size\": 2295\n"
	"    }\n"
	"  ],\n"
	"  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
	"  \"schemaVersion\": 2\n"
	"}\n";

/* An older Docker Hub manifest list, as docker push wrote them. */
static const char docker_list[] =
	"{\n"
	"   \"schemaVersion\": 2,\n"
	"   \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.list.v2+json\",\n"
	"   \"manifests\": [\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"         \"size\": 528,\n"
	"         \"digest\": \"sha256:" H0 "\",\n"
	"         \"platform\": {\n"
	"            \"architecture\": \"amd64\",\n"
	"            \"os\": \"linux\"\n"
	"         }\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"         \"size\": 528,\n"
	"         \"digest\": \"sha256:" H1 "\",\n"
	"         \"platform\": {\n"
	"            \"architecture\": \"arm\",\n"
	"            \"os\": \"linux\",\n"
	"            \"variant\": \"v6\"\n"
	"         }\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"         \"size\": 528,\n"
	"         \"digest\": \"sha256:" H2 "\",\n"
	"         \"platform\": {\n"
	"            \"architecture\": \"arm64\",\n"
	"            \"os\": \"linux\"\n"
	"         }\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"         \"size\": 1357,\n"
	"         \"digest\": \"sha256:" H3 "\",\n"
	"         \"platform\": {\n"
	"            \"architecture\": \"amd64\",\n"
	"            \"os\": \"windows\",\n"
	"            \"os.version\": \"10.0.17763.6532\",\n"
	"            \"os.features\": [\"win32k\"]\n"
	"         }\n"
	"      }\n"
	"   ]\n"
	"}";

/* An image manifest from the index above. */
static const char oci_manifest[] =
	"{\n"
	"  \"schemaVersion\": 2,\n"
	"  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
	"  \"config\": {\n"
	"    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
	"    \"digest\": \"sha256:" H8 "\",\n"
	"    \"size\": 8581\n"
	"  },\n"
	"  \"layers\": [\n"
	"    {\n"
	"      \"mediaType\": "
	"\"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
	"      \"digest\": \"sha256:" H0 "\",\n"
	"      \"size\": 28229016\n"
	"    },\n"
	"    {\n"
	"      \"mediaType\": "
	"\"application/vnd.oci.image.layer.v1.tar+zstd\",\n"
	"      \"digest\": \"sha256:" H1 "\",\n"
	"      \"size\": 43953022\n"
	"    },\n"
	"    {\n"
	"      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar\",\n"
	"      \"digest\": \"sha256:" H2 "\",\n"
	"      \"size\": 628,\n"
	"      \"annotations\": {\"org.opencontainers.image.title\": "
	"\"x\"}\n"
	"    }\n"
	"  ],\n"
	"  \"annotations\": {\n"
	"    \"com.docker.official-images.bashbrew.arch\": \"amd64\",\n"
	"    \"org.opencontainers.image.base.digest\": \"sha256:" H9 "\"\n"
	"  }\n"
	"}\n";

static const char docker_manifest[] =
	"{\n"
	"   \"schemaVersion\": 2,\n"
	"   \"mediaType\": "
	"\"application/vnd.docker.distribution.manifest.v2+json\",\n"
	"   \"config\": {\n"
	"      \"mediaType\": "
	"\"application/vnd.docker.container.image.v1+json\",\n"
	"      \"size\": 1472,\n"
	"      \"digest\": \"sha256:" H8 "\"\n"
	"   },\n"
	"   \"layers\": [\n"
	"      {\n"
	"         \"mediaType\": "
	"\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"         \"size\": 3408729,\n"
	"         \"digest\": \"sha256:" H9 "\"\n"
	"      }\n"
	"   ]\n"
	"}";

/* library/nginx's config, trimmed; docker writes nulls for empty lists */
static const char nginx_config[] =
	"{\"architecture\":\"arm64\",\"config\":{\"ExposedPorts\":{\"80/tcp\":"
	"{}},\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"
	"bin:/sbin:/bin\",\"NGINX_VERSION=1.27.3\",\"NJS_VERSION=0.8.7\","
	"\"NJS_RELEASE=1~bookworm\",\"PKG_RELEASE=1~bookworm\","
	"\"DYNPKG_RELEASE=1~bookworm\"],\"Entrypoint\":[\"/docker-entrypoint."
	"sh\"],\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],\"Labels\":{"
	"\"maintainer\":\"NGINX Docker Maintainers <docker-maint@nginx.com>\"},"
	"\"StopSignal\":\"SIGQUIT\",\"WorkingDir\":\"\",\"User\":\"\","
	"\"Volumes\":null,\"OnBuild\":null},\"created\":\"2024-11-26T18:42:"
	"08Z\","
	"\"history\":[{\"created\":\"2024-11-11T00:00:00Z\",\"created_by\":"
	"\"# debian.sh --arch 'arm64' out/ 'bookworm' '@1731283200'\","
	"\"comment\":\"debuerreotype 0.15\"}],\"os\":\"linux\",\"rootfs\":{"
	"\"type\":\"layers\",\"diff_ids\":[\"sha256:" H0 "\",\"sha256:" H1
	"\"]},\"variant\":\"v8\"}";

static int mparse(const char *json, const char *ct, struct oci_manifest *m,
		  char *err)
{
	return oci_manifest_parse(json, strlen(json), ct, m, err, 200);
}

static void check_digest(const uint8_t d[32], const char *hex)
{
	char s[OCI_DIGEST_STR], want[OCI_DIGEST_STR];

	oci_digest_format(d, s);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	assert_string_equal(s, want);
}

static void test_digest(void **state)
{
	uint8_t d[32];
	char s[OCI_DIGEST_STR];

	(void)state;
	assert_int_equal(oci_digest_parse("sha256:" H0, d), 0);
	assert_int_equal(d[0], 0x5f);
	assert_int_equal(d[31], 0xe9);
	oci_digest_format(d, s);
	assert_string_equal(s, "sha256:" H0);
	assert_int_equal(strlen(s) + 1, OCI_DIGEST_STR);

	static const char *const bad[] = {
		"",
		"sha256:",
		H0,
		"sha256" H0,
		"SHA256:" H0,
		"sha256: " H0,
		"sha256:" H0 "0",
		"sha256:" H0 " ",
		"sha256:"
		"5FECEB66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27"
		"fb57e9",
		"sha256:"
		"5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27"
		"fb57e",
		"sha256:"
		"5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27"
		"fb57eg",
		"sha512:" H0 H0,
		"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (oci_digest_parse(bad[i], d) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_media(void **state)
{
	(void)state;
	assert_int_equal(oci_media_lookup(OCI_MT_INDEX), OCI_MEDIA_INDEX);
	assert_int_equal(oci_media_lookup(OCI_MT_DOCKER_LAYER_GZIP),
			 OCI_MEDIA_DOCKER_LAYER_GZIP);
	assert_int_equal(oci_media_lookup("application/json"),
			 OCI_MEDIA_UNKNOWN);
	assert_int_equal(oci_media_lookup(""), OCI_MEDIA_UNKNOWN);
	/* registries send them exactly; a differently-cased one is not ours */
	assert_int_equal(
		oci_media_lookup("application/vnd.OCI.image.index.v1+json"),
		OCI_MEDIA_UNKNOWN);
	for (int t = 1; t < OCI_MEDIA_COUNT; t++)
		assert_int_equal(oci_media_lookup(oci_media_name(t)), t);
	assert_string_equal(oci_media_name(OCI_MEDIA_UNKNOWN), "");
	assert_string_equal(oci_media_name(OCI_MEDIA_COUNT), "");
	assert_int_equal(oci_layer_compression(OCI_MEDIA_LAYER_TAR),
			 OCI_COMP_NONE);
	assert_int_equal(oci_layer_compression(OCI_MEDIA_LAYER_GZIP),
			 OCI_COMP_GZIP);
	assert_int_equal(oci_layer_compression(OCI_MEDIA_DOCKER_LAYER_GZIP),
			 OCI_COMP_GZIP);
	assert_int_equal(oci_layer_compression(OCI_MEDIA_LAYER_ZSTD),
			 OCI_COMP_ZSTD);
	assert_int_equal(oci_layer_compression(OCI_MEDIA_NONDIST_GZIP), -1);
	assert_int_equal(oci_layer_compression(OCI_MEDIA_CONFIG), -1);
	assert_non_null(strstr(OCI_ACCEPT_MANIFESTS, OCI_MT_DOCKER_LIST));
}

static void test_index(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));
	char err[200];

	(void)state;
	assert_int_equal(mparse(nginx_index, OCI_MT_INDEX, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_INDEX);
	assert_int_equal(m->media_type, OCI_MEDIA_INDEX);
	assert_int_equal(m->n_manifests, 8);
	assert_int_equal(m->n_layers, 0);
	assert_int_equal(m->manifests[0].desc.media_type, OCI_MEDIA_MANIFEST);
	assert_int_equal(m->manifests[0].desc.size, 2295);
	check_digest(m->manifests[0].desc.digest, H0);
	assert_true(m->manifests[0].has_platform);
	assert_string_equal(m->manifests[0].platform.os, "linux");
	assert_string_equal(m->manifests[0].platform.architecture, "amd64");
	assert_string_equal(m->manifests[0].platform.variant, "");
	assert_string_equal(m->manifests[1].platform.os, "unknown");
	assert_string_equal(m->manifests[4].platform.variant, "v8");
	check_digest(m->manifests[7].desc.digest, H7);

	/* the attestations are never picked */
	assert_int_equal(oci_index_pick(m, "linux", "amd64", NULL), 0);
	assert_int_equal(oci_index_pick(m, "linux", "arm64", NULL), 4);
	assert_int_equal(oci_index_pick(m, "linux", "arm", "v7"), 3);
	assert_int_equal(oci_index_pick(m, "linux", "arm", "v6"), 2);
	assert_int_equal(oci_index_pick(m, "unknown", "unknown", NULL), -1);

	assert_int_equal(mparse(docker_list, NULL, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_INDEX);
	assert_int_equal(m->media_type, OCI_MEDIA_DOCKER_LIST);
	assert_int_equal(m->n_manifests, 4);
	assert_int_equal(m->manifests[2].desc.media_type,
			 OCI_MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m->manifests[3].platform.os, "windows");
	assert_string_equal(m->manifests[3].platform.os_version,
			    "10.0.17763.6532");
	assert_int_equal(oci_index_pick(m, "linux", "amd64", ""), 0);
	assert_int_equal(oci_index_pick(m, "windows", "amd64", ""), 3);
	assert_int_equal(oci_index_pick(m, "linux", "arm64", "v8"), 2);
	assert_int_equal(oci_index_pick(m, "linux", "arm", "v7"), 1);
	assert_int_equal(oci_index_pick(m, "linux", "riscv64", NULL), -1);
	free(m);
}

static void test_manifest(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));
	char err[200];

	(void)state;
	assert_int_equal(mparse(oci_manifest, NULL, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_MANIFEST);
	assert_int_equal(m->media_type, OCI_MEDIA_MANIFEST);
	assert_int_equal(m->config.media_type, OCI_MEDIA_CONFIG);
	assert_int_equal(m->config.size, 8581);
	check_digest(m->config.digest, H8);
	assert_int_equal(m->n_layers, 3);
	assert_int_equal(m->layers[0].media_type, OCI_MEDIA_LAYER_GZIP);
	assert_int_equal(m->layers[0].size, 28229016);
	check_digest(m->layers[0].digest, H0);
	assert_int_equal(m->layers[1].media_type, OCI_MEDIA_LAYER_ZSTD);
	assert_int_equal(m->layers[2].media_type, OCI_MEDIA_LAYER_TAR);
	check_digest(m->layers[2].digest, H2);
	assert_int_equal(m->n_manifests, 0);
	/* an image manifest has nothing to pick from */
	assert_int_equal(oci_index_pick(m, "linux", "amd64", NULL), -1);

	assert_int_equal(mparse(docker_manifest, "text/plain", m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_MANIFEST);
	assert_int_equal(m->media_type, OCI_MEDIA_DOCKER_MANIFEST);
	assert_int_equal(m->config.media_type, OCI_MEDIA_DOCKER_CONFIG);
	assert_int_equal(m->n_layers, 1);
	assert_int_equal(m->layers[0].media_type, OCI_MEDIA_DOCKER_LAYER_GZIP);
	assert_int_equal(m->layers[0].size, 3408729);

	/* the largest size JSON carries exactly; an image with no layers */
	assert_int_equal(mparse("{\"schemaVersion\":2,\"config\":{"
				"\"mediaType\":\"" OCI_MT_CONFIG
				"\",\"digest\":\"sha256:" H0 "\",\"size\":"
				"9007199254740991},\"layers\":[]}",
				NULL, m, err),
			 0);
	assert_int_equal(m->config.size, 9007199254740991LL);
	assert_int_equal(m->n_layers, 0);
	free(m);
}

/* With no mediaType, the Content-Type decides, then the shape. */
static void test_kind(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));
	char err[200];
	static const char idx[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	static const char man[] =
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		"\"" OCI_MT_CONFIG "\",\"digest\":\"sha256:" H0
		"\",\"size\":2},\"layers\":[]}";

	(void)state;
	assert_int_equal(mparse(idx, NULL, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_INDEX);
	assert_int_equal(m->media_type, OCI_MEDIA_UNKNOWN);
	assert_int_equal(mparse(idx, "application/json", m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_INDEX);
	assert_int_equal(m->media_type, OCI_MEDIA_UNKNOWN);
	assert_int_equal(oci_index_pick(m, "linux", "amd64", NULL), -1);
	assert_int_equal(mparse(idx,
				" Application/VND.OCI.image.index.v1+json ; "
				"charset=utf-8",
				m, err),
			 0);
	assert_int_equal(m->media_type, OCI_MEDIA_INDEX);

	assert_int_equal(mparse(man, NULL, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_MANIFEST);
	assert_int_equal(m->media_type, OCI_MEDIA_UNKNOWN);
	assert_int_equal(mparse(man, OCI_MT_DOCKER_MANIFEST, m, err), 0);
	assert_int_equal(m->media_type, OCI_MEDIA_DOCKER_MANIFEST);

	/* the server's word against the document's shape */
	assert_int_equal(mparse(man, OCI_MT_INDEX, m, err), -EINVAL);
	assert_non_null(strstr(err, "an index with \"config\" or \"layers\""));
	assert_int_equal(mparse(idx, OCI_MT_MANIFEST, m, err), -EINVAL);
	assert_non_null(strstr(err, "an image manifest with \"manifests\""));
	/* the document's word wins over the server's */
	assert_int_equal(mparse(docker_manifest, OCI_MT_INDEX, m, err), 0);
	assert_int_equal(m->kind, OCI_KIND_MANIFEST);
	free(m);
}

#define CFG                                                           \
	"\"config\":{\"mediaType\":\"" OCI_MT_CONFIG "\",\"digest\":" \
	"\"sha256:" H0 "\",\"size\":7023}"
#define LAYER(mt, size)                                     \
	"{\"mediaType\":\"" mt "\",\"digest\":\"sha256:" H1 \
	"\",\"size\":" size "}"
#define MAN(layers) "{\"schemaVersion\":2," CFG ",\"layers\":[" layers "]}"
#define ENTRY(mt) \
	"{\"mediaType\":\"" mt "\",\"digest\":\"sha256:" H2 "\",\"size\":5"
#define IDX(entries) "{\"schemaVersion\":2,\"manifests\":[" entries "]}"

static void test_manifest_reject(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));
	char err[200];

	(void)state;
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ "{\"schemaVersion\":2,", "not a JSON object" },
		{ MAN("") " {}", "text after it" },
		{ "{}", "no \"schemaVersion\"" },
		{ "{\"schemaVersion\":1,\"name\":\"library/busybox\","
		  "\"fsLayers\":[]}",
		  "\"schemaVersion\" is not 2" },
		{ "{\"schemaVersion\":\"2\",\"manifests\":[]}",
		  "\"schemaVersion\" is not 2" },
		{ "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}",
		  "\"schemaVersion\" appears twice" },
		{ "{\"schemaVersion\":2}", "neither an image manifest nor an "
					   "index" },
		{ "{\"schemaVersion\":2,\"mediaType\":5,\"manifests\":[]}",
		  "\"mediaType\" is not a string" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_CONFIG
		  "\",\"manifests\":[]}",
		  "unsupported media type \"application/vnd.oci.image.config" },
		{ "{\"schemaVersion\":2,\"mediaType\":"
		  "\"application/"
		  "vnd.docker.distribution.manifest.v1+prettyjws\""
		  ",\"manifests\":[]}",
		  "unsupported media type" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"a\\u0001b\","
		  "\"manifests\":[]}",
		  "unsupported media type \"a?b\"" },
		/* CVE-2021-41190 */
		{ "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX
		  "\",\"manifests\":[]," CFG ",\"layers\":[]}",
		  "an index with \"config\" or \"layers\" is ambiguous" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
		  "\",\"manifests\":[]," CFG ",\"layers\":[]}",
		  "an image manifest with \"manifests\" is ambiguous" },
		{ "{\"schemaVersion\":2,\"manifests\":[]," CFG
		  ",\"layers\":[]}",
		  "is ambiguous" },
		/* image manifests */
		{ "{\"schemaVersion\":2,\"layers\":[]}", "no \"config\"" },
		{ "{\"schemaVersion\":2," CFG "}", "no \"layers\" array" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":{}}",
		  "no \"layers\" array" },
		{ "{\"schemaVersion\":2,\"config\":[]," CFG ",\"layers\":[]}",
		  "\"config\" appears twice" },
		{ "{\"schemaVersion\":2,\"config\":5,\"layers\":[]}",
		  "config is not an object" },
		{ "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" H0
		  "\",\"size\":1},\"layers\":[]}",
		  "config has no \"mediaType\"" },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		  "\"" OCI_MT_CONFIG "\",\"size\":1},\"layers\":[]}",
		  "config has no \"digest\"" },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		  "\"" OCI_MT_CONFIG "\",\"digest\":\"sha256:" H0
		  "\"},\"layers\":[]}",
		  "config has no \"size\"" },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		  "\"application/vnd.in-toto+json\",\"digest\":\"sha256:" H0
		  "\",\"size\":1},\"layers\":[]}",
		  "config is \"application/vnd.in-toto+json\", not an image "
		  "config" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "1") ",5"),
		  "layers[1] is not an object" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "-1")),
		  "layers[0]: \"size\" is not a whole number 0..2^53-1" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "1.5")),
		  "\"size\" is not a whole" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "\"12\"")),
		  "\"size\" is not a whole" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "9007199254740992")),
		  "\"size\" is not a whole" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "1e400")),
		  "\"size\" is not a whole" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "null")),
		  "\"size\" is not a whole" },
		{ MAN("{\"mediaType\":\"" OCI_MT_LAYER_GZIP "\",\"digest\":"
		      "\"sha256:" H0 "\",\"digest\":\"sha256:" H1
		      "\",\"size\":1}"),
		  "\"digest\" appears twice" },
		{ MAN("{\"mediaType\":\"" OCI_MT_LAYER_GZIP "\",\"digest\":"
		      "\"sha256:" H0 "\\u0000\",\"size\":1}"),
		  "a string holds \\u0000" },
		{ MAN("{\"mediaType\":\"" OCI_MT_LAYER_GZIP "\",\"digest\":"
		      "\"sha256:ABC\",\"size\":1}"),
		  "layers[0]: \"digest\" is not sha256:<64 lowercase hex>" },
		{ MAN("{\"mediaType\":\"" OCI_MT_LAYER_GZIP "\",\"digest\":"
		      "\"sha512:" H0 H1 "\",\"size\":1}"),
		  "only sha256 digests are supported" },
		{ MAN("{\"mediaType\":\"" OCI_MT_LAYER_GZIP "\",\"digest\":"
		      "5,\"size\":1}"),
		  "layers[0]: \"digest\" is not a string" },
		{ MAN(LAYER(OCI_MT_LAYER_GZIP, "1") "," LAYER(
			  "application/vnd.oci.image.layer.v1.tar+bzip2", "1")),
		  "layers[1]: unsupported media type "
		  "\"application/vnd.oci.image.layer.v1.tar+bzip2\"" },
		{ MAN(LAYER(OCI_MT_CONFIG, "1")), "unsupported media type" },
		{ MAN(LAYER(OCI_MT_NONDIST_GZIP, "1")),
		  "layers[0]: non-distributable layer "
		  "(application/vnd.oci.image.layer.nondistributable.v1.tar+"
		  "gzip) is not supported" },
		{ MAN(LAYER(OCI_MT_DOCKER_FOREIGN_GZIP, "1")),
		  "non-distributable layer" },
		/* indexes */
		{ "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\"}",
		  "no \"manifests\" array" },
		{ IDX("5"), "manifests[0] is not an object" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) "}," ENTRY(
			  OCI_MT_MANIFEST) ","
					   "\"platform\":[]}"),
		  "manifests[1].platform is not an object" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"linux\"}}"),
		  "manifests[0].platform: no \"architecture\"" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"\",\"architecture\":\"x\"}}"),
		  "manifests[0].platform: no \"os\"" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"linux\",\"architecture\":"
					     "7}}"),
		  "manifests[0].platform: \"architecture\" is not a string" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"linux\",\"architecture\":"
					     "\"amd 64\"}}"),
		  "\"architecture\" is not printable ASCII" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"linux\",\"architecture\":"
					     "\"arm\",\"variant\":\"v7"
					     "77777777777777777777777777777"
					     "7\"}}"),
		  "manifests[0].platform: \"variant\" is longer than 31 "
		  "bytes" },
		{ IDX(ENTRY(OCI_MT_MANIFEST) ",\"platform\":{\"os\":"
					     "\"linux\",\"os\":\"linux\","
					     "\"architecture\":\"arm\"}}"),
		  "\"os\" appears twice" },
		{ IDX("{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"size\":1}"),
		  "manifests[0] has no \"digest\"" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (mparse(bad[i].json, NULL, m, err) != -EINVAL ||
		    !strstr(err, bad[i].why) || strncmp(err, "manifest: ", 10))
			fail_msg("%s: '%s'", bad[i].json, err);
		assert_int_equal(m->kind, 0);
	}

	/* a NUL inside the length, and the size limit */
	static const char nul[] = "{\"schemaVersion\":2,\0\"manifests\":[]}";
	assert_int_equal(oci_manifest_parse(nul, sizeof(nul) - 1, NULL, m, err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL byte"));
	size_t big = OCI_JSON_MAX + 1;
	char *s = malloc(big);
	memset(s, ' ', big);
	memcpy(s, IDX(""), strlen(IDX("")));
	assert_int_equal(oci_manifest_parse(s, big, NULL, m, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "larger than 4194304 bytes"));
	/* trailing whitespace is fine, and up to the limit */
	assert_int_equal(
		oci_manifest_parse(s, big - 1, NULL, m, err, sizeof(err)), 0);
	free(s);
	free(m);
}

/* n entries (layers or manifests) in a document of kind */
static char *many(bool index, int n)
{
	size_t cap = 256 + (size_t)n * 200;
	char *s = malloc(cap);
	int off = snprintf(s, cap, "{\"schemaVersion\":2,%s:[",
			   index ? "\"manifests\"" : CFG ",\"layers\"");

	for (int i = 0; i < n; i++)
		off += snprintf(s + off, cap - off,
				"%s{\"mediaType\":\"%s\",\"digest\":"
				"\"sha256:%064x\",\"size\":%d}",
				i ? "," : "",
				index ? OCI_MT_MANIFEST : OCI_MT_LAYER_GZIP, i,
				i * 1000);
	snprintf(s + off, cap - off, "]}");
	return s;
}

static void test_limits(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));
	char err[200];
	char *s;

	(void)state;
	s = many(false, OCI_MAX_LAYERS);
	assert_int_equal(mparse(s, NULL, m, err), 0);
	assert_int_equal(m->n_layers, OCI_MAX_LAYERS);
	assert_int_equal(m->layers[127].size, 127000);
	assert_int_equal(m->layers[127].digest[31], 127);
	free(s);
	s = many(false, OCI_MAX_LAYERS + 1);
	assert_int_equal(mparse(s, NULL, m, err), -EINVAL);
	assert_non_null(strstr(err, "more than 128 layers"));
	free(s);

	s = many(true, OCI_MAX_MANIFESTS);
	assert_int_equal(mparse(s, NULL, m, err), 0);
	assert_int_equal(m->n_manifests, OCI_MAX_MANIFESTS);
	/* none has a platform: the first is as good as any */
	assert_int_equal(oci_index_pick(m, "linux", "amd64", NULL), 0);
	free(s);
	s = many(true, OCI_MAX_MANIFESTS + 1);
	assert_int_equal(mparse(s, NULL, m, err), -EINVAL);
	assert_non_null(strstr(err, "more than 128 manifests"));
	free(s);
	free(m);
}

/*
 * An index from a comma-separated list of "os/arch[/variant]", "-" for
 * an entry without a platform, "!os/arch" for an artifact (a media type
 * that is not an image).
 */
static void build(struct oci_manifest *m, const char *list)
{
	char json[8192], err[200], copy[512], *save = NULL;
	int off = snprintf(json, sizeof(json),
			   "{\"schemaVersion\":2,\"mediaType\":\"%s\","
			   "\"manifests\":[",
			   OCI_MT_INDEX);

	snprintf(copy, sizeof(copy), "%s", list);
	int i = 0;
	for (char *p = strtok_r(copy, ",", &save); p;
	     p = strtok_r(NULL, ",", &save), i++) {
		char os[32] = "", arch[32] = "", var[32] = "", plat[160] = "";
		bool artifact = *p == '!';

		p += artifact;
		sscanf(p, "%31[^/]/%31[^/]/%31s", os, arch, var);
		if (strcmp(p, "-"))
			snprintf(
				plat, sizeof(plat),
				",\"platform\":{\"os\":\"%s\",\"architecture\":"
				"\"%s\",\"variant\":\"%s\"}",
				os, arch, var);
		off += snprintf(json + off, sizeof(json) - off,
				"%s{\"mediaType\":\"%s\",\"digest\":"
				"\"sha256:%064x\",\"size\":100%s}",
				i ? "," : "",
				artifact ? "application/vnd.cncf.helm.config."
					   "v1+json"
					 : OCI_MT_MANIFEST,
				i, plat);
	}
	snprintf(json + off, sizeof(json) - off, "]}");
	if (oci_manifest_parse(json, strlen(json), NULL, m, err, sizeof(err)))
		fail_msg("%s: %s", json, err);
}

static void test_pick(void **state)
{
	struct oci_manifest *m = malloc(sizeof(*m));

	(void)state;
	/* host "os/arch[/variant]", the index, the entry that should win */
	static const struct {
		const char *host, *index;
		int want;
	} cases[] = {
		/* the docker.io shape: buildkit's attestations skipped */
		{ "linux/amd64",
		  "unknown/unknown,linux/amd64,linux/arm64/v8,linux/arm/v7,"
		  "linux/arm/v6",
		  1 },
		{ "linux/arm64",
		  "unknown/unknown,linux/amd64,linux/arm64/v8,linux/arm/v7,"
		  "linux/arm/v6",
		  2 },
		{ "linux/arm64/v8",
		  "unknown/unknown,linux/amd64,linux/arm64/v8,linux/arm/v7,"
		  "linux/arm/v6",
		  2 },
		{ "linux/arm/v7",
		  "linux/amd64,linux/arm64/v8,linux/arm/v7,linux/arm/v6", 2 },
		{ "linux/arm/v6",
		  "linux/amd64,linux/arm64/v8,linux/arm/v7,linux/arm/v6", 3 },
		/* no match */
		{ "linux/riscv64", "linux/amd64,linux/arm64/v8,linux/arm/v7",
		  -1 },
		{ "freebsd/amd64", "linux/amd64,linux/arm64/v8", -1 },
		{ "linux/amd64", "unknown/unknown", -1 },
		{ "linux/amd64", "linux/unknown,unknown/amd64", -1 },
		{ "linux/amd64", "", -1 },
		/* arm64: no variant and v8 are the same */
		{ "linux/arm64/v8", "linux/arm64", 0 },
		{ "linux/aarch64", "linux/arm64/8", 0 },
		{ "linux/arm64", "linux/arm64/v9,linux/arm64", 1 },
		{ "linux/arm64/v9", "linux/arm64,linux/arm64/v9", 1 },
		{ "linux/arm64/v9", "linux/arm64/v8.1,linux/arm64", 0 },
		{ "linux/arm64/v8.4", "linux/arm64,linux/arm64/v8.2", 1 },
		{ "linux/arm64/v9.1", "linux/arm64,linux/arm64/v8.6", 1 },
		{ "linux/arm64/v8.1", "linux/arm64/v8.2", -1 },
		/* arm: exact variant first, then older ones, newest first */
		{ "linux/arm/v7", "linux/arm/v5,linux/arm/v6,linux/arm/v7", 2 },
		{ "linux/arm/v7", "linux/arm/v5,linux/arm/v6", 1 },
		{ "linux/arm/v7", "linux/arm/v5", 0 },
		{ "linux/arm/v6", "linux/arm/v7", -1 },
		{ "linux/arm/v7", "linux/arm/v8,linux/arm/v7", 1 },
		{ "linux/arm/v7", "linux/arm", 0 },
		{ "linux/arm", "linux/arm/v7", 0 },
		{ "linux/armhf", "linux/arm/7", 0 },
		{ "linux/armel", "linux/arm/v7,linux/arm/v6", 1 },
		/* 32-bit only when nothing native: containerd's platforms.Only */
		{ "linux/arm64", "linux/arm/v7,linux/arm64", 1 },
		{ "linux/arm64", "linux/arm/v6,linux/arm/v7", 1 },
		{ "linux/amd64", "linux/386,linux/amd64", 1 },
		{ "linux/x86_64", "linux/386", 0 },
		{ "linux/amd64", "linux/i386", 0 },
		{ "linux/386", "linux/amd64", -1 },
		{ "linux/i386", "linux/amd64", -1 },
		/* amd64 micro-architecture levels */
		{ "linux/amd64", "linux/amd64/v3", -1 },
		{ "linux/amd64/v3", "linux/amd64,linux/amd64/v2", 1 },
		{ "linux/amd64/v3", "linux/amd64/v1", 0 },
		{ "linux/x86-64", "linux/amd64/v1", 0 },
		/* case, and the first of equals */
		{ "linux/amd64", "Linux/AMD64", 0 },
		{ "LINUX/X86_64", "linux/amd64", 0 },
		{ "linux/amd64", "linux/amd64,linux/amd64", 0 },
		/* no platform: last resort, after any that match */
		{ "linux/amd64", "-,linux/amd64", 1 },
		{ "linux/amd64", "-,linux/386", 1 },
		{ "linux/amd64", "linux/arm64,-", 1 },
		/* artifacts are not images */
		{ "linux/amd64", "!linux/amd64,linux/amd64", 1 },
		{ "linux/amd64", "!linux/amd64", -1 },
		/* os.version is not compared outside Windows */
		{ "windows/amd64", "windows/amd64", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char os[32] = "", arch[32] = "", var[32] = "";

		sscanf(cases[i].host, "%31[^/]/%31[^/]/%31s", os, arch, var);
		build(m, cases[i].index);
		int got = oci_index_pick(m, os, arch, var[0] ? var : NULL);
		if (got != cases[i].want)
			fail_msg("host %s, index %s: got %d, want %d",
				 cases[i].host, cases[i].index, got,
				 cases[i].want);
	}

	/* a host that names nothing, or too long a name, matches nothing */
	build(m, "linux/amd64");
	assert_int_equal(oci_index_pick(m, "linux", "amd64", NULL), 0);
	assert_int_equal(oci_index_pick(m, "linux", "amd64", ""), 0);
	assert_int_equal(oci_index_pick(m, NULL, "amd64", NULL), -1);
	assert_int_equal(oci_index_pick(m, "linux", NULL, NULL), -1);
	assert_int_equal(oci_index_pick(m, "linux",
					"amd64amd64amd64amd64amd64amd64amd64",
					NULL),
			 -1);
	free(m);
}

static void test_config(void **state)
{
	struct oci_config *c = malloc(sizeof(*c));
	char err[200];

	(void)state;
	assert_int_equal(oci_config_parse(nginx_config, strlen(nginx_config), c,
					  err, sizeof(err)),
			 0);
	assert_string_equal(c->architecture, "arm64");
	assert_string_equal(c->os, "linux");
	assert_string_equal(c->variant, "v8");
	assert_int_equal(c->n_env, 6);
	assert_string_equal(c->env[0], "PATH=/usr/local/sbin:/usr/local/bin:"
				       "/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(c->env[5], "DYNPKG_RELEASE=1~bookworm");
	assert_null(c->env[6]);
	assert_int_equal(c->n_entrypoint, 1);
	assert_string_equal(c->entrypoint[0], "/docker-entrypoint.sh");
	assert_null(c->entrypoint[1]);
	assert_int_equal(c->n_cmd, 3);
	assert_string_equal(c->cmd[0], "nginx");
	assert_string_equal(c->cmd[2], "daemon off;");
	assert_null(c->cmd[3]);
	assert_string_equal(c->working_dir, "");
	assert_string_equal(c->user, "");
	assert_int_equal(c->n_diff_ids, 2);
	check_digest(c->diff_ids[0], H0);
	check_digest(c->diff_ids[1], H1);

	/* OCI-style: minimal, nulls, escapes, an empty argument */
	static const char minimal[] =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
		"\"Env\":null,\"Entrypoint\":null,\"Cmd\":[\"sh\",\"-c\","
		"\"echo \\\"a\\u00e9\\\"\\nexit "
		"0\",\"\"],\"WorkingDir\":\"/srv\","
		"\"User\":\"1000:1000\"},\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[]}}";
	assert_int_equal(
		oci_config_parse(minimal, strlen(minimal), c, err, sizeof(err)),
		0);
	assert_string_equal(c->variant, "");
	assert_int_equal(c->n_env, 0);
	assert_null(c->env[0]);
	assert_int_equal(c->n_entrypoint, 0);
	assert_null(c->entrypoint[0]);
	assert_int_equal(c->n_cmd, 4);
	assert_string_equal(c->cmd[2], "echo \"a\xc3\xa9\"\nexit 0");
	assert_string_equal(c->cmd[3], "");
	assert_string_equal(c->working_dir, "/srv");
	assert_string_equal(c->user, "1000:1000");
	assert_int_equal(c->n_diff_ids, 0);

	/* no "config" at all */
	static const char bare[] =
		"{\"architecture\":\"riscv64\",\"os\":\"linux\",\"rootfs\":{"
		"\"type\":\"layers\",\"diff_ids\":[\"sha256:" H3 "\"]}}";
	assert_int_equal(
		oci_config_parse(bare, strlen(bare), c, err, sizeof(err)), 0);
	assert_int_equal(c->n_cmd, 0);
	assert_null(c->cmd[0]);
	assert_int_equal(c->n_diff_ids, 1);
	free(c);
}

#define ROOTFS ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"
#define PLAT "\"architecture\":\"amd64\",\"os\":\"linux\""
#define WITH(config) "{" PLAT ",\"config\":{" config "}" ROOTFS "}"

static void test_config_reject(void **state)
{
	struct oci_config *c = malloc(sizeof(*c));
	char err[200];

	(void)state;
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[1]", "not a JSON object" },
		{ "{" PLAT ROOTFS "}x", "text after it" },
		{ "{\"os\":\"linux\"" ROOTFS "}", "no \"architecture\"" },
		{ "{\"architecture\":\"amd64\"" ROOTFS "}", "no \"os\"" },
		{ "{" PLAT ",\"variant\":7" ROOTFS "}",
		  "\"variant\" is not a string" },
		{ "{" PLAT ",\"architecture\":\"arm\"" ROOTFS "}",
		  "\"architecture\" appears twice" },
		{ "{" PLAT "}", "no \"rootfs\" object" },
		{ "{" PLAT ",\"rootfs\":{\"diff_ids\":[]}}",
		  "rootfs.type is not \"layers\"" },
		{ "{" PLAT ",\"rootfs\":{\"type\":\"Layers\",\"diff_ids\":[]}}",
		  "rootfs.type is not \"layers\"" },
		{ "{" PLAT ",\"rootfs\":{\"type\":\"layers\"}}",
		  "no rootfs.diff_ids array" },
		{ "{" PLAT ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
		  "[\"sha256:" H0 "\",\"sha256:" H1 "x\"]}}",
		  "rootfs.diff_ids[1] is not sha256:<64 lowercase hex>" },
		{ "{" PLAT ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
		  "[5]}}",
		  "rootfs.diff_ids[0] is not sha256" },
		{ "{" PLAT ",\"config\":[]" ROOTFS "}",
		  "\"config\" is not an object" },
		{ WITH("\"Env\":\"PATH=/bin\""), "Env is not an array" },
		{ WITH("\"Env\":[\"PATH=/bin\",5]"), "Env[1] is not a string" },
		{ WITH("\"Env\":[\"PATH\"]"), "Env[0] is not NAME=value" },
		{ WITH("\"Env\":[\"=x\"]"), "Env[0] is not NAME=value" },
		{ WITH("\"Cmd\":[\"a\",null]"), "Cmd[1] is not a string" },
		{ WITH("\"Entrypoint\":\"/bin/sh -c\""),
		  "Entrypoint is not an array" },
		{ WITH("\"Cmd\":[],\"Cmd\":[]"), "\"Cmd\" appears twice" },
		{ WITH("\"User\":0"), "\"User\" is not a string" },
		{ WITH("\"WorkingDir\":[]"), "\"WorkingDir\" is not a string" },
		{ WITH("\"Cmd\":[\"a\\u0000b\"]"), "a string holds \\u0000" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (oci_config_parse(bad[i].json, strlen(bad[i].json), c, err,
				     sizeof(err)) != -EINVAL ||
		    !strstr(err, bad[i].why) || strncmp(err, "config: ", 8))
			fail_msg("%s: '%s'", bad[i].json, err);
		assert_int_equal(c->n_env, 0);
	}

	/* the bounds: 64 arguments, 64 KiB of them, User and WorkingDir */
	size_t cap = 300000;
	char *s = malloc(cap);
	int off = snprintf(s, cap, "{" PLAT ",\"config\":{\"Cmd\":[");
	for (int i = 0; i < 64; i++)
		off += snprintf(s + off, cap - off, "%s\"a%d\"", i ? "," : "",
				i);
	snprintf(s + off, cap - off, "]}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 0);
	assert_int_equal(c->n_cmd, 64);
	assert_string_equal(c->cmd[63], "a63");
	assert_null(c->cmd[64]);
	snprintf(s + off, cap - off, ",\"x\"]}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "Cmd has more than 64 entries"));

	/* 4 Env entries of 16 KiB fit with nothing else; a fifth does not */
	off = snprintf(s, cap, "{" PLAT ",\"config\":{\"Env\":[");
	for (int i = 0; i < 5; i++) {
		off += snprintf(s + off, cap - off, "%s\"V%d=", i ? "," : "",
				i);
		memset(s + off, 'x', 16380);
		off += 16380;
		s[off++] = '"';
		if (i == 3) {
			snprintf(s + off, cap - off, "]}" ROOTFS "}");
			assert_int_equal(oci_config_parse(s, strlen(s), c, err,
							  sizeof(err)),
					 0);
			assert_int_equal(c->n_env, 4);
			assert_int_equal(c->strings_used, 65536);
			assert_int_equal(strlen(c->env[3]), 16383);
		}
	}
	snprintf(s + off, cap - off, "]}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "Env, Entrypoint and Cmd exceed 65536 "
				    "bytes in all"));

	off = snprintf(s, cap, "{" PLAT ",\"config\":{\"User\":\"");
	memset(s + off, 'u', 256);
	snprintf(s + off + 256, cap - off - 256, "\"}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "User is longer than 255 bytes"));
	snprintf(s + off + 255, cap - off - 255, "\"}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(c->user), 255);

	off = snprintf(s, cap, "{" PLAT ",\"config\":{\"WorkingDir\":\"/");
	memset(s + off, 'w', 4095);
	snprintf(s + off + 4095, cap - off - 4095, "\"}" ROOTFS "}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "WorkingDir is longer than 4095 bytes"));

	off = snprintf(s, cap,
		       "{" PLAT
		       ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (int i = 0; i < 129; i++)
		off += snprintf(s + off, cap - off, "%s\"sha256:%064x\"",
				i ? "," : "", i);
	snprintf(s + off, cap - off, "]}}");
	assert_int_equal(oci_config_parse(s, strlen(s), c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "more than 128 rootfs.diff_ids"));
	free(s);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_media),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_manifest_reject),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

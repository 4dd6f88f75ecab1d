/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OCI_H
#define KEEL_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The documents a registry serves for an image, as the OCI image spec
 * (v1.1: descriptor.md, manifest.md, image-index.md, config.md) and
 * Docker's "Image Manifest V2, Schema 2" define them: manifests, indexes
 * (Docker's manifest lists), image configs and the digests that tie them
 * together.
 *
 * Everything here is pure (bytes in, struct out) so it runs in unit tests
 * and under the fuzzer; the input is untrusted. Parsers return 0 or
 * -EINVAL with a reason in err.
 *
 * Unknown JSON members are ignored, never an error: the image spec
 * requires that of readers (considerations.md, "Extensibility"). What is
 * refused is a required member that is missing or of the wrong type, a
 * value we cannot use (an unknown layer media type, a digest other than
 * sha256), and anything over the bounds below.
 */

/*
 * Largest manifest, index or config accepted. The distribution spec asks
 * registries to take manifests of at least 4 MiB ("Pushing Manifests"),
 * so a registry may legitimately serve one that large; nothing bigger is
 * read.
 */
#define OCI_JSON_MAX (4 << 20)
#define OCI_MAX_LAYERS 128
#define OCI_MAX_MANIFESTS 128

/* "sha256:" + 64 hex digits + NUL */
#define OCI_DIGEST_STR 72

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_DOCKER_LAYER_GZIP \
	"application/vnd.docker.image.rootfs.diff.tar.gzip"
/* Non-distributable ("foreign") layers: see enum oci_media. */
#define OCI_MT_NONDIST_TAR \
	"application/vnd.oci.image.layer.nondistributable.v1.tar"
#define OCI_MT_NONDIST_GZIP \
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define OCI_MT_NONDIST_ZSTD \
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define OCI_MT_DOCKER_FOREIGN_GZIP \
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept header for a manifest GET: every kind we can read. */
#define OCI_ACCEPT_MANIFESTS                                          \
	OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " OCI_MT_DOCKER_MANIFEST \
			", " OCI_MT_DOCKER_LIST

/*
 * Every media type we recognise. Non-distributable layers are recognised
 * only to be refused by name: their blobs live at the descriptor's urls,
 * not in the registry, and only Windows base images use them (the image
 * spec deprecates them in v1.1). Skipping one instead would leave a
 * rootfs with a hole and a config whose diff_ids no longer line up.
 */
enum oci_media {
	OCI_MEDIA_UNKNOWN = 0,
	OCI_MEDIA_MANIFEST,
	OCI_MEDIA_INDEX,
	OCI_MEDIA_DOCKER_MANIFEST,
	OCI_MEDIA_DOCKER_LIST,
	OCI_MEDIA_CONFIG,
	OCI_MEDIA_DOCKER_CONFIG,
	OCI_MEDIA_LAYER_TAR,
	OCI_MEDIA_LAYER_GZIP,
	OCI_MEDIA_LAYER_ZSTD,
	OCI_MEDIA_DOCKER_LAYER_GZIP,
	OCI_MEDIA_NONDIST_TAR,
	OCI_MEDIA_NONDIST_GZIP,
	OCI_MEDIA_NONDIST_ZSTD,
	OCI_MEDIA_DOCKER_FOREIGN_GZIP,
	OCI_MEDIA_COUNT,
};

enum oci_compression {
	OCI_COMP_NONE,
	OCI_COMP_GZIP,
	OCI_COMP_ZSTD,
};

/* The media type's name; "" for OCI_MEDIA_UNKNOWN. */
const char *oci_media_name(enum oci_media t);
/* Exact, case-sensitive match, as registries send them; or UNKNOWN. */
enum oci_media oci_media_lookup(const char *s);
/* How a (supported) layer type is compressed; -1 for anything else. */
int oci_layer_compression(enum oci_media t);
/* An image manifest's type (OCI or Docker); an index's, or a list's. */
bool oci_is_manifest(enum oci_media t);
bool oci_is_index(enum oci_media t);

/*
 * "sha256:<64 lowercase hex>" (descriptor.md, "Registered algorithms")
 * into the 32 bytes, nothing before or after. 0 or -EINVAL.
 */
int oci_digest_parse(const char *s, uint8_t out[32]);
/* The inverse: always OCI_DIGEST_STR bytes with the NUL. */
void oci_digest_format(const uint8_t d[32], char out[OCI_DIGEST_STR]);
/* Just the 64 hex digits (file names in the store), with the NUL. */
void oci_digest_hex(const uint8_t d[32], char out[65]);

struct oci_descriptor {
	enum oci_media media_type; /* UNKNOWN only in an index entry */
	uint8_t digest[32];
	int64_t size; /* 0 .. 2^53 - 1 */
};

#define OCI_PLATFORM_FIELD_MAX 32
#define OCI_OS_VERSION_MAX 64

struct oci_platform {
	char os[OCI_PLATFORM_FIELD_MAX];
	char architecture[OCI_PLATFORM_FIELD_MAX];
	char variant[OCI_PLATFORM_FIELD_MAX]; /* may be "" */
	char os_version[OCI_OS_VERSION_MAX]; /* may be ""; Windows only */
};

struct oci_index_entry {
	struct oci_descriptor desc;
	bool has_platform;
	struct oci_platform platform;
};

enum oci_kind {
	OCI_KIND_MANIFEST = 1, /* an image manifest: config and layers */
	OCI_KIND_INDEX, /* an index or manifest list: manifests */
};

struct oci_manifest {
	enum oci_kind kind;
	/* As the document or the server said; UNKNOWN if only its shape did. */
	enum oci_media media_type;
	/* OCI_KIND_MANIFEST; layers are base first */
	struct oci_descriptor config;
	size_t n_layers;
	struct oci_descriptor layers[OCI_MAX_LAYERS];
	/* OCI_KIND_INDEX */
	size_t n_manifests;
	struct oci_index_entry manifests[OCI_MAX_MANIFESTS];
};

/*
 * A manifest or index of len bytes. content_type is the response's
 * Content-Type header (parameters allowed) or NULL.
 *
 * Which kind it is comes from the document's mediaType member, else from
 * content_type if that names one of the four, else from its shape
 * ("manifests" for an index, "config" and "layers" for a manifest). A
 * document with members of both kinds is refused whatever it claims to
 * be, as containerd does since CVE-2021-41190: two clients must never
 * read one digest as different images.
 *
 * In an image manifest the config must be an image config and every
 * layer a supported layer type. Index entries of other media types
 * (artifacts, signatures) are kept as OCI_MEDIA_UNKNOWN and never picked.
 */
int oci_manifest_parse(const char *json, size_t len, const char *content_type,
		       struct oci_manifest *m, char *err, size_t errlen);

#define OCI_CONFIG_ARGS_MAX 64
/* All of Env, Entrypoint and Cmd together, NULs included. */
#define OCI_CONFIG_STRINGS_MAX 65536
#define OCI_USER_MAX 256
#define OCI_WORKDIR_MAX 4096

/*
 * An image config (config.md). env, entrypoint and cmd are
 * NULL-terminated, ready for execve, and point into strings[]: the
 * struct must not be copied by value while they are in use.
 */
struct oci_config {
	char os[OCI_PLATFORM_FIELD_MAX];
	char architecture[OCI_PLATFORM_FIELD_MAX];
	char variant[OCI_PLATFORM_FIELD_MAX];
	size_t n_env, n_entrypoint, n_cmd;
	char *env[OCI_CONFIG_ARGS_MAX + 1]; /* "NAME=value" */
	char *entrypoint[OCI_CONFIG_ARGS_MAX + 1];
	char *cmd[OCI_CONFIG_ARGS_MAX + 1];
	char working_dir[OCI_WORKDIR_MAX]; /* may be "" */
	char user[OCI_USER_MAX]; /* may be "" */
	size_t n_diff_ids;
	uint8_t diff_ids[OCI_MAX_LAYERS][32]; /* uncompressed layer digests */
	size_t strings_used;
	char strings[OCI_CONFIG_STRINGS_MAX];
};

int oci_config_parse(const char *json, size_t len, struct oci_config *c,
		     char *err, size_t errlen);

#endif

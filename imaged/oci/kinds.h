/* SPDX-License-Identifier: MIT */
#ifndef KEEL_KINDS_H
#define KEEL_KINDS_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * The v1 kinds that hold data rather than run: ConfigMap and Secret
 * (data base64, stringData, binaryData), and PersistentVolumeClaim (a
 * named volume on this host). Pure, on the strict walk.
 */

#define KDATA_KEYS_MAX 256

struct kdata_item {
	const char *key;
	const char *value; /* len bytes, NUL after them */
	size_t len;
};

/* A ConfigMap or a Secret */
struct kdata {
	struct pod_meta meta;
	bool secret, immutable;
	const char *type; /* a Secret's: "Opaque" when not given */
	size_t n;
	struct kdata_item items[KDATA_KEYS_MAX];
	size_t arena_used, arena_size;
	char arena[];
};

struct kpvc {
	struct pod_meta meta;
	uint64_t storage; /* resources.requests.storage, bytes */
	bool read_only_many; /* accessModes: only ReadOnlyMany */
	size_t arena_used;
	char arena[16384];
};

/* The document at root into a kdata allocated for a text of len bytes */
int kinds_data_walk(struct walk *w, yaml_node_t *root, bool secret, size_t len,
		    struct kdata **out);
int kinds_pvc_walk(struct walk *w, yaml_node_t *root, struct kpvc **out);

/* The value of key, or NULL */
const struct kdata_item *kdata_get(const struct kdata *d, const char *key);

/* base64 (standard, padded; line breaks skipped) into out: its length */
long kinds_base64(const char *s, char *out, size_t max);

#endif

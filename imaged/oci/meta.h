/* SPDX-License-Identifier: MIT */
#ifndef KEEL_META_H
#define KEEL_META_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * metadata, as every kind has it: name, namespace, labels, annotations
 * kept; what `kubectl get -o yaml` writes back (uid, resourceVersion,
 * generation, creationTimestamp, managedFields, selfLink,
 * ownerReferences) accepted and ignored; generateName refused (keel
 * names each object once, as a file does).
 */

/* metadata of a kind whose names are labels of name_max, or (0) subdomains */
struct meta_walk {
	struct pod_meta *m;
	size_t name_max;
};

/* A field of metadata, obj a struct meta_walk. */
int meta_field(struct walk *w, const char *key, yaml_node_t *v, void *obj);

/* After the walk: a name there, "default" the namespace when none was. */
int meta_check(struct walk *w, yaml_node_t *root, struct pod_meta *m);

/* A label selector's matchLabels, each in labels: whether they match. */
bool meta_selects(const struct pod_kv *sel, size_t n_sel,
		  const struct pod_kv *labels, size_t n_labels);

#endif

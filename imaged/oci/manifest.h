/* SPDX-License-Identifier: MIT */
#ifndef KEEL_MANIFEST_H
#define KEEL_MANIFEST_H

#include "oci/kinds.h"
#include "oci/pod.h"
#include "oci/workload.h"

#include <stddef.h>

/*
 * A manifest file: YAML documents ('---' between them) or one JSON
 * object, each an object of a kind keel takes: v1 Pod, ConfigMap,
 * Secret, PersistentVolumeClaim; apps/v1 Deployment, DaemonSet;
 * batch/v1 Job. Every document is parsed before any is used, so a file
 * is taken whole or not at all. Pure, for unit tests and the fuzzer.
 */

#define MANIFEST_OBJECTS_MAX 64

enum kobj_kind {
	KOBJ_POD,
	KOBJ_DEPLOYMENT,
	KOBJ_DAEMONSET,
	KOBJ_JOB,
	KOBJ_CONFIG_MAP,
	KOBJ_SECRET,
	KOBJ_PVC,
	KOBJ_KINDS
};

struct kobj {
	enum kobj_kind kind;
	const struct pod_meta *meta; /* name, namespace, labels */
	int line; /* the document's first line in its file */
	char *text; /* the document as written, NUL-terminated */
	size_t len;
	const char *notes; /* the cluster-only fields it had, or "" */
	struct pod *pod; /* KOBJ_POD */
	struct workload *wl; /* Deployment, DaemonSet, Job */
	struct kdata *data; /* ConfigMap, Secret */
	struct kpvc *pvc;
};

/*
 * Each document of text[0..len) into objs (up to max), *n of them; empty
 * documents are skipped. 0, or -errno with err naming file, line and
 * field, and nothing kept.
 */
int kobjs_parse(const char *text, size_t len, const char *file,
		struct kobj **objs, size_t max, size_t *n, char *err,
		size_t errlen);

/* One object's document again (its text, as kept), e.g. read back. */
int kobj_parse(const char *text, size_t len, const char *file, int line,
	       struct kobj **out, char *err, size_t errlen);

void kobj_free(struct kobj *o);

/* "Pod", "Deployment", ...; and the kind imagectl names (pods, deploy) */
const char *kobj_kind_name(enum kobj_kind k);
int kobj_kind_parse(const char *s);

/*
 * A workload's pod: its template parsed again from its text, named name.
 * A new pod (free it), or NULL with err.
 */
struct pod *kobj_instance(const struct kobj *o, const char *name, char *err,
			  size_t errlen);

#endif

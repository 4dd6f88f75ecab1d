/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODPROBE_H
#define KEEL_PODPROBE_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * Probes (liveness, readiness, startup) and lifecycle hooks (postStart,
 * preStop), with the kubelet's defaults: a probe every 10 s, 1 s to
 * answer, 1 success and 3 failures to change its mind, no delay.
 */

/* A probe at v into *pr, for the container k (its ports by name). */
int podprobe_walk(struct walk *w, yaml_node_t *v, struct pod_probe *pr);

/* lifecycle's fields, obj the struct pod_container */
int podprobe_lifecycle_field(struct walk *w, const char *key, yaml_node_t *v,
			     void *obj);

/*
 * Each handler's named port as a number from k's ports, and the rules
 * across fields (successThreshold 1 for liveness and startup). what is
 * "spec.containers[0]" for errors. 0 or -EINVAL.
 */
int podprobe_check(struct walk *w, yaml_node_t *root, struct pod_container *k,
		   const char *what);

#endif

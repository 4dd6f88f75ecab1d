/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODOUT_H
#define KEEL_PODOUT_H

#include "pods/objects.h"

#include <stdbool.h>

/*
 * imagectl get -o yaml|json: an object as it was applied (its document,
 * comments and order of keys aside), with its status as the API server
 * would give it: a pod's phase, conditions, podIP and container
 * statuses (restartCount, state, lastState); a workload's replicas or a
 * Job's counts and conditions; a claim's capacity. A workload's pod is
 * its template, named, with an ownerReference.
 */

/* The text, NUL-terminated (free it), or NULL */
char *podout_pod(const struct pod_rt *p, bool json);
char *podout_object(const struct obj_rt *r, bool json);

/* RFC 3339, as the API server writes times ("2024-03-01T10:00:00Z") */
void podout_time(long long epoch_ms, char *out, size_t len);

#endif

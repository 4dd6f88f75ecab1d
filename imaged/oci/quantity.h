/* SPDX-License-Identifier: MIT */
#ifndef KEEL_QUANTITY_H
#define KEEL_QUANTITY_H

#include <stdint.h>

/*
 * Kubernetes quantities (resource.Quantity): "128Mi", "1G", "0.5Gi",
 * "1e3" into bytes, and CPU ("500m", "0.5", "2") into millicores, rounded
 * up. 0, or -EINVAL for anything else or too large. Pure.
 */
int pod_quantity_bytes(const char *s, uint64_t *out);
int pod_quantity_millis(const char *s, uint64_t *out);

/*
 * A capability's number from its name ("NET_ADMIN", "CAP_NET_ADMIN"), or
 * -1: a lookup, as linux/capability.h numbers them.
 */
int pod_capability(const char *name);

#endif

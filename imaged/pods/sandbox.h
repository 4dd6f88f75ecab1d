/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODS_SANDBOX_H
#define KEEL_PODS_SANDBOX_H

#include "oci/pod.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A pod's namespaces made and pinned in dir/ns (sandbox_create), with
 * a user namespace of its own when userns, and, unless hostNetwork, its
 * address from netd (ip; "" for none) and hosts file. 0, or -errno with
 * err saying why and nothing left behind.
 */
int pods_sandbox_up(const struct pod *spec, const char *dir, bool userns,
		    char *ip, size_t iplen, char *err, size_t errlen);
/* Its address back to netd, its namespaces let go, dir removed. */
void pods_sandbox_down(const struct pod *spec, const char *dir);

/* The pod's address back to netd (pod-del): a pod gone while imaged was. */
void pods_netd_del(const char *name);

#endif

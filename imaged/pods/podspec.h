/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSPEC_H
#define KEEL_PODSPEC_H

#include "oci/pod.h"
#include "run/container.h"
#include "store/store.h"

#include <stddef.h>

/*
 * The spec of a run of k in pod: its image's layers and config from the
 * store, its folders, cgroup, log, and the pod's volumes made ready.
 * pod_dir NULL: no shared namespaces (imagectl run). 0, or -errno with
 * err saying why.
 */
int pods_spec(const struct pod *pod, const struct pod_container *k,
	      const char *pod_dir, const char *run_dir, struct ctr_spec *s,
	      struct store_view *v, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSPEC_H
#define KEEL_PODSPEC_H

#include "oci/pod.h"
#include "run/container.h"
#include "store/store.h"

#include <stddef.h>

/*
 * The plan of a run of k in pod: the container as it runs (its
 * environment resolved: podenv.h), the spec the runtime reads (its
 * image's layers and config from the store, its folders, cgroup, log,
 * the pod's volumes made ready: podvols.h). Kept together until the
 * shim is forked, which copies it.
 */
struct run_plan {
	struct ctr_spec s;
	struct store_view v;
	struct pod_container k; /* k as it runs */
	struct seccomp_filter seccomp; /* its Localhost profile */
	char strings[65536]; /* its environment's and arguments' */
};

/*
 * pod_dir NULL: no shared namespaces (imagectl run); ip the pod's
 * address ("" for none). 0, or -errno with err saying why.
 */
int pods_plan(const struct pod *pod, const struct pod_container *k,
	      const char *pod_dir, const char *run_dir, const char *ip,
	      struct run_plan *plan, char *err, size_t errlen);

#endif

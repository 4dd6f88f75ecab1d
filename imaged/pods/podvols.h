/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODVOLS_H
#define KEEL_PODVOLS_H

#include "pods/podenv.h"
#include "run/container.h"

/*
 * A pod's volumes made ready for a run, each one's host source in
 * s->vol_src: hostPath as it is; emptyDir in the pod's folder (a tmpfs
 * with medium Memory); configMap, secret, downwardAPI and projected as
 * files on a tmpfs of the pod's own (never on disk, never in a writable
 * layer), rewritten at each start the kubelet's way (..data, swapped by
 * one rename); a claim's folder; an image's layers, read-only. fsGroup
 * makes emptyDir and claims group-owned and setgid, and the files
 * group-readable. s->userns_base, s->volumes and the pod's paths are
 * set already.
 */
int podvols_prepare(const struct pod *pod, const char *pod_dir,
		    const struct pod_facts_env *h, struct ctr_spec *s,
		    char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODCHECK_H
#define KEEL_PODCHECK_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * What Kubernetes' validation would refuse across a pod's fields; a
 * probe's port given by name becomes its number.
 */
int podcheck(struct walk *w, yaml_node_t *root, struct pod *p);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODCTR_H
#define KEEL_PODCTR_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/* A container's fields, obj its struct pod_container. */
int podctr_field(struct walk *w, const char *key, yaml_node_t *v, void *obj);

/* path has a ".." part */
bool podctr_dotdot(const char *path);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODVOL_H
#define KEEL_PODVOL_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * A pod's volumes: hostPath, emptyDir, configMap, secret, downwardAPI,
 * projected (of those three), persistentVolumeClaim and image. Items,
 * sources and image references go into the pod's shared tables.
 */

/* Walk the volume list at v into p. */
int podvol_walk(struct walk *w, yaml_node_t *v, struct pod *p);

#endif

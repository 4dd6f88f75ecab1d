/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSEC_H
#define KEEL_PODSEC_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * securityContext, a container's and a pod's. SELinux, AppArmor and
 * Windows options are refused (keel has none of them: accepting them
 * would promise a confinement that is not there).
 */

/* A field of a container's securityContext, obj its struct pod_container */
int podsec_container_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj);

/* A field of the pod's securityContext, obj its struct pod */
int podsec_pod_field(struct walk *w, const char *key, yaml_node_t *v,
		     void *obj);

/* The pod's runAsUser, ... into k where k does not say: what runs. */
void podsec_merge(const struct pod *p, struct pod_container *k);

/* A sysctl a pod may set in its own namespaces (the kubelet's safe set) */
bool podsec_safe_sysctl(const char *name);

#endif

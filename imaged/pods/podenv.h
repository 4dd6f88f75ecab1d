/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODENV_H
#define KEEL_PODENV_H

#include "oci/pod.h"

#include <stddef.h>

/*
 * A container's environment as the kubelet makes it: envFrom's keys
 * first (with their prefix), then env in order, each value from itself,
 * a ConfigMap's or Secret's key, the downward API (fieldRef,
 * resourceFieldRef); $(VAR) in values, command and args expanded from
 * what came before ($$ for a '$'). Into out, a copy of k whose strings
 * are in strings[len].
 */

/* What the downward API tells of a pod */
struct pod_facts_env {
	const char *ip; /* its address, or "" */
	char host_ip[64]; /* the host's address toward its default route */
	char node[64]; /* the host's name */
	long long mem_total; /* bytes, for a limit not given */
	int cpus;
};

void podenv_host(struct pod_facts_env *h, const char *ip);

int podenv_resolve(const struct pod *p, const struct pod_container *k,
		   const struct pod_facts_env *h, struct pod_container *out,
		   char *strings, size_t len, char *err, size_t errlen);

/* A downward API field (metadata.labels, status.podIP, ...) as text */
int podenv_field(const struct pod *p, const struct pod_facts_env *h,
		 const char *path, char *out, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_WORKLOAD_H
#define KEEL_WORKLOAD_H

#include "oci/pod.h"
#include "oci/yamlwalk.h"

/*
 * apps/v1 Deployment and DaemonSet, batch/v1 Job: a pod template and
 * how many of it run. On one host a Deployment runs replicas copies
 * (<name>-<n>), a DaemonSet one (<name>-0), a Job completions of them,
 * parallelism at a time. Pure, on the strict walk.
 */

enum workload_kind { WL_DEPLOYMENT, WL_DAEMONSET, WL_JOB };

struct workload {
	enum workload_kind kind;
	struct pod_meta meta;
	int replicas; /* Deployment's (1 when not given); DaemonSet 1 */
	bool recreate; /* strategy Recreate (DaemonSet: OnDelete) */
	int max_surge, max_unavailable; /* a rolling update's, in pods */
	int min_ready_s; /* minReadySeconds */
	int completions, parallelism, backoff_limit; /* Job: 1, 1, 6 */
	long active_deadline_s; /* Job: -1 none */
	size_t n_selector; /* selector.matchLabels */
	struct pod_kv selector[POD_LABELS_MAX];
	uint64_t template_hash; /* a new template, a rollout */
	struct pod *tmpl; /* its own allocation: named when instantiated */
	size_t arena_used;
	char arena[16384];
};

/* The document at root (kind given) into a new workload */
int workload_walk(struct walk *w, yaml_node_t *root, enum workload_kind kind,
		  struct workload **out);

void workload_free(struct workload *wl);

/* The template p, renamed name (a replica's): 0 or -EINVAL (too long) */
int pod_rename(struct pod *p, const char *name);

#endif

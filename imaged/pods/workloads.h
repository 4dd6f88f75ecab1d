/* SPDX-License-Identifier: MIT */
#ifndef KEEL_WORKLOADS_H
#define KEEL_WORKLOADS_H

#include "pods/objects.h"

/*
 * The controllers of Deployments, DaemonSets and Jobs on one host. A
 * Deployment keeps replicas pods of its template (<name>-<n>); a new
 * template (or rollout restart) replaces them one at a time, a new pod
 * first and an old one gone only once the new one is ready (maxSurge,
 * maxUnavailable), so ready copies never drop to zero; with hostPorts or
 * hostNetwork the old one goes first (the port is the old one's). A
 * DaemonSet is one pod, replaced the same way. A Job runs completions
 * pods, parallelism at a time, until they have succeeded, or fails past
 * backoffLimit or activeDeadlineSeconds; its pods stay listed.
 */

/* Every workload toward what it wants: pods made, replaced, deleted. */
void workloads_step(void);

/* A workload read back: its state file (restarts, a Job's end). */
void workloads_adopt(struct obj_rt *w);

/* Its pods deleted, its state file removed (the object stays). */
void workloads_delete(struct obj_rt *w);

/* kubectl rollout restart: every pod replaced, one at a time. */
int workloads_restart(struct obj_rt *w);

/* Its pods: ready, up to date (the template in effect), in all */
void workloads_counts(const struct obj_rt *w, int *ready, int *updated,
		      int *total);

/* The hash its pods are made from now: template and restarts */
uint64_t workloads_hash(const struct obj_rt *w);

#endif

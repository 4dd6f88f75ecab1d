/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSTEP_H
#define KEEL_PODSTEP_H

#include "pods/pods.h"

/*
 * One pod moved along its state machine (podsm.h): what ended is
 * accounted for, its probes are run, the facts gathered, and the step's
 * actions done (a pull, its sandbox, starting containers) until it
 * rests.
 */
void podstep(struct pod_rt *p);

/* The one place a pod's state changes: each transition logged once. */
void podstep_set_state(struct pod_rt *p, enum pod_state s);

/* A child ended: true when it was a pod's puller. */
bool podstep_reaped(pid_t pid, int status);

/* When p has something to do of its own accord (boottime ms), or -1 */
long long podstep_due(const struct pod_rt *p, long long now);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CTRS_H
#define KEEL_CTRS_H

#include "pods/pods.h"

/*
 * A pod's containers, one run after another: started, watched through
 * their shims' pidfds, their ends accounted for once, and their restart
 * state (restarts, back-off, done) kept in run_dir/state for the next
 * imaged.
 */

/* What run_dir says: its restart state and its latest run, watched. */
void ctrs_load(struct ctr_rt *c);
void ctrs_save(const struct ctr_rt *c);

/* A live run's shim, watched through a pidfd; or no more. */
void ctrs_watch(struct ctr_rt *c);
void ctrs_unwatch(struct ctr_rt *c);

/* A run of c: its spec made from the image in the store, then the shim. */
int ctrs_start(struct pod_rt *p, struct ctr_rt *c);

/* What the run's files say now (or the start made before them). */
void ctrs_refresh(struct ctr_rt *c);

/*
 * A run that ended, accounted for once: counted, logged, and the next
 * start timed per restartPolicy and back-off (none while p is stopped).
 */
void ctrs_ended(struct pod_rt *p, struct ctr_rt *c);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_BACKOFF_H
#define KEEL_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Kubernetes' CrashLoopBackOff, as the kubelet times it: a container that
 * exits is started again after 10 s, doubling each time to at most 5
 * minutes; once it has run 10 minutes, the next exit starts from 10 s
 * again. Which exits restart at all is the Pod's restartPolicy. Pure
 * (times in, times out) for unit tests.
 */

#define BACKOFF_FIRST_MS 10000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define BACKOFF_RESET_MS (10 * 60 * 1000)

struct backoff {
	int64_t delay_ms; /* the last delay given; 0: none yet */
};

/*
 * A container exited after running ran_ms: how long to wait before the
 * next start.
 */
int64_t backoff_next(struct backoff *b, int64_t ran_ms);

/*
 * Whether an exit with this code, or a kill (OOM included), restarts
 * under a pod's restartPolicy (enum pod_restart).
 */
bool restart_wanted(int policy, int exit_code, bool killed);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HANDLER_H
#define KEEL_HANDLER_H

#include "pods/pods.h"

#include <poll.h>

/*
 * One try of a probe's or a hook's action, in flight in a probe_rt:
 * httpGet and tcpSocket as a non-blocking socket of imaged's to the pod's
 * address (the host's loopback with hostNetwork), exec as a process in
 * the container (imaged's child, entered as imagectl exec enters), sleep
 * as a time. Each ends in ok, or why it failed in the kubelet's words.
 */

/* Start one try of h for container c, timeout_s to answer. */
void handler_launch(struct pod_rt *p, struct ctr_rt *c,
		    const struct pod_handler *h, struct probe_rt *pr,
		    int timeout_s, long long now);

bool handler_busy(const struct probe_rt *pr);

/* Whether it may have moved: its socket or pipe ready, its time up */
bool handler_due(const struct probe_rt *pr, long long now);

/* Whatever it can do without waiting; true once the try is over. */
bool handler_progress(struct probe_rt *pr, const struct pod_handler *h,
		      long long now);

/* Over, whatever it was doing (its process killed). */
void handler_cancel(struct probe_rt *pr);

/* Its socket or pipe for the daemon's poll, up to max: the count. */
int handler_watch(const struct probe_rt *pr, struct pollfd *fds, int max);

/* A child ended: true when it was this try's process. */
bool handler_reaped(struct probe_rt *pr, pid_t pid, int status);

/* Wait up to ms for something of it to happen (preStop, outside the loop) */
void handler_wait(struct probe_rt *pr, int ms);

#endif

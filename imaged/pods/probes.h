/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PROBES_H
#define KEEL_PROBES_H

#include "pods/pods.h"

#include <poll.h>

/*
 * A container's probes and lifecycle hooks, with the kubelet's meaning:
 * postStart runs first and holds the probes off (a failed one kills the
 * container); startupProbe holds liveness and readiness off until it
 * passes (failureThreshold failures kill the container); livenessProbe
 * kills it after failureThreshold failures in a row (it restarts per
 * restartPolicy, counted); readinessProbe gates READY. httpGet and
 * tcpSocket are sockets of imaged's to the pod's address, driven by the
 * daemon's loop (no process); exec runs in the container, as a child of
 * imaged that joins it.
 */

/* A run of c has begun: its hook and probes scheduled. */
void probes_start(struct ctr_rt *c);

/* Whatever is due or answered: results counted and acted on. */
void probes_step(struct pod_rt *p, struct ctr_rt *c);

/* c's run is over: nothing of it stays in flight. */
void probes_stop(struct ctr_rt *c);

/* boottime ms of c's next probe, timeout or kill; -1 for none */
long long probes_due(const struct ctr_rt *c);

/* c's sockets and pipes in flight, up to max: their count */
int probes_watch(const struct ctr_rt *c, struct pollfd *fds, int max);

/* A child ended: true when it was a probe's or a hook's. */
bool probes_reaped(pid_t pid, int status);

/*
 * The preStop hooks of p's live containers, together, within grace_ms:
 * the ms they took.
 */
long probes_pre_stop(struct pod_rt *p, long grace_ms);

/* A liveness (or startup, or postStart) failure: the run is stopped. */
void probes_kill(struct pod_rt *p, struct ctr_rt *c, const char *why);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSM_H
#define KEEL_PODSM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A pod's life as one state machine. Each state is what `imagectl pods`
 * says of the pod (its STATUS, the word kubectl would print); the step
 * below decides, from what is true of the pod now (its facts), the next
 * state and what to do about it. Pure, for unit tests: pods.c gathers
 * the facts, does the action and logs each transition (set_state).
 */

enum pod_state {
	POD_PENDING, /* loaded or started: nothing looked at yet */
	POD_CONFIG_ERROR, /* an object it names does not exist (yet) */
	POD_PULLING, /* its images are being pulled */
	POD_PULL_BACKOFF, /* a pull failed: waiting to try again */
	POD_CREATING, /* its namespaces are being made */
	POD_SANDBOX_ERROR, /* they could not be: waiting to try again */
	POD_INIT, /* its init containers run, one at a time */
	POD_INIT_BACKOFF, /* one failed: waiting to start it again */
	POD_INIT_ERROR, /* one failed for good (restartPolicy Never) */
	POD_RUNNING, /* its containers run (or wait to start) */
	POD_CRASH_LOOP, /* one exited and waits out its back-off */
	POD_OOM_KILLED, /* one was killed for memory and waits */
	POD_CREATE_ERROR, /* one could not be started and waits */
	POD_SUCCEEDED, /* every container ended for good, each with 0 */
	POD_FAILED, /* every container ended for good, one not with 0 */
	POD_STOPPED, /* imagectl stop: nothing runs until imagectl start */
	POD_STATES
};

/* What the step asks pods.c to do. */
enum pod_action {
	POD_ACT_NONE,
	POD_ACT_PULL, /* start pulling its missing images */
	POD_ACT_SANDBOX, /* make its namespaces */
	POD_ACT_START_INIT, /* start the next init container */
	POD_ACT_START, /* start the containers that are due */
};

/* What is true of a pod now. */
struct pod_facts {
	bool config; /* every ConfigMap and Secret it names exists */
	bool pulling; /* a pull of its images runs */
	bool images; /* every image it runs is in the store */
	bool pull_due; /* no failed pull is waiting out its back-off */
	bool sandbox; /* its namespaces are made */
	bool sandbox_due; /* no failed attempt is waiting to be retried */
	/* init containers, in order */
	size_t n_init, init_done; /* done: ended with 0 */
	bool init_live; /* one runs */
	bool init_due; /* the next may start now */
	bool init_failed; /* one failed and will not run again */
	/* the containers */
	size_t n_ctrs, succeeded, failed; /* ended for good, by exit */
	bool due; /* one may start now */
	bool crash_wait, oom_wait, create_error; /* one waits, and why */
};

/* The next state from s, and the action to take (or POD_ACT_NONE). */
enum pod_state pod_step(enum pod_state s, const struct pod_facts *f,
			enum pod_action *act);

/* Whether containers are started in state s (their back-offs count) */
bool pod_state_starts(enum pod_state s);

/* The state's name in the log ("Pulling"), and its kubectl STATUS word */
const char *pod_state_name(enum pod_state s);
const char *pod_state_status(enum pod_state s);

#endif

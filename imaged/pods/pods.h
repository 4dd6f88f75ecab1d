/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODS_H
#define KEEL_PODS_H

#include "pods/backoff.h"
#include "pods/podsm.h"
#include "images/images.h"
#include "oci/manifest.h"
#include "oci/pod.h"
#include "run/runtime.h"

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * The pods imaged runs: read from the image, the ESP and what `imagectl
 * apply` kept, each moved toward running by its state machine (podsm.h:
 * pull its images, make its namespaces, run init containers in order,
 * then the rest, restarting per restartPolicy with CrashLoopBackOff
 * timing) whenever something happens to it. Everything a restarted
 * imaged needs is on disk, so it adopts what runs.
 */

#define PODS_IMAGE_DIR "/etc/keel/pods"
#define PODS_ESP_DIR "/boot/config/pods"
#define PODS_APPLIED_DIR "/var/lib/keel/pods"
#define PODS_MAX 64
#define STOP_GRACE_MS 10000 /* SIGTERM, then every process is killed */
#define POD_LOG_MAX (10LL << 20) /* bytes, then <ctr>.log.1 */
#define POD_PIDS_MAX 1024 /* pids.max of each container */
#define POD_EVENTS_MAX 16 /* what describe shows, the latest */

/* SRC_REVISION: the channel's workload revision (os/revision.c) */
enum pod_origin { SRC_IMAGE, SRC_ESP, SRC_APPLIED, SRC_REVISION };

/*
 * A probe's or a postStart hook's tries, one in flight at a time: an
 * httpGet or tcpSocket is a socket of imaged's (no process), an exec a
 * process in the container, reaped as imaged's child.
 */
struct probe_rt {
	bool busy; /* a try is in flight */
	long long next_ms; /* boottime of the next try; 0: none due */
	long long deadline_ms; /* of the try in flight */
	int fd; /* its socket, or -1 */
	pid_t pid; /* its process, or 0 */
	int status; /* the process's wait status once reaped; -1 before */
	int out; /* the process's output pipe, or -1 */
	bool sent; /* httpGet: the request is written */
	size_t got;
	char buf[128]; /* what came back: a status line, or output */
	int successes, failures; /* in a row */
	bool ok; /* the latest result */
	char why[160]; /* the latest failure, in words */
};

enum { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP, PROBES };

struct ctr_rt {
	const struct pod_container *k;
	bool is_init;
	char run_dir[256]; /* PODS_RUN_DIR/<pod>/<ctr> */
	struct run_info ri; /* the latest run, as its files say */
	/* kept in run_dir/state, for the next imaged */
	int restarts;
	long long handled; /* the run whose end is accounted for */
	struct backoff bo;
	long long next_ms; /* CLOCK_BOOTTIME ms of the next start; 0: now */
	bool done; /* not to run again under the restartPolicy */
	int pidfd; /* of its live run's shim: readable when it ends; or -1 */
	char error[256]; /* why it could not be started, or "" */
	/* its live run's probes and postStart hook (probes.c) */
	struct probe_rt probes[PROBES], hook;
	bool execd; /* its program is exec'd: exec handlers may enter it */
	bool hooked; /* postStart is done (or there is none) */
	bool started; /* its startupProbe passed (or there is none) */
	bool ready; /* readinessProbe says so (or running, without one) */
	long long kill_at; /* a liveness kill: boottime of the SIGKILL; 0 */
	long long ready_since; /* epoch ms it became ready; 0: not ready */
	struct run_info last; /* the run before this one, for lastState */
};

struct pod_event {
	long long at, first; /* epoch ms: the latest, and the first of count */
	int count; /* the same event again: counted, as kubectl shows */
	bool warning;
	char reason[24]; /* Pulled, Started, Unhealthy, Killing, BackOff */
	char message[200];
};

struct obj_rt;

struct pod_rt {
	struct pod *spec; /* its own: obj's, or its workload's copy */
	struct kobj *obj; /* the Pod object it came from, or NULL */
	struct obj_rt *owner; /* the workload it is a pod of, or NULL */
	uint64_t hash; /* owner's template (and restarts) it was made from */
	int index; /* owner: the number its name ends in */
	char file[CTR_PATH_MAX];
	enum pod_origin source;
	char dir[128]; /* PODS_RUN_DIR/<key> */
	enum pod_state state; /* set_state alone changes it */
	bool sandbox; /* its namespaces are made (dir/ns) */
	char ip[64];
	long long created; /* epoch ms of its sandbox */
	pid_t puller; /* pulling its images, or 0 */
	long long pull_next_ms; /* a failed pull's next try (boottime) */
	struct backoff pull_bo;
	long long retry_ms; /* a failed sandbox's next try (boottime) */
	char error[512]; /* pull, sandbox or config failure, or "" */
	size_t n_events, next_event;
	struct pod_event events[POD_EVENTS_MAX];
	size_t n_ctrs;
	struct ctr_rt ctrs[2 * POD_CONTAINERS_MAX]; /* init ones first */
};

/*
 * Load every pod and adopt what runs; ready_fd (or -1) hears when they
 * run. host_users: imaged.conf's default_host_users. revision: the
 * workload revision's file that runs, or NULL; fresh: none of its pods'
 * runs is adopted (they may be another revision's: they are stopped,
 * and its pods start from its file).
 */
void pods_init(const struct images_ctx *x, int ready_fd, bool host_users,
	       const char *revision, bool fresh);

/*
 * Reconcile every pod: after a request, a child that ended, a watched
 * shim that ended, or when pods_due_in_ms said.
 */
void pods_tick(void);

/*
 * ms until a pod has something due (a restart's backoff, a pull's, a
 * retry after an error), 0 for now, -1 for nothing but events.
 */
long long pods_due_in_ms(void);

/* The shims of live runs, each a pidfd readable when it ends: up to max. */
/* a shim, and a probe or hook in flight with its output, per container */
#define PODS_WATCH_MAX (PODS_MAX * 2 * POD_CONTAINERS_MAX * 4)
int pods_watch(struct pollfd *fds, int max);

/* Whether fd (a shim's pidfd, a probe's socket) was ready at this tick */
bool pods_fired(int fd);

/* A child ended (pullers are pods' own). */
void pods_reaped(pid_t pid, int status);

/*
 * The pod whose containers use the image ref names, or NULL: such an
 * image is not removed (prune would take its layers from under them).
 */
const char *pods_image_user(const char *ref);

/* For the requests (podreq.c): the table and its operations. */
struct pod_rt *pods_find(const char *ns, const char *name);
/*
 * A new pod of spec (taken: freed with the pod), from obj (a Pod object,
 * taken too) or owned by a workload. *out the pod, or -errno.
 */
int pods_add(struct pod *spec, struct kobj *obj, struct obj_rt *owner,
	     const char *file, enum pod_origin src, struct pod_rt **out);
void pods_stop(struct pod_rt *p);
void pods_remove(struct pod_rt *p);
/* imagectl stop and start: the pod leaves its state for another */
void pods_set_stopped(struct pod_rt *p, bool stopped);
/* Its STATUS, as `imagectl pods` prints it ("Running", "Init:1/2") */
void pods_status(const struct pod_rt *p, char *status, size_t len);
/* Its containers (init ones aside): ready, in all, restarts (init too) */
void pods_counts(const struct pod_rt *p, int *ready, int *total, int *restarts);
/* Running, and every container that is to run ready (readiness) */
bool pods_ready(const struct pod_rt *p);
/* An event of the pod, for describe (and the log) */
void pods_event(struct pod_rt *p, bool warning, const char *reason,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Stopped (preStop, then its grace), then out of the table */
void pods_delete(struct pod_rt *p);
extern struct pod_rt *pods[PODS_MAX];
extern size_t n_pods;

/* imaged.conf's default_host_users, as pods_init was given it */
bool pods_default_host_users(void);

/* The store, as pods_init was given it */
const struct images_ctx *pods_images(void);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODS_H
#define KEEL_PODS_H

#include "pods/backoff.h"
#include "pods/podsm.h"
#include "images/images.h"
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

enum pod_origin { SRC_IMAGE, SRC_ESP, SRC_APPLIED };

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
};

struct pod_rt {
	struct pod *spec;
	char file[CTR_PATH_MAX];
	enum pod_origin source;
	char dir[128]; /* PODS_RUN_DIR/<name> */
	enum pod_state state; /* set_state alone changes it */
	bool sandbox; /* its namespaces are made (dir/ns) */
	char ip[64];
	long long created; /* epoch ms of its sandbox */
	pid_t puller; /* pulling its images, or 0 */
	long long pull_next_ms; /* a failed pull's next try (boottime) */
	struct backoff pull_bo;
	long long retry_ms; /* a failed sandbox's next try (boottime) */
	char error[512]; /* pull or sandbox failure, or "" */
	size_t n_ctrs;
	struct ctr_rt ctrs[2 * POD_CONTAINERS_MAX]; /* init ones first */
};

/*
 * Load every pod and adopt what runs; ready_fd (or -1) hears when they
 * run. host_users: imaged.conf's default_host_users.
 */
void pods_init(const struct images_ctx *x, int ready_fd, bool host_users);

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
#define PODS_WATCH_MAX (PODS_MAX * 2 * POD_CONTAINERS_MAX)
int pods_watch(struct pollfd *fds, int max);

/* A child ended (pullers are pods' own). */
void pods_reaped(pid_t pid, int status);

/*
 * The pod whose containers use the image ref names, or NULL: such an
 * image is not removed (prune would take its layers from under them).
 */
const char *pods_image_user(const char *ref);

/* For the requests (podreq.c): the table and its operations. */
struct pod_rt *pods_find(const char *name);
int pods_add(struct pod *spec, const char *file, enum pod_origin src);
void pods_stop(struct pod_rt *p);
void pods_remove(struct pod_rt *p);
/* imagectl stop and start: the pod leaves its state for another */
void pods_set_stopped(struct pod_rt *p, bool stopped);
/* Its STATUS, as `imagectl pods` prints it ("Running", "Init:1/2") */
void pods_status(const struct pod_rt *p, char *status, size_t len);
/* Its containers (init ones aside): ready, in all, restarts (init too) */
void pods_counts(const struct pod_rt *p, int *ready, int *total, int *restarts);
extern struct pod_rt *pods[PODS_MAX];
extern size_t n_pods;

/* imaged.conf's default_host_users, as pods_init was given it */
bool pods_default_host_users(void);

/* The store, as pods_init was given it */
const struct images_ctx *pods_images(void);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OBJECTS_H
#define KEEL_OBJECTS_H

#include "oci/manifest.h"
#include "pods/pods.h"

/*
 * The objects beside the pods: ConfigMaps, Secrets, claims
 * (PersistentVolumeClaim) and workloads (Deployment, DaemonSet, Job),
 * by namespace and name, each from its file. Pods are the pods table's
 * (pods.h). A claim's volume is a folder of VOLUMES_DIR, kept until the
 * claim is deleted.
 */

#define OBJS_MAX 256
#define VOLUMES_DIR "/var/lib/keel/volumes" /* <ns>/<claim>/ */
#define WORKLOADS_DIR "/var/lib/keel/workloads" /* <kind>_<ns>_<name> */

/* A workload's controller (workloads.c) keeps this */
struct wl_state {
	int restarts; /* rollout restarts: a new hash for the same template */
	int succeeded, failed; /* a Job's pods, for good */
	bool complete, job_failed; /* a Job's end */
	long long started; /* epoch ms a Job started */
	char why[160]; /* a failed Job's reason */
};

struct obj_rt {
	struct kobj *o;
	enum pod_origin origin;
	char file[CTR_PATH_MAX];
	long long created; /* epoch ms it was first added */
	struct wl_state wl;
};

extern struct obj_rt *objs[OBJS_MAX];
extern size_t n_objs;

struct obj_rt *objects_find(enum kobj_kind kind, const char *ns,
			    const char *name);

/*
 * o (taken) into the table, replacing one of the same kind, namespace
 * and name (*replaced then says so). The new entry, or NULL (full).
 */
struct obj_rt *objects_add(struct kobj *o, enum pod_origin origin,
			   const char *file, bool *replaced);
void objects_remove(struct obj_rt *r);

/* A ConfigMap's or Secret's value of key in ns, or NULL */
const struct kdata_item *objects_value(bool secret, const char *ns,
				       const char *obj, const char *key);

/* A claim's folder: VOLUMES_DIR/<ns>/<name> */
void objects_claim_dir(const char *ns, const char *name, char *out, size_t len);

/*
 * Whether every object p names exists (non-optional ConfigMaps, Secrets
 * and their keys; claims): 0, or -ENOENT with why as kubectl says it.
 */
int objects_pod_ready(const struct pod *p, char *why, size_t len);

/* A file name in PODS_APPLIED_DIR for an object: <kind>_<ns>_<name>.yaml */
void objects_applied_path(enum kobj_kind kind, const char *ns, const char *name,
			  char *out, size_t len);

#endif

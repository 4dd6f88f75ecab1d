/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODLOAD_H
#define KEEL_PODLOAD_H

#include "pods/objects.h"

/*
 * The manifests of the three folders, in order: the image's
 * (/etc/keel/pods), the ESP's (config/pods), what imagectl apply kept
 * (/var/lib/keel/pods); an object named again later replaces the
 * earlier one. A file with an error is logged and taken not at all;
 * the rest load as usual. Then revision (or NULL): the file of the
 * channel's workload revision that runs (os/revision.c).
 */
void podload_all(const char *revision);
/* That file alone, after the rest */
void podload_all_revision(const char *revision);

/* Runs no pod owns any more (deleted while imaged was down) removed */
void podload_orphans(void);

/*
 * o (taken) into its table, replacing its namesake: a Pod into the
 * pods, the rest among the objects. *what "created" or "configured".
 * 0, or -errno with err (o freed).
 */
int podload_object(struct kobj *o, enum pod_origin src, const char *file,
		   const char **what, char *err, size_t errlen);

/* kubectl's name of an object: "pod/web", "deployment.apps/web" */
void podload_name(const struct kobj *o, char *out, size_t len);

#endif

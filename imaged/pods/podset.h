/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODSET_H
#define KEEL_PODSET_H

#include "pods/objects.h"

#include <stdbool.h>

/*
 * The objects of one origin as a set, replaced by another at once: what
 * a workload revision (os/revision.c) does to the objects the channel
 * manages. The other origins' objects (the image's, the ESP's, imagectl
 * apply's) are never touched.
 */

/*
 * A name in o[0..n) (from file_name) that an object of another origin
 * holds: 0, or -EEXIST with err naming the file, line and field.
 */
int podset_check(struct kobj *const *o, size_t n, enum pod_origin src,
		 const char *file_name, char *err, size_t errlen);

/*
 * The objects of src become o[0..n) (each taken; the array's entries
 * are set to NULL), from file: an object there already with the same
 * text is left as it runs; a changed one is replaced (a Pod deleted and
 * made again, a workload rolled); one of src not in o is deleted (a
 * claim's folder is kept). What pods use goes in first. 0, or -errno
 * with err (the rest still goes in).
 */
int podset_replace(struct kobj **o, size_t n, enum pod_origin src,
		   const char *file, char *err, size_t errlen);

/*
 * Every pod of src Running and ready (or Completed), every workload of
 * src at its replicas of its template with none old left, every Job
 * complete: true; false with why naming the first that is not.
 */
bool podset_ready(enum pod_origin src, char *why, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODGET_H
#define KEEL_PODGET_H

#include "oci/manifest.h"

#include <stdbool.h>

/* What a request said besides its words: kubectl's flags */
struct req {
	const char *ns; /* -n NS; "default" */
	bool all; /* -A */
	const char *output; /* -o yaml|json|wide, or NULL */
	bool dry_run; /* --dry-run */
	const char *file, *display; /* -f FILE (as the user named it) */
	int argc;
	char *argv[16]; /* the rest, in order */
};

/* imagectl get KIND [NAME] [-o yaml|json], and imagectl pods */
void podget_list(int fd, const struct req *q, enum kobj_kind kind);

/* imagectl describe [KIND] NAME: what it is, its state and events */
void podget_describe(int fd, const struct req *q, enum kobj_kind kind,
		     const char *name);

#endif

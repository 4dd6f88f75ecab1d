/* SPDX-License-Identifier: MIT */
#ifndef KEEL_IMAGES_H
#define KEEL_IMAGES_H

#include "images/pull.h"
#include "store/store.h"

#include <stdbool.h>
#include <sys/types.h>

/* What the image requests need from the daemon. */
struct images_ctx {
	const struct store *store;
	const char *regconf_path; /* NULL: REGCONF_FILE, then REGCONF_ESP */
	const char *token_dir; /* NULL: REGISTRY_TOKEN_DIR */
};

/*
 * pull, images, inspect, rm, prune and load. false when argv is none of
 * them; *child is set to a process started for the request.
 */
bool images_handle(const struct images_ctx *x, int fd, int argc, char **argv,
		   pid_t *child);

/* A pull for a pod's container, with the registries' settings. */
int images_pull_ref(const struct images_ctx *x, const char *ref, char *err,
		    size_t errlen);

/* Where the build puts image archives for the first start (data partition) */
#define PRELOAD_DIR "/var/lib/keel/preload"

/* Load every archive in dir, removing each once it is in the store. */
void images_preload(const struct images_ctx *x, const char *dir);

#endif

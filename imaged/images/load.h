/* SPDX-License-Identifier: MIT */
#ifndef KEEL_LOAD_H
#define KEEL_LOAD_H

#include "images/pull.h"
#include <stddef.h>

/*
 * A `docker save` archive or an OCI image layout in a tar archive into
 * the store, each image named by its RepoTags or ref.name annotation.
 */
int image_load(const struct pull_opts *o, const char *path, char *err,
	       size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PULL_H
#define KEEL_PULL_H

#include "imaged.h"
#include "progress.h"
#include "oci/oci.h"
#include "images/regconf.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Pulling an image into the store: its manifest (through an index to
 * this host's platform), config and layers, every byte checked against
 * its digest, layers downloaded max_parallel at a time and unpacked as
 * they stream in. Nothing is visible in the store until it is verified,
 * and a failed pull leaves only what it had fully verified.
 */

struct pull_opts {
	const struct regconf *rc;
	const struct store *s;
	const char *platform; /* "os/arch[/variant]"; NULL: this host's */
	struct progress *p;
	const char *token_dir; /* NULL: REGISTRY_TOKEN_DIR */
};

/* ref as a user writes it; *name gets its canonical form. */
int image_pull(const struct pull_opts *o, const char *ref,
	       char name[IMAGE_REF_MAX + 1], char *err, size_t errlen);

/* This host's platform as an index names it: "linux/amd64". */
const char *host_platform(void);

/*
 * Layer i of an image whose blob is already in the store into its
 * snapshot (if it is not there yet): unpacked, checked against its
 * DiffID, synced and renamed into place. work is a folder in tmp/.
 */
int snapshot_from_blob(const struct pull_opts *o, const struct store_view *v,
		       size_t i, const char *work, char *err, size_t errlen);

#endif

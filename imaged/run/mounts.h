/* SPDX-License-Identifier: MIT */
#ifndef KEEL_MOUNTS_H
#define KEEL_MOUNTS_H

#include "run/container.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The container's root, in its fresh mount namespace: the overlay of its
 * layers (each idmapped into the pod's user namespace, usernsfd, when it
 * has one; else -1), /proc, /dev, /sys, cgroupfs, the pod's /etc files,
 * its volumes, Docker's masked and read-only paths, then pivot_root. 0,
 * or -errno with err saying which step failed.
 */
int ctr_mount_root(const struct ctr_spec *s, int usernsfd, char *err,
		   size_t errlen);

/*
 * Open path under the directory rootfd as if rootfd were "/" (symlinks
 * in an image cannot lead out of it), creating what is missing: folders
 * on the way, and the last part as a folder (dir) or an empty file.
 * O_PATH fd or -errno.
 */
int ctr_open_in_root(int rootfd, const char *path, bool dir);

#endif

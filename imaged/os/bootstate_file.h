/* SPDX-License-Identifier: MIT */
#ifndef KEEL_BOOTSTATE_FILE_H
#define KEEL_BOOTSTATE_FILE_H

#include "os/bootstate.h"
#include <stddef.h>
#include <sys/types.h>

/*
 * The boot state in files. grubenv is kept twice in one directory of
 * the ESP: GRUBENV_BACKUP_NAME is written first and synced, then
 * GRUBENV_NAME; both are rewritten in place. *which (may be NULL) says
 * which one was read: 0 the primary, 1 the backup.
 */
int grubenv_write_pair(const char *dir, const struct env *env, char *err,
		       size_t errlen);
int grubenv_read_pair(const char *dir, struct env *env, int *which, char *err,
		      size_t errlen);

/*
 * Where a U-Boot environment lives, as fw_env.config says it: one line
 * per copy, a file (or device) and an offset. path[1] NULL: the single
 * copy layout. The two copies may share a file at different offsets.
 */
struct ubootenv_loc {
	const char *path[2];
	off_t offset[2];
	size_t size;
};

int ubootenv_read(const struct ubootenv_loc *loc, struct ubootenv *u, char *err,
		  size_t errlen);
/* Redundant layout only: a single copy cannot be rewritten safely. */
int ubootenv_write(const struct ubootenv_loc *loc, struct ubootenv *u,
		   char *err, size_t errlen);

#endif

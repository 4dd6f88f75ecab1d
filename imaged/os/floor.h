/* SPDX-License-Identifier: MIT */
#ifndef KEEL_FLOOR_H
#define KEEL_FLOOR_H

#include "imaged.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The version floor: the highest min_version a believed channel document
 * named, kept on /var. It only rises. No install goes below it, --force
 * included, and `imagectl os rollback` does not boot a slot below it: a
 * version known to be vulnerable does not come back. (A bootloader
 * falling back from a new slot that never got healthy still boots the
 * old one: that is the only way the host keeps running.)
 */
#define VERSION_FLOOR UPDATE_STATE_DIR "/version-floor"

/* The floor kept at path into v ("" for none); 0 or -errno. */
int floor_read(const char *path, char *v, size_t len);

/*
 * Raise the floor at path to v, if v is higher; never lowered. 0 (also
 * when it stays), or -errno.
 */
int floor_raise(const char *path, const char *v);

/* version may be installed or booted under floor ("" for none). */
bool floor_allows(const char *floor, const char *version);

/*
 * version is allowed under the floor at path; otherwise -EPERM with err
 * naming what (a "bundle version", a "slot b version") is below what.
 */
int floor_check(const char *path, const char *what, const char *version,
		char *err, size_t errlen);

#endif

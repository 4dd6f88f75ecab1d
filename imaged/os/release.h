/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OS_RELEASE_H
#define KEEL_OS_RELEASE_H

#include <stddef.h>

/* A key from /etc/os-release ("VERSION_ID", "VARIANT_ID"), unquoted. */
int os_release_get(const char *key, char *val, size_t len);

#endif

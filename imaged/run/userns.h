/* SPDX-License-Identifier: MIT */
#ifndef KEEL_USERNS_H
#define KEEL_USERNS_H

#include <stdint.h>

/*
 * Host ids for pods with a user namespace of their own (hostUsers:
 * false): each gets USERNS_SIZE of them, container id 0 at base, base a
 * multiple of USERNS_SIZE from USERNS_SIZE up (so never a host user's,
 * which are below 65536). The base is recorded in the pod's folder under
 * PODS_VAR_DIR, so a restarted imaged, and the next boot, give the pod
 * the same ids its files on disk (emptyDir) already have.
 */
#define USERNS_SIZE 65536u
#define USERNS_RANGES 32767u /* bases up to 2^31 */
#define USERNS_FILE "userns" /* PODS_VAR_DIR/<pod>/userns: "<base>\n" */

/*
 * The base recorded for pod under dir (PODS_VAR_DIR), or a free one
 * recorded now. 0, or -errno (-ENOSPC: every range is taken).
 */
int userns_pick(const char *dir, const char *pod, uint32_t *base);

/* The base recorded for pod, or -ENOENT when it has none. */
int userns_recorded(const char *dir, const char *pod, uint32_t *base);

/* The uid_map / gid_map text for a base: "0 <base> USERNS_SIZE\n". */
void userns_map(uint32_t base, char *out, unsigned len);

#endif

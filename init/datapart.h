/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DATAPART_H
#define KEEL_DATAPART_H

#include <stddef.h>

/*
 * /var at boot: find the data partition, grow it to the end of the disk,
 * create the filesystem on first boot or check it on every other, mount
 * it, and grow the filesystem to the partition. On failure, why says
 * what and what to do.
 */
int data_mount(const char *spec, int wait_s, char *why, size_t len);

/*
 * A degraded boot's /var: a tmpfs with the same folders, so the
 * services start; what they write is gone at the next boot.
 */
int data_mount_tmpfs(void);

#endif

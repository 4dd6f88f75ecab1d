/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SLOTFILES_H
#define KEEL_SLOTFILES_H

#include "os/bundle.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * What an install writes besides the root partition: the slot's files on
 * the ESP (/boot/<slot>/: vmlinuz, initramfs.img, slot.cfg, slot.env,
 * version) and the pending note on /var. Nothing here touches the
 * running slot's files.
 */

/* ESP_DIR/<slot>/<name><suffix> */
void slot_path(char *buf, size_t len, int slot, const char *name,
	       const char *suffix);

/* The file a kernel payload k goes to ("vmlinuz", "initramfs.img"). */
const char *slot_file(int k);

/* The note of an install in progress (UPDATE_PENDING). */
int pending_write(int slot, const char *version, bool committed);

/*
 * The root fits the slot's partition (/dev/<dev>) and the kernel files
 * fit the ESP, counting the room the slot's old ones free.
 */
int check_fit(const struct manifest *m, int slot, const char *dev, char *err,
	      size_t errlen);

/* The slot's old file k gone, <file>.new open for writing: fd or -errno. */
int open_new(int slot, int k, char *err, size_t errlen);

/* <file>.new synced and renamed over <file>. */
int rename_new(int fd, int slot, int k, char *err, size_t errlen);

/*
 * slot.cfg (GRUB), slot.env (U-Boot), version and sums (the kernel
 * files' sizes and sha256, as "<name> <size> <sha256>" lines), each by
 * rename.
 */
int write_slot_cfg(int slot, const struct manifest *m, char *err,
		   size_t errlen);

/*
 * Whether the slot's kernel file k is payload pl, by its sums line:
 * a delta copies such a file instead of fetching it (and hashes it on
 * the way all the same). -ENOENT when the slot has no sums.
 */
int slot_sum_matches(int slot, int k, const struct payload *pl);

#endif

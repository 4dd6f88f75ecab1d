/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SLOTS_H
#define KEEL_SLOTS_H

#include "os/bootstate.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The two OS slots as the boot state and the ESP describe them: which one
 * booted (keel.slot= on the command line), the order and tries the
 * bootloader works from, and the version installed in each
 * (/boot/<slot>/version).
 */
struct slots {
	int booted; /* 0 for a, 1 for b, -1 when unknown */
	struct boot_state bs;
	char version[2][64];
};

static inline char slot_name(int i)
{
	return 'a' + i;
}

/* keel.slot= from the text of /proc/cmdline: 0, 1 or -1. */
int slot_from_cmdline(const char *cmdline);

/* Reads everything; -errno with a reason when the boot state is bad. */
int slots_read(struct slots *s, char *err, size_t errlen);

/*
 * Writes the boot state (both grubenv copies), with the ESP writable only
 * for the moment it takes. Every other variable is kept.
 */
int slots_write_state(const struct boot_state *bs, char *err, size_t errlen);

/* The ESP read-write for an install, then back to read-only. */
int esp_writable(bool rw);

/* One line per slot, for imagectl os status. */
void slots_describe(const struct slots *s, char *buf, size_t len);

/* The slot the bootloader will start next, as grub.cfg picks it. */
int slots_next_boot(const struct boot_state *bs);

#endif

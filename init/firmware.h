/* SPDX-License-Identifier: MIT */
#ifndef KEEL_FIRMWARE_H
#define KEEL_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A driver that asks for a firmware file the root lacks gets only a
 * warning in the kernel log ("Direct firmware load for rtl_nic/... failed
 * with error -2"), which a quiet console does not show. init reads the
 * kernel log and says so itself, naming the device and the file, on the
 * console and in its log: a NIC without its firmware is why a box has no
 * network.
 */

/* Open /dev/kmsg from its start (this boot's records). 0 or -errno. */
int firmware_watch_open(void);

/* For poll; -1 when not open. */
int firmware_watch_fd(void);

/* Read the waiting records; log each missing firmware file. */
void firmware_watch_read(void);

/*
 * One /dev/kmsg record ("<prio>,<seq>,<usec>,<flags>;<message>\n..."): is
 * it the kernel's own (facility 0) saying a firmware load failed? Then
 * the file and the device ("r8169 0000:02:00.0") are copied out.
 */
bool firmware_missing(const char *record, size_t len, char *file,
		      size_t file_len, char *dev, size_t dev_len);

#endif

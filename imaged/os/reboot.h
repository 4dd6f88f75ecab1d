/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OS_REBOOT_H
#define KEEL_OS_REBOOT_H

#include "imaged_conf.h"
#include "progress.h"

/*
 * Reboot for an installed update: at once, or once the reboot window
 * opens, saying which on the progress line.
 */
void reboot_when_allowed(const struct imaged_conf *c, struct progress *p);

/* Ask init (over /run/init.sock) to reboot. */
int request_reboot(void);

#endif

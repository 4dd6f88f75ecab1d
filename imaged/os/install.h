/* SPDX-License-Identifier: MIT */
#ifndef KEEL_INSTALL_H
#define KEEL_INSTALL_H

#include "imaged_conf.h"
#include "os/expect.h"
#include "progress.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Install the bundle at source (a file, a block device or an http://
 * URL) into the inactive slot and make it boot next with the configured
 * tries. force allows a version that is not newer, never one below the
 * version floor (os/floor.h). expect, when not NULL, is what the bundle
 * must be (os/expect.h: a channel's binding). The install is a
 * state machine (install.c; the states and why they come in that order
 * are in imaged/README.md, "OS updates"); its state is the phase of the
 * progress lines in p's status file. On failure, p's status file says
 * "failed: <why>".
 */
int update_install(const struct imaged_conf *c, const char *source, bool force,
		   struct install_expect *expect, struct progress *p, char *err,
		   size_t errlen);

#endif

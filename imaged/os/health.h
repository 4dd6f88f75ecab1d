/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HEALTH_H
#define KEEL_HEALTH_H

#include "imaged_conf.h"

/* The boot-time half: mark the booted slot good or give it up. */
void update_boot_check(const struct imaged_conf *c);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OS_FAULT_H
#define KEEL_OS_FAULT_H

/* Test images: stop dead (no sync) when FAULT_FILE names this step. */
void fault_point(const char *step);

#endif

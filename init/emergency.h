/* SPDX-License-Identifier: MIT */
#ifndef KEEL_EMERGENCY_H
#define KEEL_EMERGENCY_H

/*
 * Boot cannot go on. Say why, then give the console a shell (when enabled
 * by CONFIG_KEEL_EMERGENCY_SHELL or keel.emergency=1) and return when it
 * exits; otherwise wait and reboot, which lets the bootloader try another
 * slot. Never returns to a caller that expects boot to have worked: the
 * caller decides whether to retry.
 */
void emergency(const char *why);

/* The keel.emergency= value from the command line, -1 when not given. */
void emergency_set_override(int enabled);

#endif

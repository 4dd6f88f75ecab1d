/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TERM_H
#define KEEL_TERM_H

#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>

/*
 * The caller's terminal while imagectl relays a container's (exec -t,
 * attach): raw, so keys reach the container's terminal as typed, and its
 * size passed on as it changes.
 */

/* stdin's terminal raw; whether it was one (saved for term_restore) */
bool term_raw(struct termios *saved);
void term_restore(const struct termios *saved);

/* From now on a SIGWINCH is noted, and the first call reports a size. */
void term_watch_size(void);
/* Whether the size changed since the last call, and then what it is. */
bool term_resized(struct winsize *ws);

#endif

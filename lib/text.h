/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TEXT_H
#define KEEL_TEXT_H

/* Small helpers for the "key = value" config files init and imaged read. */

/* Strips leading and trailing white space in place. */
char *text_trim(char *s);

/* yes/true/1 -> 1, no/false/0 -> 0, anything else -1. */
int text_bool(const char *v);

/* A whole number in [min, max] into *out: 0, or -EINVAL for anything else. */
int text_range(const char *v, long min, long max, int *out);

#endif

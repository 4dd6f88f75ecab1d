/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TEXT_H
#define KEEL_TEXT_H

/* Small helpers for the "key = value" config files init, imaged and netd
 * read. */

/* Strips leading and trailing white space in place. */
char *text_trim(char *s);

/* yes/true/1 -> 1, no/false/0 -> 0, anything else -EINVAL. */
int text_bool(const char *v);

/*
 * A whole number in [min, max] into *out: 0, -EINVAL for what is not a
 * decimal number, -ERANGE for one outside [min, max].
 */
int text_range(const char *v, long min, long max, int *out);

#endif

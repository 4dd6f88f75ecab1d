/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TEXT_H
#define KEEL_TEXT_H

/*
 * Small helpers for the "key = value" config files init, imaged and netd
 * read, and for the names in them.
 */

#include <stdbool.h>
#include <stddef.h>

/* Strips leading and trailing white space in place. */
char *text_trim(char *s);

/* yes/true/1 -> 1, no/false/0 -> 0, anything else -EINVAL. */
int text_bool(const char *v);

/*
 * A whole number in [min, max] into *out: 0, -EINVAL for what is not a
 * decimal number, -ERANGE for one outside [min, max].
 */
int text_range(const char *v, long min, long max, int *out);

/*
 * One host name label (RFC 1123 2.1, RFC 1035 2.3.4) of n bytes: 1 to 63
 * ASCII letters, digits and '-', with no '-' at either end. A host name
 * (init's) is one; a registry's DNS name (imaged's) is several joined by
 * dots.
 */
bool text_hostname_label(const char *s, size_t n);

#endif

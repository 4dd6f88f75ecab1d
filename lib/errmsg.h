/* SPDX-License-Identifier: MIT */
#ifndef KEEL_ERRMSG_H
#define KEEL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * keel's one way to say why something failed. An action returns 0 or
 * -errno; when the caller needs more than the number, the message is
 * built once, where the failure is found, into the caller's buffer, and
 * the code goes back with it, so a failure reads as one step:
 *
 *	return errmsg(err, len, -EINVAL, "port %d is taken", port);
 *
 * A parser that knows where it is adds that in front afterwards
 * ("web.yaml:12: spec.containers[0]: ...") with errmsg_prefix.
 */

/*
 * err = the message, then ": <strerror(e)>" when e (a positive errno)
 * is not 0. Returns code.
 */
int errmsg(char *err, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int errmsg_errno(char *err, size_t len, int code, int e, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int errmsg_v(char *err, size_t len, int code, int e, const char *fmt,
	     va_list ap) __attribute__((format(printf, 5, 0)));

/* err = the prefix, then err as it was. Returns code. */
int errmsg_prefix(char *err, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

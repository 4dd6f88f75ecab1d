// SPDX-License-Identifier: MIT
#include "errmsg.h"

#include <stdio.h>
#include <string.h>

int errmsg_v(char *err, size_t len, int code, int e, const char *fmt,
	     va_list ap)
{
	if (!len)
		return code;
	vsnprintf(err, len, fmt, ap);
	size_t n = strlen(err);
	if (e && n < len)
		snprintf(err + n, len - n, ": %s", strerror(e));
	return code;
}

int errmsg(char *err, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_v(err, len, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int errmsg_errno(char *err, size_t len, int code, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_v(err, len, code, e, fmt, ap);
	va_end(ap);
	return code;
}

int errmsg_prefix(char *err, size_t len, int code, const char *fmt, ...)
{
	char prefix[512], was[1024];
	va_list ap;

	if (!len)
		return code;
	snprintf(was, sizeof(was), "%s", err);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(err, len, "%s%s", prefix, was);
	return code;
}

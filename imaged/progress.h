/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PROGRESS_H
#define KEEL_PROGRESS_H

#include <stdarg.h>

/*
 * A progress line for whoever asked (an imagectl client) and for
 * `imagectl os status`.
 */
struct progress {
	int fd; /* control socket of the client, or -1 */
	const char *status_file; /* rewritten with the latest line */
	const char *phase; /* the work's state, shown with it in the file */
};
void progress(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The one writer of imaged's status files (IMAGED_RUN_DIR/<x>.status,
 * which `imagectl os status` shows): the line replaces the file's
 * contents atomically, so a reader sees the old line or the new one.
 */
void status_write(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PROGRESS_H
#define KEEL_PROGRESS_H

/*
 * A progress line for whoever asked (an imagectl client) and for
 * `imagectl os status`; ctx is the client's fd or -1.
 */
struct progress {
	int fd; /* control socket of the client, or -1 */
	const char *status_file; /* rewritten with the latest line */
};
void progress(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_LOGFILE_H
#define KEEL_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * An append-only log file rotated by size: <path> -> <path>.1 -> ... ->
 * <path>.<keep>. Writes never block or fail the caller: when the disk is
 * full, lines are dropped and counted, and the count is written into the
 * file once writing works again.
 */
struct logfile {
	char path[96];
	int fd;
	long size;
	long max_bytes;
	int keep;
	unsigned long dropped; /* lines lost since the last good write */
	unsigned long dropped_total;
	int last_errno;
};

void logfile_init(struct logfile *lf, const char *path, long max_bytes,
		  int keep);

/* Append bytes; 0 when written, -errno when dropped. */
int logfile_write(struct logfile *lf, const char *buf, size_t len);

void logfile_close(struct logfile *lf);

/*
 * init's own log (/var/log/init.log): a second copy of every line init
 * logs from now on, the lines kept in memory before it first.
 */
void init_log_open(const char *path, long max_bytes, int keep);

/* Stop writing it, so /var can be unmounted. */
void init_log_close(void);

#endif

// SPDX-License-Identifier: MIT
#include "logfile.h"
#include "file.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void logfile_init(struct logfile *lf, const char *path, long max_bytes,
		  int keep)
{
	memset(lf, 0, sizeof(*lf));
	snprintf(lf->path, sizeof(lf->path), "%s", path);
	lf->fd = -1;
	lf->max_bytes = max_bytes;
	lf->keep = keep;
}

static int reopen(struct logfile *lf)
{
	struct stat st;

	if (lf->fd >= 0)
		return 0;
	lf->fd =
		open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (lf->fd < 0)
		return -errno;
	lf->size = fstat(lf->fd, &st) ? 0 : st.st_size;
	return 0;
}

static void rotate(struct logfile *lf)
{
	char from[112], to[112];

	logfile_close(lf);
	for (int i = lf->keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", lf->path);
		else
			snprintf(from, sizeof(from), "%s.%d", lf->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", lf->path, i);
		rename(from, to);
	}
	if (lf->keep < 1)
		unlink(lf->path);
}

static unsigned long count_lines(const char *buf, size_t len)
{
	unsigned long n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n ? n : 1;
}

int logfile_write(struct logfile *lf, const char *buf, size_t len)
{
	char note[96];
	int r;

	if (lf->max_bytes > 0 && lf->size > 0 &&
	    lf->size + (long)len > lf->max_bytes)
		rotate(lf);
	r = reopen(lf);
	if (!r && lf->dropped) {
		int n = snprintf(note, sizeof(note),
				 "[init: dropped %lu lines: %s]\n", lf->dropped,
				 strerror(lf->last_errno));
		r = write_full(lf->fd, note, n);
		if (!r) {
			lf->size += n;
			lf->dropped = 0;
		}
	}
	if (!r)
		r = write_full(lf->fd, buf, len);
	if (r) {
		unsigned long lines = count_lines(buf, len);
		lf->dropped += lines;
		lf->dropped_total += lines;
		lf->last_errno = -r;
		return r;
	}
	lf->size += len;
	return 0;
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
}

/* --- init's own log ----------------------------------------------------- */

static struct logfile init_log;

static void init_log_sink(const char *line, size_t len)
{
	logfile_write(&init_log, line, len);
}

void init_log_open(const char *path, long max_bytes, int keep)
{
	logfile_init(&init_log, path, max_bytes, keep);
	log_set_sink(init_log_sink);
}

void init_log_close(void)
{
	log_set_sink(NULL);
	logfile_close(&init_log);
}

// SPDX-License-Identifier: MIT
#include "progress.h"
#include "ctlsock.h"
#include "file.h"
#include "imaged.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void status_vwrite(const char *path, const char *fmt, va_list ap)
{
	char line[768];

	vsnprintf(line, sizeof(line), fmt, ap);
	mkdir(IMAGED_RUN_DIR, 0700);
	write_atomic(path, line, strlen(line), 0644);
}

void status_write(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status_vwrite(path, fmt, ap);
	va_end(ap);
}

void progress(struct progress *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("%s", line);
	if (p->fd >= 0 && ctl_send(p->fd, CTL_MORE, line))
		p->fd = -1; /* the client left; the work goes on */
	if (!p->status_file)
		return;
	if (p->phase)
		status_write(p->status_file, "[%s] %s", p->phase, line);
	else
		status_write(p->status_file, "%s", line);
}

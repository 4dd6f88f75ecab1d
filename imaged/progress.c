// SPDX-License-Identifier: MIT
#include "progress.h"
#include "ctlsock.h"
#include "file.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
	if (p->status_file)
		write_atomic(p->status_file, line, strlen(line), 0644);
}

// SPDX-License-Identifier: MIT
#include "os/reboot.h"
#include "ctlsock.h"
#include "log.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)ctx;
	log_info("init: %s", text);
}

int request_reboot(void)
{
	char *argv[] = { "reboot", NULL };
	char err[160];
	int r = ctl_call("/run/init.sock", argv, 10, ignore_reply, NULL, err,
			 sizeof(err));

	if (r < 0)
		log_err("unable to ask init to reboot: %s", err);
	return r;
}

void reboot_when_allowed(const struct imaged_conf *c, struct progress *p)
{
	long wait = window_wait_s(c->window_start, c->window_end,
				  time(NULL) % 86400);

	if (wait > 0) {
		progress(p,
			 "rebooting in the window %02d:%02d-%02d:%02d UTC, in "
			 "%ld min",
			 c->window_start / 60, c->window_start % 60,
			 c->window_end / 60, c->window_end % 60,
			 (wait + 59) / 60);
		/*
		 * Wait in a process of its own (init reaps it) so imaged
		 * takes other requests meanwhile; an update or rollback
		 * made in the wait is what the reboot then starts.
		 */
		if (fork())
			return;
		setsid();
		sleep(wait);
	}
	request_reboot();
}

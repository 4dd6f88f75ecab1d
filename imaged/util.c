// SPDX-License-Identifier: MIT
#include "config.h"
#include "ctlsock.h"
#include "imaged.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "imaged: %s\n", line);
}

void progress(struct progress *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say("%s", line);
	if (p->fd >= 0 && ctl_send(p->fd, CTL_MORE, line))
		p->fd = -1; /* the client left; the work goes on */
	if (p->status_file)
		write_atomic(p->status_file, line, strlen(line), 0644);
}

int os_release_get(const char *key, char *val, size_t len)
{
	char text[4096];
	size_t klen = strlen(key);
	long n = read_text(OS_RELEASE, text, sizeof(text));

	if (n < 0)
		return n;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		char *v = line + klen + 1;
		size_t vl = strlen(v);
		if (vl >= 2 && (*v == '"' || *v == '\'') && v[vl - 1] == *v) {
			v++;
			vl -= 2;
		}
		if (vl >= len)
			return -ENAMETOOLONG;
		memcpy(val, v, vl);
		val[vl] = '\0';
		return 0;
	}
	return -ENOENT;
}

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)ctx;
	say("init: %s", text);
}

int request_reboot(void)
{
	char *argv[] = { "reboot", NULL };
	char err[160];
	int r = ctl_call("/run/init.sock", argv, 10, ignore_reply, NULL, err,
			 sizeof(err));

	if (r < 0)
		say("unable to ask init to reboot: %s", err);
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

void fault_point(const char *step)
{
	char want[64];

	if (!CONFIG_KEEL_IMAGED_FAULTS)
		return;
	if (read_text(FAULT_FILE, want, sizeof(want)) < 0)
		return;
	want[strcspn(want, "\n")] = '\0';
	if (strcmp(want, step))
		return;
	/* the console, not stderr: the log pipe would die with us */
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		dprintf(fd, "imaged: fault point '%s': power cut\n", step);
		close(fd);
	}
	reboot(RB_AUTOBOOT); /* no sync: as if the power went */
}

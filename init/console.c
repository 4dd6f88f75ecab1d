// SPDX-License-Identifier: MIT
#include "console.h"
#include "file.h"
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char name_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static bool listed(const struct consoles *c, const char *name, size_t n)
{
	for (int i = 0; i < c->n; i++)
		if (strlen(c->name[i]) == n && !memcmp(c->name[i], name, n))
			return true;
	return false;
}

int consoles_parse(const char *active, struct consoles *c)
{
	const char *p = active;

	c->n = 0;
	while (*p) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		if (!n)
			break;
		/* a tty's name: never a path, never ".." */
		if (n < CONSOLE_NAME_MAX && strspn(p, name_chars) >= n &&
		    c->n < CONSOLES_MAX && !listed(c, p, n)) {
			memcpy(c->name[c->n], p, n);
			c->name[c->n++][n] = '\0';
		}
		p += n;
	}
	return c->n;
}

int consoles_active(struct consoles *c)
{
	char active[128];

	c->n = 0;
	if (read_text("/sys/class/tty/console/active", active, sizeof(active)) <
	    0)
		return 0;
	return consoles_parse(active, c);
}

void console_log_open(const char *ident)
{
	struct consoles c;
	char paths[CONSOLES_MAX][CONSOLE_NAME_MAX + 5];
	const char *ttys[CONSOLES_MAX];
	int n = consoles_active(&c);

	if (!n) {
		log_open(ident);
		return;
	}
	/*
	 * The last is the kernel's /dev/console, whose descriptors outlive
	 * a hangup of the tty under it; the others are reopened after one.
	 */
	for (int i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/dev/%s",
			 i == n - 1 ? "console" : c.name[i]);
		ttys[i] = paths[i];
	}
	log_open_ttys(ident, ttys, n);
}

void console_tty(char *path, size_t len)
{
	struct consoles c;

	/* "tty0 ttyS0": the last one is the kernel's /dev/console */
	if (consoles_active(&c) > 0) {
		snprintf(path, len, "/dev/%s", c.name[c.n - 1]);
		if (access(path, R_OK | W_OK) == 0)
			return;
	}
	snprintf(path, len, "/dev/console");
}

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <stddef.h>

/*
 * The kernel's consoles, one for each console= on the command line
 * ("tty0 ttyS0": the screen and a serial port). /dev/console is only the
 * last of them, so init writes to each itself, and offers its emergency
 * shell on each.
 */
#define CONSOLES_MAX 4
#define CONSOLE_NAME_MAX 16

struct consoles {
	int n;
	char name[CONSOLES_MAX][CONSOLE_NAME_MAX]; /* "ttyS0", no /dev/ */
};

/*
 * The names in /sys/class/tty/console/active's text, in its order (the
 * last is /dev/console). A name that is not a tty's (letters and digits
 * only), too long, or there already is left out; past CONSOLES_MAX too.
 * Returns how many.
 */
int consoles_parse(const char *active, struct consoles *c);

/* The running kernel's; 0 consoles when sysfs says none. */
int consoles_active(struct consoles *c);

/* init's log on every console (log_open_ttys). */
void console_log_open(const char *ident);

/* /dev/<tty> of the primary console, for an interactive shell. */
void console_tty(char *path, size_t len);

#endif

// SPDX-License-Identifier: MIT
#include "pods/term.h"

#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

bool term_raw(struct termios *saved)
{
	struct termios raw;

	if (tcgetattr(0, saved))
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	tcsetattr(0, TCSANOW, &raw);
	return true;
}

void term_restore(const struct termios *saved)
{
	tcsetattr(0, TCSANOW, saved);
}

void term_watch_size(void)
{
	struct sigaction sa = { .sa_handler = on_winch };

	/* no SA_RESTART: a poll waiting returns to pass the size on */
	sigaction(SIGWINCH, &sa, NULL);
	resized = 1;
}

bool term_resized(struct winsize *ws)
{
	if (!resized)
		return false;
	resized = 0;
	return !ioctl(0, TIOCGWINSZ, ws);
}

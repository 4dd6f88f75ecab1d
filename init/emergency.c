// SPDX-License-Identifier: MIT
#include "emergency.h"
#include "config.h"
#include "console.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static int override = -1;

void emergency_set_override(int enabled)
{
	override = enabled;
}

static void __attribute__((noreturn)) reboot_later(bool shell)
{
	log_err("emergency shell %s; rebooting in %d s",
		shell ? "not present" : "disabled",
		CONFIG_KEEL_EMERGENCY_REBOOT_DELAY);
	sleep(CONFIG_KEEL_EMERGENCY_REBOOT_DELAY);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void run_shell(const char *tty)
{
	log_keel("emergency shell on %s; exit it to retry", tty);
	pid_t pid = fork();
	if (pid == 0) {
		child_signals();
		attach_tty(tty);
		char *argv[] = { "/bin/sh", NULL };
		char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/",
				 "TERM=linux", "PS1=(emergency) # ", NULL };
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (pid < 0) {
		log_err("unable to start emergency shell: %s", strerror(errno));
		sleep(5);
		return;
	}
	/* Orphans the shell leaves behind are reaped here too. */
	for (;;) {
		pid_t r = wait(NULL);
		if (r == pid || (r < 0 && errno == ECHILD))
			break;
	}
}

/*
 * Wait for a line on any console, without reading it: the shell started
 * there reads it as its first command. Returns the console's index, or
 * -1 when wait_s (0: for good) ran out.
 */
static int wait_for_input(const struct consoles *c, int wait_s)
{
	struct pollfd fds[CONSOLES_MAX];
	char path[CONSOLE_NAME_MAX + 5];
	int found = -1;
	long until = monotonic_ms() + wait_s * 1000L;

	for (int i = 0; i < c->n; i++) {
		snprintf(path, sizeof(path), "/dev/%s", c->name[i]);
		fds[i].fd = open(path,
				 O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		fds[i].events = POLLIN;
	}
	while (found < 0) {
		long left = until - monotonic_ms();
		if (wait_s && left <= 0)
			break;
		int r = poll(fds, c->n, wait_s ? (int)left : -1);
		if (r < 0 && errno != EINTR) {
			log_err("unable to wait for the console: %s",
				strerror(errno));
			sleep(1);
		}
		for (int i = 0; r > 0 && i < c->n; i++) {
			if (fds[i].revents & POLLIN)
				found = i;
			else if (fds[i].revents) {
				/* hung up, or not a tty: not a console */
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
	}
	for (int i = 0; i < c->n; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	return found;
}

enum emergency_end emergency(const char *why, int wait_s)
{
	bool shell = override >= 0 ? override : CONFIG_KEEL_EMERGENCY_SHELL;
	struct consoles c;
	char list[CONSOLES_MAX * (CONSOLE_NAME_MAX + 2)] = "", tty[64];

	log_err("emergency: %s", why);
	if (!shell || access("/bin/sh", X_OK))
		reboot_later(shell);

	if (consoles_active(&c) == 0) {
		/* no console list: the one /dev/console is */
		c.n = 1;
		snprintf(c.name[0], sizeof(c.name[0]), "console");
	}
	for (int i = 0; i < c.n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", c.name[i]);
	if (wait_s)
		log_keel("press Enter for an emergency shell (%s); with no one "
			 "there, boot goes on degraded in %d s",
			 list, wait_s);
	else
		log_keel("press Enter for an emergency shell (%s)", list);

	int i = wait_for_input(&c, wait_s);
	if (i < 0) {
		log_keel("no one at the console for %d s", wait_s);
		return EMERGENCY_NOBODY;
	}
	snprintf(tty, sizeof(tty), "/dev/%s", c.name[i]);
	run_shell(tty);
	return EMERGENCY_RETRY;
}

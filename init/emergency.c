// SPDX-License-Identifier: MIT
#include "emergency.h"
#include "config.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static int override = -1;

void emergency_set_override(int enabled)
{
	override = enabled;
}

void emergency(const char *why)
{
	bool shell = override >= 0 ? override : CONFIG_KEEL_EMERGENCY_SHELL;
	char tty[64];

	log_err("emergency: %s", why);
	if (!shell || access("/bin/sh", X_OK)) {
		log_err("emergency shell %s; rebooting in %d s",
			shell ? "not present" : "disabled",
			CONFIG_KEEL_EMERGENCY_REBOOT_DELAY);
		sleep(CONFIG_KEEL_EMERGENCY_REBOOT_DELAY);
		sync();
		reboot(RB_AUTOBOOT);
		for (;;)
			pause();
	}

	console_tty(tty, sizeof(tty));
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

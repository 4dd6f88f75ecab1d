// SPDX-License-Identifier: MIT
#include "os/osreq.h"
#include "clock.h"
#include "ctlsock.h"
#include "imaged.h"
#include "log.h"
#include "os/autoupdate.h"
#include "os/health.h"
#include "os/install.h"
#include "os/reboot.h"
#include "os/reporter.h"
#include "os/revision.h"
#include "os/slots.h"
#include "os/update.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The OS side of the daemon. Long work runs in a child each, so status
 * requests are answered throughout: the boot-time health gate, an
 * install (`imagectl os update`, or an automatic one from the channel).
 */

static const struct imaged_conf *conf;
static pid_t install_pid, gate_pid;
static long long poll_at = -1; /* CLOCK_MONOTONIC ms of the next poll */

/* interval +-25%, so a fleet does not poll in step */
static long next_poll_ms(void)
{
	long ms = conf->poll_interval * 1000L;
	return monotonic_ms() + ms * 3 / 4 + random() % (ms / 2 + 1);
}

static bool flag(char **argv, int argc, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

static void os_update(int fd, int argc, char **argv)
{
	const char *source = NULL;
	bool reboot = conf->update_reboot;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") ||
		    !strcmp(argv[i], "--no-verify-after-write"))
			continue;
		else if (!strcmp(argv[i], "--reboot"))
			reboot = true;
		else if (!strcmp(argv[i], "--no-reboot"))
			reboot = false;
		else if (!source && argv[i][0] != '-')
			source = argv[i];
		else {
			ctl_sendf(fd, CTL_ERR, "os update: unexpected '%s'",
				  argv[i]);
			return;
		}
	}
	if (!source) {
		ctl_send(fd, CTL_ERR, "os update: which bundle?");
		return;
	}
	if (install_pid > 0) {
		ctl_send(fd, CTL_ERR,
			 "an update is already being installed "
			 "(imagectl os status)");
		return;
	}
	install_pid = fork();
	if (install_pid < 0) {
		install_pid = 0;
		ctl_sendf(fd, CTL_ERR, "fork: %s", strerror(errno));
		return;
	}
	if (install_pid)
		return;

	struct progress p = { .fd = fd, .status_file = UPDATE_STATUS_FILE };
	struct imaged_conf c = *conf;
	char err[512];
	if (flag(argv, argc, "--no-verify-after-write"))
		c.verify_after_write = false;
	int r = update_install(&c, source, flag(argv, argc, "--force"), NULL,
			       &p, err, sizeof(err));
	if (r) {
		log_err("unable to update from %s: %s", source, err);
		report_outcome("install", "failed", "%s: %s", source, err);
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	update_last_get(err, sizeof(err));
	report_outcome("install", "installed", "%s (from %s)", err, source);
	if (!reboot) {
		ctl_send(fd, CTL_OK, "it starts at the next reboot");
		_exit(0);
	}
	if (!window_wait_s(conf->window_start, conf->window_end,
			   time(NULL) % 86400)) {
		ctl_send(fd, CTL_OK, "rebooting into it now");
		request_reboot();
		_exit(0);
	}
	/* the client need not wait for the window */
	ctl_sendf(fd, CTL_OK,
		  "it starts at a reboot in the window %02d:%02d-%02d:%02d UTC",
		  conf->window_start / 60, conf->window_start % 60,
		  conf->window_end / 60, conf->window_end % 60);
	p.fd = -1;
	reboot_when_allowed(conf, &p);
	_exit(0);
}

void os_start(const struct imaged_conf *c)
{
	conf = c;
	report_start(c);
	revision_start(c);
	unlink(UPDATE_STATUS_FILE);
	/* an install killed midway (crash, OOM) may have left it writable */
	esp_writable(false);
	gate_pid = fork();
	if (!gate_pid) {
		update_boot_check(conf);
		_exit(0);
	}
	if (gate_pid < 0) {
		log_err("unable to fork the health gate: %s; none this boot",
			strerror(errno));
		gate_pid = 0;
	}
	if (conf->channel_url[0])
		poll_at = next_poll_ms();
}

bool os_handle(int fd, int argc, char **argv)
{
	static char text[8192];
	char msg[512];

	if (revision_handle(fd, argc, argv))
		return true;
	if (argc < 2 || strcmp(argv[0], "os"))
		return false;
	argv++;
	argc--;
	if (!strcmp(argv[0], "status") && argc == 1) {
		update_status(text, sizeof(text));
		ctl_send(fd, CTL_OK, text);
		return true;
	}
	if (!strcmp(argv[0], "update")) {
		os_update(fd, argc, argv);
		return true;
	}
	if (report_handle(fd, argc, argv))
		return true;
	if (!strcmp(argv[0], "rollback") &&
	    (argc == 1 || (argc == 2 && flag(argv, argc, "--no-reboot")))) {
		if (install_pid > 0) {
			ctl_send(fd, CTL_ERR,
				 "an update is being "
				 "installed");
			return true;
		}
		/* the gate would mark the slot we leave good again */
		if (gate_pid > 0) {
			kill(gate_pid, SIGKILL);
			waitpid(gate_pid, NULL, 0);
			gate_pid = 0;
			esp_writable(false);
		}
		int r = update_rollback(msg, sizeof(msg));
		if (!r)
			report_outcome("rollback", "asked", "%s", msg);
		if (r || argc == 2) {
			ctl_send(fd, r ? CTL_ERR : CTL_OK, msg);
			return true;
		}
		ctl_sendf(fd, CTL_OK, "%s; rebooting now", msg);
		request_reboot();
		return true;
	}
	ctl_sendf(fd, CTL_ERR, "unknown request 'os %s' (imagectl --help)",
		  argv[0]);
	return true;
}

bool os_reaped(pid_t pid, int status)
{
	if (revision_reaped(pid, status))
		return true;
	if (pid == install_pid)
		install_pid = 0;
	else if (pid == gate_pid)
		gate_pid = 0;
	else
		return report_reaped(pid);
	return true;
}

long long os_due_in_ms(void)
{
	long long now = monotonic_ms(), r = report_due_in_ms();
	long long p = poll_at < 0 ? -1 : poll_at > now ? poll_at - now : 0;
	long long w = revision_due_in_ms();

	r = p < 0 ? r : r < 0 || p < r ? p : r;
	return w < 0 ? r : r < 0 || w < r ? w : r;
}

void os_tick(void)
{
	report_tick();
	revision_tick();
	if (poll_at < 0 || monotonic_ms() < poll_at)
		return;
	/* not while the gate judges this boot or an install runs */
	if (!gate_pid && !install_pid && !(install_pid = fork())) {
		autoupdate_poll(conf);
		_exit(0);
	}
	if (install_pid < 0)
		install_pid = 0;
	poll_at = next_poll_ms();
}

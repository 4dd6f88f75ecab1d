// SPDX-License-Identifier: MIT
#include "os/health.h"
#include "ctlsock.h"
#include "progress.h"
#include "os/reboot.h"
#include "os/reporter.h"
#include "log.h"
#include "imaged_conf.h"
#include "os/slotfiles.h"
#include "os/slots.h"
#include "os/update.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The boot-time half of an update. On a slot still on trial, the health
 * gate: init says every required service is ready and the user's health
 * command (if any) passes, within health_timeout; then the slot is marked
 * good. Otherwise imaged reboots and the bootloader's boot counting
 * spends the slot's tries and falls back. On a good slot, it notes what
 * happened to the last update: rolled back, or cut off before its commit.
 */

struct pending {
	int slot; /* -1: none */
	char version[64];
	bool committed;
};

static void pending_read(struct pending *p)
{
	char text[256];

	p->slot = -1;
	p->version[0] = '\0';
	p->committed = false;
	if (read_text(UPDATE_PENDING, text, sizeof(text)) < 0)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strncmp(l, "slot=", 5) && (l[5] == 'a' || l[5] == 'b'))
			p->slot = l[5] - 'a';
		else if (!strncmp(l, "version=", 8))
			snprintf(p->version, sizeof(p->version), "%s", l + 8);
		else if (!strcmp(l, "committed=1"))
			p->committed = true;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct answer {
	char text[512];
};

static void keep_answer(char kind, const char *text, void *ctx)
{
	struct answer *a = ctx;
	(void)kind;
	snprintf(a->text, sizeof(a->text), "%s", text);
	a->text[strcspn(a->text, "\n")] = '\0';
}

/* init's verdict on the required services: 0 when all are up. */
static int services_ready(char *why, size_t len)
{
	char *argv[] = { "health", NULL };
	struct answer a = { "" };
	char err[160];
	int r = ctl_call("/run/init.sock", argv, 10, keep_answer, &a, err,
			 sizeof(err));

	snprintf(why, len, "%s", r < 0 ? err : a.text);
	return r;
}

/* The user's health command, given at most limit_s seconds. */
static int user_check(const char *cmd, double limit_s, char *why, size_t len)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		snprintf(why, len, "health command: %s", strerror(errno));
		return -errno;
	}
	if (!pid) {
		setpgid(0, 0); /* so a timeout kills what it started too */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	double until = now_s() + limit_s;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_s() > until) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, len, "health command '%s' timed out",
				 cmd);
			return -ETIMEDOUT;
		}
		usleep(100000);
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	snprintf(why, len, "health command '%s' %s %d", cmd,
		 WIFEXITED(status) ? "exited with" : "killed by signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -EAGAIN;
}

static void mark_good(struct slots *sl, double took)
{
	struct slots now;
	char err[256];
	int b = sl->booted;

	/* read again: the state may have moved while we waited */
	if (slots_read(&now, err, sizeof(err))) {
		update_last("slot %c passed its health gate but the boot "
			    "state is unreadable: %s",
			    slot_name(b), err);
		return;
	}
	now.bs.ok[b] = true;
	now.bs.tries[b] = 0;
	now.bs.order[0] = slot_name(b);
	now.bs.order[1] = slot_name(!b);
	if (slots_write_state(&now.bs, err, sizeof(err))) {
		update_last("slot %c passed its health gate but could not be "
			    "marked good: %s",
			    slot_name(b), err);
		return;
	}
	unlink(UPDATE_PENDING);
	unlink(UPDATE_TRIAL_FAILURE);
	status_write(GATE_STATUS_FILE, "passed in %.1f s; slot %c marked good",
		     took, slot_name(b));
	update_last("slot %c (%s) passed the health gate in %.1f s; marked "
		    "good",
		    slot_name(b), sl->version[b], took);
	report_outcome("health_gate", "passed",
		       "slot %c (%s) passed the health gate in %.1f s",
		       slot_name(b), sl->version[b], took);
}

static void gate(const struct imaged_conf *c, struct slots *sl)
{
	int b = sl->booted;
	double start = now_s(), until = start + c->health_timeout;
	char why[512] = "";

	log_info("slot %c (%s) is on trial: health gate, %d s", slot_name(b),
		 sl->version[b], c->health_timeout);
	for (;;) {
		int r = services_ready(why, sizeof(why));
		if (!r && c->health_command[0])
			r = user_check(c->health_command, until - now_s(), why,
				       sizeof(why));
		if (!r) {
			mark_good(sl, now_s() - start);
			return;
		}
		if (now_s() >= until)
			break;
		status_write(GATE_STATUS_FILE,
			     "slot %c on trial, %.0f s left: %s", slot_name(b),
			     until - now_s(), why);
		sleep(1);
	}
	char text[768];
	snprintf(text, sizeof(text),
		 "slot %c (%s) failed its health gate after %d s: %s",
		 slot_name(b), sl->version[b], c->health_timeout, why);
	write_atomic(UPDATE_TRIAL_FAILURE, text, strlen(text), 0644);
	status_write(GATE_STATUS_FILE, "failed: %s; rebooting", why);
	update_last("%s; rebooting (%d %s left)", text, sl->bs.tries[b],
		    sl->bs.tries[b] == 1 ? "try" : "tries");
	report_outcome("health_gate", "failed", "%s; rebooting (%d %s left)",
		       text, sl->bs.tries[b],
		       sl->bs.tries[b] == 1 ? "try" : "tries");
	request_reboot();
}

void update_boot_check(const struct imaged_conf *c)
{
	struct slots sl;
	struct pending p;
	char err[256];

	if (slots_read(&sl, err, sizeof(err))) {
		log_err("unable to read the boot state: %s; no health gate "
			"this "
			"boot",
			err);
		return;
	}
	if (sl.booted < 0) {
		log_warn("no keel.slot= on the command line; no health gate");
		return;
	}
	int b = sl.booted, o = !b;
	pending_read(&p);
	if (!sl.bs.ok[b]) {
		/* it booted, so the commit happened even if the note did not */
		if (p.slot == b && !p.committed)
			pending_write(b, p.version, true);
		gate(c, &sl);
		return;
	}
	status_write(GATE_STATUS_FILE, "slot %c is good", slot_name(b));
	if (p.slot == b) {
		unlink(UPDATE_PENDING);
	} else if (p.slot == o && !sl.bs.ok[o] && !sl.bs.tries[o]) {
		char why[600];
		if (read_text(UPDATE_TRIAL_FAILURE, why, sizeof(why)) <= 0)
			snprintf(
				why, sizeof(why),
				"slot %c (%s) never reached the health gate in "
				"its tries (kernel, initramfs or init failed)",
				slot_name(o), p.version);
		if (p.committed) {
			update_last("rolled back to slot %c (%s): %s",
				    slot_name(b), sl.version[b], why);
			write_atomic(UPDATE_REJECTED, p.version,
				     strlen(p.version), 0644);
			report_outcome("health_gate", "rolled_back",
				       "rolled back to slot %c (%s): %s",
				       slot_name(b), sl.version[b], why);
		} else {
			update_last("the install of %s into slot %c was cut "
				    "off before its commit; slot %c is as it "
				    "was",
				    p.version, slot_name(o), slot_name(b));
			report_outcome("install", "failed",
				       "the install of %s into slot %c was "
				       "cut off before its commit",
				       p.version, slot_name(o));
		}
		unlink(UPDATE_PENDING);
		unlink(UPDATE_TRIAL_FAILURE);
	}
	/* a spent slot first in the order: put the running one first */
	if (sl.bs.order[0] != slot_name(b) && !sl.bs.ok[o] && !sl.bs.tries[o]) {
		sl.bs.order[0] = slot_name(b);
		sl.bs.order[1] = slot_name(o);
		if (slots_write_state(&sl.bs, err, sizeof(err)))
			log_err("unable to write the boot state: %s", err);
	}
}

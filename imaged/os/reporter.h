/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REPORTER_H
#define KEEL_REPORTER_H

#include "imaged_conf.h"

#include <stdbool.h>
#include <sys/types.h>

/*
 * Status reports (imaged/README.md, "Status reports"): after each
 * outcome of the host's work, and every report_interval as a heartbeat,
 * a JSON document (os/report.h) is queued on /var (os/reportq.h) and
 * POSTed to report_url by a child of the daemon. The daemon makes every
 * document, so each holds the pods as they are now; a child of it with
 * an outcome (an install, a channel poll, the health gate) asks it to
 * over imaged.sock ("os outcome"). Nothing happens without report_url.
 */

/* In the daemon, before it forks any OS child; c outlives it. */
void report_start(const struct imaged_conf *c);

/*
 * What happened (event: channel, install, health_gate, rollback; result:
 * fetched, refused, installed, failed, passed, ...), and why: made into
 * a report and sent, from the daemon or any child of it.
 */
void report_outcome(const char *event, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "report" (the document now, on fd) and "outcome" requests. */
bool report_handle(int fd, int argc, char **argv);

/* pid was the report sender's. */
bool report_reaped(pid_t pid);

/* ms until report_tick has work (a heartbeat, a retry), 0, or -1. */
long long report_due_in_ms(void);
void report_tick(void);

#endif

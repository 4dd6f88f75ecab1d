/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REPORT_H
#define KEEL_REPORT_H

#include "os/bundle.h"
#include "os/channel.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A status report: what this host is and did, as the JSON document
 * imaged POSTs to report_url (imaged/README.md, "Status reports", has
 * its fields). This part is pure: a struct in, the document out.
 */
#define REPORT_PODS_MAX 64
#define REPORT_REASON_MAX 768
#define REPORT_DOC_MAX 65536

/* What happened, and why: one outcome of the host's work. */
struct report_outcome {
	char event[24]; /* channel, install, health_gate, rollback, ... */
	char result[24]; /* fetched, refused, installed, passed, ... */
	char time[RFC3339_MAX];
	char reason[REPORT_REASON_MAX];
};

struct report_slot {
	char version[BUNDLE_VERSION_MAX]; /* "" when unknown */
	const char *state; /* "good", "on trial", "not bootable" */
	int tries;
	bool boots_next;
};

struct report_pod {
	char name[64];
	char phase[32]; /* the STATUS of `imagectl pods` */
	int ready, total, restarts;
};

struct report {
	bool heartbeat; /* else an outcome report: last is what happened */
	char time[RFC3339_MAX];
	char machine_id[64];
	char hostname[65];
	char board[BUNDLE_BOARD_MAX];
	char version[BUNDLE_VERSION_MAX]; /* the running one */
	int booted; /* 0 a, 1 b, -1 unknown */
	bool slots_known; /* the boot state could be read */
	struct report_slot slot[2];
	long long channel_serial; /* -1: none believed yet */
	char channel_expires[RFC3339_MAX]; /* "" for none */
	char floor[BUNDLE_VERSION_MAX]; /* "" for none */
	/* workload revisions (os/revstate.h): -1 for none (null) */
	long long workloads_current, workloads_rejected;
	bool has_last;
	struct report_outcome last;
	size_t n_pods;
	struct report_pod pods[REPORT_PODS_MAX];
};

/* A report with nothing known yet (nulls and empty lists). */
void report_init(struct report *r);

/*
 * The document, NUL-terminated, into buf (one line, or indented lines
 * when pretty): its length, or -ENOSPC when it does not fit, -ENOMEM.
 */
int report_encode(const struct report *r, bool pretty, char *buf, size_t len);

/*
 * An outcome as kept on /var between the processes and boots that make
 * and send reports: "event\nresult\ntime\nreason\n". Reading takes what
 * writing made; a newline in a reason is written as a space.
 */
int report_outcome_format(const struct report_outcome *o, char *buf,
			  size_t len);
int report_outcome_parse(struct report_outcome *o, const char *text);

#endif

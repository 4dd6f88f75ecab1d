// SPDX-License-Identifier: MIT
#include "os/reporter.h"
#include "clock.h"
#include "ctlsock.h"
#include "file.h"
#include "imaged.h"
#include "log.h"
#include "os/floor.h"
#include "os/release.h"
#include "os/report.h"
#include "os/reportq.h"
#include "os/revstate.h"
#include "os/slots.h"
#include "os/update.h"
#include "pods/pods.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The last outcome, for the reports that follow it (heartbeats). */
#define REPORT_LAST UPDATE_STATE_DIR "/report-last"
/* A report that could not be sent is tried again after this, doubling. */
#define RETRY_MIN_MS 30000LL
/* The first heartbeat after imaged starts: the host is up again. */
#define FIRST_HEARTBEAT_MS 60000LL

static const struct imaged_conf *conf;
static pid_t daemon_pid, sender_pid;
static bool send_again; /* a report came while the sender ran */
static long long heartbeat_at = -1, retry_at = -1; /* monotonic ms */
static long long retry_ms = RETRY_MIN_MS;

void report_start(const struct imaged_conf *c)
{
	conf = c;
	daemon_pid = getpid();
	if (!c->report_url[0])
		return;
	heartbeat_at = monotonic_ms() + FIRST_HEARTBEAT_MS;
	if (reportq_count(REPORT_QUEUE_DIR))
		retry_at = monotonic_ms() + RETRY_MIN_MS / 3;
}

/* The one place that reads the pods: their STATUS and counts. */
static void collect_pods(struct report *r)
{
	for (size_t i = 0; i < n_pods && r->n_pods < REPORT_PODS_MAX; i++) {
		struct report_pod *p = &r->pods[r->n_pods++];
		snprintf(p->name, sizeof(p->name), "%s", pods[i]->spec->name);
		pods_status(pods[i], p->phase, sizeof(p->phase));
		pods_counts(pods[i], &p->ready, &p->total, &p->restarts);
	}
}

static void collect_slots(struct report *r)
{
	struct slots sl;
	char err[256];

	if (slots_read(&sl, err, sizeof(err)))
		return;
	r->slots_known = true;
	r->booted = sl.booted;
	int next = slots_next_boot(&sl.bs);
	for (int i = 0; i < 2; i++) {
		struct report_slot *s = &r->slot[i];
		snprintf(s->version, sizeof(s->version), "%s", sl.version[i]);
		s->state = sl.bs.ok[i]		? "good"
			   : sl.bs.tries[i] > 0 ? "on trial"
						: "not bootable";
		s->tries = sl.bs.tries[i];
		s->boots_next = i == next;
	}
}

/* A small file's first line into buf ("" when there is none). */
static void first_line(const char *path, char *buf, size_t len)
{
	if (read_text(path, buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Everything a report says about this host, as it is now. */
static void collect(struct report *r)
{
	char text[REPORT_REASON_MAX * 2];
	struct rev_state rev;

	report_init(r);
	rfc3339_format(time(NULL), r->time);
	first_line(MACHINE_ID_FILE, r->machine_id, sizeof(r->machine_id));
	if (gethostname(r->hostname, sizeof(r->hostname) - 1))
		r->hostname[0] = '\0';
	if (os_release_get("VARIANT_ID", r->board, sizeof(r->board)))
		r->board[0] = '\0';
	if (os_release_get("VERSION_ID", r->version, sizeof(r->version)))
		r->version[0] = '\0';
	collect_slots(r);
	first_line(CHANNEL_SERIAL, text, sizeof(text));
	if (text[0])
		r->channel_serial = atoll(text);
	first_line(CHANNEL_EXPIRES, r->channel_expires,
		   sizeof(r->channel_expires));
	floor_read(VERSION_FLOOR, r->floor, sizeof(r->floor));
	rev_state_load(&rev);
	r->workloads_current = rev.current ? rev.current : -1;
	r->workloads_rejected = rev.rejected ? rev.rejected : -1;
	collect_pods(r);
	if (read_text(REPORT_LAST, text, sizeof(text)) > 0)
		r->has_last = !report_outcome_parse(&r->last, text);
}

/* In the sender: everything queued, to report_url. */
static void send_queued(void)
{
	char token[REPORT_TOKEN_MAX], err[512];
	int r = report_token_read(REPORT_TOKEN_FILE, token, sizeof(token));

	if (r) {
		log_err("unable to use %s: %s; reports wait for it",
			REPORT_TOKEN_FILE,
			r == -EINVAL ? "not one line of a bearer token's "
				       "characters (RFC 6750)"
				     : strerror(-r));
		return;
	}
	r = reportq_flush(REPORT_QUEUE_DIR, conf->report_url, token, err,
			  sizeof(err));
	memset(token, 0, sizeof(token));
	if (r < 0)
		log_warn("unable to send a status report: %s; %d kept for "
			 "later",
			 err, reportq_count(REPORT_QUEUE_DIR));
	else if (r)
		log_info("sent %d status report%s to %s", r, r == 1 ? "" : "s",
			 conf->report_url);
}

/* A sender for what is queued, unless one runs (then once more after). */
static void send_soon(void)
{
	if (sender_pid > 0) {
		send_again = true;
		return;
	}
	send_again = false;
	retry_at = -1;
	sender_pid = fork();
	if (!sender_pid) {
		send_queued();
		_exit(0);
	}
	if (sender_pid < 0) {
		log_err("unable to fork a report sender: %s", strerror(errno));
		sender_pid = 0;
		retry_at = monotonic_ms() + retry_ms;
	}
}

/* r, made into a document, queued and on its way. */
static void queue(struct report *r)
{
	static char doc[REPORT_DOC_MAX + 1];
	int n = report_encode(r, false, doc, sizeof(doc));

	if (n < 0) {
		log_err("unable to encode a status report: %s", strerror(-n));
		return;
	}
	if ((n = reportq_add(REPORT_QUEUE_DIR, doc, n, REPORT_QUEUE_MAX))) {
		log_err("unable to queue a status report in %s: %s",
			REPORT_QUEUE_DIR, strerror(-n));
		return;
	}
	send_soon();
}

/* In the daemon: the outcome kept as the last one, and reported. */
static void record(const char *event, const char *result, const char *reason)
{
	static struct report r;
	struct report_outcome o = { 0 };
	char text[REPORT_REASON_MAX + 128];
	int n;

	snprintf(o.event, sizeof(o.event), "%s", event);
	snprintf(o.result, sizeof(o.result), "%s", result);
	snprintf(o.reason, sizeof(o.reason), "%s", reason);
	rfc3339_format(time(NULL), o.time);
	if ((n = report_outcome_format(&o, text, sizeof(text))) > 0 &&
	    (n = write_atomic(REPORT_LAST, text, n, 0600)))
		log_err("unable to write %s: %s", REPORT_LAST, strerror(-n));
	collect(&r);
	r.has_last = true;
	r.last = o;
	log_info("status report: %s %s", event, result);
	queue(&r);
}

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)text;
	(void)ctx;
}

void report_outcome(const char *event, const char *result, const char *fmt, ...)
{
	char reason[REPORT_REASON_MAX], err[160];
	va_list ap;

	if (!conf || !conf->report_url[0])
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (getpid() == daemon_pid) {
		record(event, result, reason);
		return;
	}
	char *argv[] = { "os",		 "outcome", (char *)event,
			 (char *)result, reason,    NULL };
	if (ctl_call(IMAGED_SOCKET, argv, 10, ignore_reply, NULL, err,
		     sizeof(err)) < 0)
		log_warn("unable to report %s %s to imaged: %s", event, result,
			 err);
}

/* `imagectl os report`: the document a heartbeat would send now. */
static void show(int fd)
{
	static struct report r;
	static char doc[REPORT_DOC_MAX + 1];

	collect(&r);
	r.heartbeat = true;
	int n = report_encode(&r, true, doc, sizeof(doc));
	if (n < 0) {
		ctl_sendf(fd, CTL_ERR, "unable to encode the report: %s",
			  strerror(-n));
		return;
	}
	/* a line a packet: a document may be longer than one */
	for (char *l = strtok(doc, "\n"); l; l = strtok(NULL, "\n"))
		if (ctl_send(fd, CTL_MORE, l))
			return;
	ctl_send(fd, CTL_OK,
		 conf->report_url[0] ? ""
				     : "(report_url is not set: "
				       "nothing is sent)");
}

bool report_handle(int fd, int argc, char **argv)
{
	if (!strcmp(argv[0], "report") && argc == 1) {
		show(fd);
		return true;
	}
	if (strcmp(argv[0], "outcome") || argc != 4)
		return false;
	if (conf->report_url[0])
		record(argv[1], argv[2], argv[3]);
	ctl_send(fd, CTL_OK, "");
	return true;
}

bool report_reaped(pid_t pid)
{
	if (!pid || pid != sender_pid)
		return false;
	sender_pid = 0;
	if (send_again) {
		send_soon();
	} else if (reportq_count(REPORT_QUEUE_DIR)) {
		retry_at = monotonic_ms() + retry_ms;
		retry_ms *= 2;
		if (retry_ms > conf->report_interval * 1000LL)
			retry_ms = conf->report_interval * 1000LL;
	} else {
		retry_ms = RETRY_MIN_MS;
	}
	return true;
}

static long long due(long long at, long long now)
{
	return at < 0 ? -1 : at > now ? at - now : 0;
}

long long report_due_in_ms(void)
{
	long long now = monotonic_ms();
	long long h = due(heartbeat_at, now), r = due(retry_at, now);

	return h < 0 ? r : r < 0 || h < r ? h : r;
}

void report_tick(void)
{
	static struct report r;
	long long now = monotonic_ms();

	if (!conf || !conf->report_url[0])
		return;
	if (heartbeat_at >= 0 && now >= heartbeat_at) {
		heartbeat_at = now + conf->report_interval * 1000LL;
		collect(&r);
		r.heartbeat = true;
		queue(&r);
	}
	if (retry_at >= 0 && now >= retry_at)
		send_soon();
}

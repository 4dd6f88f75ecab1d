// SPDX-License-Identifier: MIT
#include "os/revision.h"
#include "clock.h"
#include "ctlsock.h"
#include "errmsg.h"
#include "file.h"
#include "imaged.h"
#include "log.h"
#include "os/channel.h"
#include "os/reporter.h"
#include "os/revstate.h"
#include "pods/podset.h"
#include "pods/pods.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PULL_ERR REV_DIR "/pull.err"
#define WATCH_MS 200 /* how often a waiting revision's pods are looked at */

enum rev_phase { RP_IDLE, RP_PULLING, RP_WAITING };
enum rev_event { EV_OFFER, EV_PULLED, EV_PULL_FAILED, EV_READY, EV_TIMEOUT };

static const char *const phase_names[] = { "idle", "pulling its images",
					   "waiting for its pods" };

static const struct imaged_conf *conf;
static char running[256]; /* revision_file's answer */
static bool cut_off; /* revision_cut_off's */

/* The transaction under way */
static struct {
	enum rev_phase phase;
	long long rev;
	char file[256];
	struct kobj *o[MANIFEST_OBJECTS_MAX];
	size_t n;
	pid_t puller;
	long long started, replaced, deadline; /* monotonic ms */
	char why[REV_REASON_MAX]; /* a failure, for the step that ends it */
} tx;

static void set_phase(enum rev_phase p)
{
	if (tx.phase == p)
		return;
	log_info("workloads: revision %lld: %s -> %s", tx.rev,
		 phase_names[tx.phase], phase_names[p]);
	tx.phase = p;
}

static void forget_objects(void)
{
	for (size_t i = 0; i < tx.n; i++)
		if (tx.o[i])
			kobj_free(tx.o[i]);
	tx.n = 0;
}

/* The outcome kept in REV_STATE (with st's revisions) and reported. */
static void outcome(struct rev_state *st, const char *result, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
static void outcome(struct rev_state *st, const char *result, const char *fmt,
		    ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
	snprintf(st->outcome, sizeof(st->outcome), "%s", result);
	rfc3339_format(time(NULL), st->at);
	if ((r = rev_state_save(st)))
		log_err("unable to write %s: %s", REV_STATE, strerror(-r));
	if (strcmp(result, "applied"))
		log_err("workloads: %s: %s", result, st->reason);
	else
		log_info("workloads: %s: %s", result, st->reason);
	report_outcome("workloads", result, "%s", st->reason);
}

/*
 * Revision files no longer wanted: all but current's, and the one a
 * transaction under way reads (a poll may refuse another meanwhile).
 */
static void prune(const struct rev_state *st)
{
	DIR *d = opendir(REV_DIR);
	struct dirent *e;
	char keep1[32], keep2[32], keep3[32], path[300];

	if (!d)
		return;
	snprintf(keep1, sizeof(keep1), "%lld.yaml", st->current);
	snprintf(keep2, sizeof(keep2), "%lld.yaml", st->applying);
	snprintf(keep3, sizeof(keep3), "%lld.yaml",
		 tx.phase != RP_IDLE ? tx.rev : 0);
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		if (!dot || strcmp(dot, ".yaml") || !strcmp(e->d_name, keep1) ||
		    !strcmp(e->d_name, keep2) || !strcmp(e->d_name, keep3))
			continue;
		snprintf(path, sizeof(path), REV_DIR "/%s", e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* A revision's objects: 0 (none for revision 0), or -errno with err */
static int read_objects(long long rev, char *file, size_t flen, struct kobj **o,
			size_t *n, char *err, size_t errlen)
{
	static char text[POD_TEXT_MAX + 1];
	ssize_t len;

	*n = 0;
	file[0] = '\0';
	if (!rev)
		return 0;
	rev_file(rev, file, flen);
	if ((len = read_text(file, text, sizeof(text))) < 0)
		return errmsg(err, errlen, (int)len, "%s: %s", file,
			      strerror((int)-len));
	if (rev_text_empty(text, (size_t)len))
		return 0;
	return kobjs_parse(text, (size_t)len, file, o, MANIFEST_OBJECTS_MAX, n,
			   err, errlen);
}

void revision_start(const struct imaged_conf *c)
{
	struct rev_state st;

	conf = c;
	rev_state_load(&st);
	if (st.applying && st.applying != st.current) {
		/* cut off between its objects going in and its record */
		long long was = st.applying;
		st.applying = 0;
		cut_off = true;
		outcome(&st, "rolled_back",
			"revision %lld was being applied when imaged stopped; "
			"back to revision %lld (it is tried again)",
			was, st.current);
		prune(&st);
	}
	if (st.current)
		rev_file(st.current, running, sizeof(running));
	if (st.current && access(running, F_OK)) {
		log_err("unable to load workload revision %lld: %s is gone",
			st.current, running);
		running[0] = '\0';
	}
}

const char *revision_file(void)
{
	return running[0] ? running : NULL;
}

bool revision_cut_off(void)
{
	return cut_off;
}

/* In the puller: one image, unless the store has it already */
static int pull_one(const struct image_ref *ref, char *err, size_t errlen)
{
	char name[IMAGE_REF_MAX + 1];
	struct store_image img;
	const struct images_ctx *x = pods_images();

	image_ref_format(ref, name, sizeof(name));
	if (!store_image_get(x->store, name, &img))
		return 0;
	int r = images_pull_ref(x, name, err, errlen);
	return r ? errmsg_prefix(err, errlen, r, "pull %s: ", name) : 0;
}

/* In the puller: every image of the revision's pods and templates */
static int pull_all(char *err, size_t errlen)
{
	int r = 0;

	for (size_t i = 0; !r && i < tx.n; i++) {
		const struct pod *p = tx.o[i]->pod  ? tx.o[i]->pod
				      : tx.o[i]->wl ? tx.o[i]->wl->tmpl
						    : NULL;
		for (size_t k = 0; p && !r && k < p->n_init; k++)
			r = pull_one(&p->init[k].ref, err, errlen);
		for (size_t k = 0; p && !r && k < p->n_containers; k++)
			r = pull_one(&p->containers[k].ref, err, errlen);
		for (size_t k = 0; p && !r && k < p->n_image_refs; k++)
			r = pull_one(&p->image_refs[k], err, errlen);
	}
	return r;
}

static int start_pull(void)
{
	char err[1024];

	unlink(PULL_ERR);
	tx.puller = fork();
	if (tx.puller < 0) {
		tx.puller = 0;
		return errmsg_errno(tx.why, sizeof(tx.why), -errno, errno,
				    "unable to fork its puller");
	}
	if (tx.puller)
		return 0;
	if (pull_all(err, sizeof(err))) {
		write_atomic(PULL_ERR, err, strlen(err), 0600);
		_exit(1);
	}
	_exit(0);
}

/* Refused before anything changed: rejected here, with why */
static void refuse(long long rev, const char *why)
{
	struct rev_state st;

	rev_state_load(&st);
	if (rev > st.rejected)
		st.rejected = rev;
	outcome(&st, "refused", "revision %lld: %s; revision %lld stays", rev,
		why, st.current);
	prune(&st);
}

/* The offer taken up: its file read and checked, its puller started */
static int offer(long long rev)
{
	int r = read_objects(rev, tx.file, sizeof(tx.file), tx.o, &tx.n, tx.why,
			     sizeof(tx.why));

	if (!r)
		r = podset_check(tx.o, tx.n, SRC_REVISION, tx.file, tx.why,
				 sizeof(tx.why));
	if (!r)
		r = start_pull();
	if (r)
		forget_objects();
	return r;
}

/* Every image is in: the objects replaced, the marker first */
static void replace(void)
{
	struct rev_state st;
	char err[600];
	int r;

	rev_state_load(&st);
	st.applying = tx.rev;
	if ((r = rev_state_save(&st)))
		log_err("unable to write %s: %s", REV_STATE, strerror(-r));
	if (podset_replace(tx.o, tx.n, SRC_REVISION, tx.file, err, sizeof(err)))
		log_err("workloads: revision %lld: unable to load %s", tx.rev,
			err);
	tx.n = 0;
	tx.replaced = monotonic_ms();
	tx.deadline = tx.replaced + conf->workload_timeout * 1000LL;
}

/* Its pods are ready: recorded, the one before forgotten */
static void commit(void)
{
	struct rev_state st;
	long long was;

	rev_state_load(&st);
	was = st.current;
	st.current = tx.rev;
	st.applying = 0;
	outcome(&st, "applied",
		"revision %lld applied (revision %lld before it): its pods "
		"ready %.1f s after they went in, %.1f s after it was offered",
		tx.rev, was, (monotonic_ms() - tx.replaced) / 1000.0,
		(monotonic_ms() - tx.started) / 1000.0);
	snprintf(running, sizeof(running), "%s", tx.file);
	prune(&st);
}

/* Its pods were not ready in time: the revision before put back */
static void roll_back(void)
{
	struct kobj *o[MANIFEST_OBJECTS_MAX];
	struct rev_state st;
	char file[256], err[600];
	size_t n;

	rev_state_load(&st);
	if (read_objects(st.current, file, sizeof(file), o, &n, err,
			 sizeof(err)))
		log_err("workloads: unable to read revision %lld back: %s",
			st.current, err);
	else if (podset_replace(o, n, SRC_REVISION, file, err, sizeof(err)))
		log_err("workloads: revision %lld: unable to load %s",
			st.current, err);
	if (tx.rev > st.rejected)
		st.rejected = tx.rev;
	st.applying = 0;
	outcome(&st, "rolled_back",
		"revision %lld: %s after %d s; back to revision %lld", tx.rev,
		tx.why, conf->workload_timeout, st.current);
	prune(&st);
}

/* The transaction's one step function */
static void step(enum rev_event ev)
{
	switch (tx.phase) {
	case RP_IDLE:
		if (ev != EV_OFFER)
			return;
		tx.started = monotonic_ms();
		if (offer(tx.rev)) {
			refuse(tx.rev, tx.why);
			return;
		}
		set_phase(RP_PULLING);
		return;
	case RP_PULLING:
		if (ev == EV_PULL_FAILED) {
			forget_objects();
			set_phase(RP_IDLE);
			refuse(tx.rev, tx.why);
		} else if (ev == EV_PULLED) {
			replace();
			set_phase(RP_WAITING);
		}
		return;
	case RP_WAITING:
		if (ev != EV_READY && ev != EV_TIMEOUT)
			return;
		/* idle first: its file is pruned with the rest when rejected */
		set_phase(RP_IDLE);
		if (ev == EV_READY)
			commit();
		else
			roll_back();
		return;
	}
}

bool revision_reaped(pid_t pid, int status)
{
	if (!pid || pid != tx.puller)
		return false;
	tx.puller = 0;
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		step(EV_PULLED);
		return true;
	}
	if (read_text(PULL_ERR, tx.why, sizeof(tx.why)) <= 0)
		snprintf(tx.why, sizeof(tx.why), "its puller failed");
	step(EV_PULL_FAILED);
	return true;
}

long long revision_due_in_ms(void)
{
	return tx.phase == RP_WAITING ? WATCH_MS : -1;
}

void revision_tick(void)
{
	if (tx.phase != RP_WAITING)
		return;
	if (podset_ready(SRC_REVISION, tx.why, sizeof(tx.why)))
		step(EV_READY);
	else if (monotonic_ms() >= tx.deadline)
		step(EV_TIMEOUT);
}

/* Its file's name or "none" */
static const char *rev_text(long long rev, char *buf, size_t len)
{
	if (!rev)
		return "none";
	snprintf(buf, len, "%lld", rev);
	return buf;
}

/* `imagectl workloads status`: the revisions, the last outcome, the pods */
static void status(int fd)
{
	static char text[8192];
	char a[32], b[32], c[32], line[512] = "";
	struct rev_state st;
	size_t n = 0;

	rev_state_load(&st);
	read_text(WORKLOADS_STATUS_FILE, line, sizeof(line));
	line[strcspn(line, "\n")] = '\0';
	n += snprintf(text + n, sizeof(text) - n, "revision: %s\napplying: %s",
		      rev_text(st.current, a, 32),
		      rev_text(tx.phase ? tx.rev : st.applying, b, 32));
	if (tx.phase)
		n += snprintf(text + n, sizeof(text) - n, " (%s, %lld s)",
			      phase_names[tx.phase],
			      (monotonic_ms() - tx.started) / 1000);
	n += snprintf(text + n, sizeof(text) - n,
		      "\nrejected: %s\nlast: %s%s%s%s%s\nchannel: %s\n"
		      "NAME STATUS",
		      rev_text(st.rejected, c, 32),
		      st.outcome[0] ? st.outcome : "none",
		      st.at[0] ? " at " : "", st.at, st.reason[0] ? ": " : "",
		      st.reason, line[0] ? line : "no workloads offered yet");
	for (size_t i = 0; i < n_pods && n < sizeof(text); i++) {
		if (pods[i]->source != SRC_REVISION)
			continue;
		pods_status(pods[i], line, sizeof(line));
		n += snprintf(text + n, sizeof(text) - n, "\n%s %s",
			      pods[i]->spec->key, line);
	}
	ctl_send(fd, CTL_OK, text);
}

bool revision_handle(int fd, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "workloads"))
		return false;
	if (!strcmp(argv[1], "status") && argc == 2) {
		status(fd);
		return true;
	}
	long long rev = argc >= 3 ? atoll(argv[2]) : 0;
	/* the poll's child: what it fetched failed its checks */
	if (!strcmp(argv[1], "refused") && argc == 4 && rev >= 1) {
		refuse(rev, argv[3]);
		ctl_send(fd, CTL_OK, "");
		return true;
	}
	if (strcmp(argv[1], "apply") || argc != 3 || rev < 1) {
		ctl_send(fd, CTL_ERR, "usage: imagectl workloads status");
		return true;
	}
	if (tx.phase != RP_IDLE) {
		ctl_sendf(fd, CTL_ERR, "revision %lld is being applied",
			  tx.rev);
		return true;
	}
	tx.rev = rev;
	step(EV_OFFER);
	ctl_send(fd, CTL_OK, "");
	return true;
}

// SPDX-License-Identifier: MIT
#include "os/revfetch.h"
#include "ctlsock.h"
#include "errmsg.h"
#include "file.h"
#include "imaged.h"
#include "log.h"
#include "oci/manifest.h"
#include "os/autoupdate.h"
#include "os/bundle.h"
#include "os/revstate.h"
#include "progress.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)text;
	(void)ctx;
}

/* A word to the daemon: "workloads apply N" or "refused N why" */
static void tell(const char *what, long long rev, const char *why)
{
	char n[32], err[160];
	char *argv[] = { "workloads", (char *)what, n, (char *)why, NULL };

	snprintf(n, sizeof(n), "%lld", rev);
	if (!why)
		argv[3] = NULL;
	if (ctl_call(IMAGED_SOCKET, argv, 10, ignore_reply, NULL, err,
		     sizeof(err)) < 0)
		log_err("unable to hand workload revision %lld to imaged: %s",
			rev, err);
}

/* Whether this host takes w now; the verdict written when it does not */
static bool wanted(const struct channel_workloads *w)
{
	struct rev_state st;
	char mid[64] = "", rev[32];

	rev_state_load(&st);
	read_text(MACHINE_ID_FILE, mid, sizeof(mid));
	mid[strcspn(mid, "\n")] = '\0';
	snprintf(rev, sizeof(rev), "%lld", w->revision);
	int slot = rollout_slot(mid, rev);
	switch (rev_wanted(&st, w->revision, w->rollout, slot)) {
	case REV_TAKE:
		return true;
	case REV_CURRENT:
		status_write(WORKLOADS_STATUS_FILE,
			     "up to date: the channel offers revision %lld, "
			     "revision %lld runs",
			     w->revision, st.current);
		break;
	case REV_REJECTED:
		status_write(WORKLOADS_STATUS_FILE,
			     "revision %lld was %s on this host; waiting for "
			     "a higher revision",
			     w->revision,
			     st.rejected == w->revision &&
					     !strcmp(st.outcome, "refused")
				     ? "refused"
				     : "refused or rolled back");
		break;
	case REV_BUSY:
		status_write(WORKLOADS_STATUS_FILE,
			     "revision %lld is being applied", st.applying);
		break;
	case REV_WAITS:
		status_write(WORKLOADS_STATUS_FILE,
			     "revision %lld is out to %d%% of hosts; this one "
			     "is at %d%% and waits",
			     w->revision, w->rollout, slot);
		break;
	}
	return false;
}

/* The file checked: its digest, then every document. 0 or -errno. */
static int check(const struct channel_workloads *w, const char *text,
		 size_t len, char *err, size_t errlen)
{
	static struct kobj *o[MANIFEST_OBJECTS_MAX];
	uint8_t got[SHA256_DIGEST_SIZE];
	char g[65], want[65];
	struct sha256_ctx sha;
	size_t n;

	sha256_init(&sha);
	sha256_update(&sha, len, (const uint8_t *)text);
	sha256_digest(&sha, sizeof(got), got);
	if (memcmp(got, w->sha256, sizeof(got))) {
		sha256_hex(got, g);
		sha256_hex(w->sha256, want);
		return errmsg(err, errlen, -EBADMSG,
			      "%s has sha256 %.16s..., the channel says "
			      "%.16s...",
			      w->url, g, want);
	}
	if (rev_text_empty(text, len))
		return 0; /* every object the channel manages goes */
	int r = kobjs_parse(text, len, w->url, o, MANIFEST_OBJECTS_MAX, &n, err,
			    errlen);
	for (size_t i = 0; !r && i < n; i++)
		kobj_free(o[i]);
	return r;
}

void revfetch_offer(const struct channel_workloads *w)
{
	char *text, err[768], path[256];
	long len;
	int r;

	if (!wanted(w))
		return;
	if (!(text = malloc(POD_TEXT_MAX + 1))) {
		log_err("unable to fetch workload revision %lld: out of memory",
			w->revision);
		return;
	}
	len = autoupdate_fetch(w->url, text, POD_TEXT_MAX + 1, err,
			       sizeof(err));
	if (len < 0) {
		/* the network, not the revision: tried again next poll */
		status_write(WORKLOADS_STATUS_FILE,
			     "revision %lld unreachable: %s", w->revision, err);
	} else if (check(w, text, (size_t)len, err, sizeof(err))) {
		status_write(WORKLOADS_STATUS_FILE, "revision %lld refused: %s",
			     w->revision, err);
		tell("refused", w->revision, err);
	} else {
		rev_file(w->revision, path, sizeof(path));
		mkdir_parents(REV_DIR, 0700);
		if ((r = write_atomic(path, text, (size_t)len, 0600)))
			log_err("unable to write %s: %s", path, strerror(-r));
		else {
			status_write(WORKLOADS_STATUS_FILE,
				     "revision %lld is out to %d%% of hosts, "
				     "this one included: applying",
				     w->revision, w->rollout);
			tell("apply", w->revision, NULL);
		}
	}
	free(text);
}

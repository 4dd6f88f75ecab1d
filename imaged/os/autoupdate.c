// SPDX-License-Identifier: MIT
#include "os/autoupdate.h"
#include "os/bundle.h"
#include "progress.h"
#include "os/release.h"
#include "os/reboot.h"
#include "log.h"
#include "imaged_conf.h"
#include "os/channel.h"
#include "os/slots.h"
#include "os/install.h"
#include "os/update.h"

#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Automatic updates: one poll of the channel, in a child of the daemon.
 * The channel document is believed only once its detached signature
 * checks out against the same keys as bundles; then the version, the
 * rollout wave, and the install itself (which verifies the bundle on its
 * own terms).
 */

/* The channel's line in `imagectl os status`, and the log's. */
static void channel_status(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void channel_status(const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("channel: %s", line);
	status_write(CHANNEL_STATUS_FILE, "%s", line);
}

/* A whole small document; its length, or -errno with err set. */
static long fetch(const char *url, char *buf, size_t max, char *err,
		  size_t errlen)
{
	struct http_conn *c = malloc(sizeof(*c));
	size_t got = 0;
	long r;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((r = http_get(c, url, err, errlen)))
		goto out;
	for (;;) {
		ssize_t n = http_read(c, buf + got, max - got);
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", url, strerror(-n));
			r = n;
			goto out;
		}
		if (!n)
			break;
		got += n;
		if (got == max) {
			snprintf(err, errlen, "%s: longer than %zu bytes", url,
				 max);
			r = -EFBIG;
			goto out;
		}
	}
	r = got;
out:
	http_close(c);
	free(c);
	return r;
}

/*
 * The channel document and its detached signature, believed: the entry
 * for this board in ch. 0, or -errno with the channel's status line
 * written.
 */
static int channel_get(const struct imaged_conf *c, struct channel *ch,
		       const char *board)
{
	static char doc[CHANNEL_MAX];
	static uint8_t keys[UPDATE_KEYS_MAX][P256_POINT_LEN];
	char sigurl[HTTP_PATH_MAX + 8], err[512];
	uint8_t sig[BUNDLE_SIG_MAX], digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	int r;

	long len = fetch(c->channel_url, doc, sizeof(doc), err, sizeof(err));
	if (len < 0) {
		channel_status("unreachable: %s", err);
		return len;
	}
	snprintf(sigurl, sizeof(sigurl), "%s.sig", c->channel_url);
	long slen = fetch(sigurl, (char *)sig, sizeof(sig), err, sizeof(err));
	if (slen < 0) {
		channel_status("no signature: %s", err);
		return slen;
	}
	sha256_init(&sha);
	sha256_update(&sha, len, (const uint8_t *)doc);
	sha256_digest(&sha, sizeof(digest), digest);
	int nkeys = update_keys_load(keys);
	if ((r = signature_verify(digest, sig, slen,
				  (const uint8_t(*)[P256_POINT_LEN])keys, nkeys,
				  err, sizeof(err)))) {
		channel_status("%s: %s; ignored", c->channel_url, err);
		return r;
	}
	if ((r = channel_parse(ch, doc, len, board, err, sizeof(err))))
		channel_status("%s", err);
	return r;
}

/* Not older than the newest serial seen here; that one remembered. */
static bool serial_fresh(const struct channel *ch)
{
	char seen_text[32] = "";
	long long seen = 0;

	if (read_text(CHANNEL_SERIAL, seen_text, sizeof(seen_text)) > 0)
		seen = atoll(seen_text);
	if (ch->serial < seen) {
		channel_status("serial %lld is older than %lld, seen before: "
			       "an old document replayed? ignored",
			       ch->serial, seen);
		return false;
	}
	if (ch->serial > seen) {
		snprintf(seen_text, sizeof(seen_text), "%lld\n", ch->serial);
		mkdir("/var/lib/keel", 0755);
		mkdir(UPDATE_STATE_DIR, 0700);
		write_atomic(CHANNEL_SERIAL, seen_text, strlen(seen_text),
			     0644);
	}
	return true;
}

/* The version offered is one this host should install now. */
static bool wanted(const struct channel *ch, const char *running)
{
	char rejected[64] = "", mid[64] = "", err[256];
	struct slots sl;

	if (version_compare(ch->version, running) <= 0) {
		channel_status("up to date: the channel offers %s, %s runs",
			       ch->version, running);
		return false;
	}
	read_text(UPDATE_REJECTED, rejected, sizeof(rejected));
	if (!strcmp(rejected, ch->version)) {
		channel_status("%s was rolled back on this host; waiting for a "
			       "newer version",
			       ch->version);
		return false;
	}
	if (!slots_read(&sl, err, sizeof(err)) && sl.booted >= 0 &&
	    !strcmp(sl.version[!sl.booted], ch->version) &&
	    sl.bs.tries[!sl.booted] > 0) {
		channel_status("%s is installed in slot %c and boots next",
			       ch->version, slot_name(!sl.booted));
		return false;
	}
	read_text(MACHINE_ID_FILE, mid, sizeof(mid));
	mid[strcspn(mid, "\n")] = '\0';
	int slot = rollout_slot(mid, ch->version);
	if (slot >= ch->rollout) {
		channel_status("%s is out to %d%% of hosts; this one is at "
			       "%d%% and waits",
			       ch->version, ch->rollout, slot);
		return false;
	}
	return true;
}

void autoupdate_poll(const struct imaged_conf *c)
{
	char err[512], board[64], running[64];
	struct channel ch;

	if (os_release_get("VARIANT_ID", board, sizeof(board)) ||
	    os_release_get("VERSION_ID", running, sizeof(running))) {
		channel_status("%s has no VARIANT_ID or VERSION_ID",
			       OS_RELEASE);
		return;
	}
	if (channel_get(c, &ch, board) || !serial_fresh(&ch) ||
	    !wanted(&ch, running))
		return;
	channel_status("%s is out to %d%% of hosts, this one included: "
		       "installing",
		       ch.version, ch.rollout);
	struct progress p = { .fd = -1, .status_file = UPDATE_STATUS_FILE };
	if (update_install(c, ch.url, false, NULL, &p, err, sizeof(err))) {
		channel_status("installing %s failed: %s", ch.version, err);
		return;
	}
	channel_status("installed %s from the channel", ch.version);
	if (c->update_reboot)
		reboot_when_allowed(c, &p);
}

// SPDX-License-Identifier: MIT
#include "os/autoupdate.h"
#include "errmsg.h"
#include "imaged_conf.h"
#include "log.h"
#include "os/bundle.h"
#include "os/channel.h"
#include "os/floor.h"
#include "os/install.h"
#include "os/reboot.h"
#include "os/release.h"
#include "os/reporter.h"
#include "os/revfetch.h"
#include "os/slots.h"
#include "os/update.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Automatic updates: one poll of the channel, in a child of the daemon.
 * The channel document is believed only once its detached signature
 * checks out against the same keys as bundles (with the channel's
 * context), it has not expired and its serial is not older than one
 * believed before; then its floor is kept, and the version, the rollout
 * wave, and the install itself, bound to the entry's size and digests
 * (and verifying the bundle on its own terms).
 */

/* The last channel outcome reported, so a poll that finds what the
 * last one found reports nothing new. */
#define CHANNEL_REPORTED IMAGED_RUN_DIR "/channel.reported"

/* The serial of the document this poll believed, or -1. */
static long long believed = -1;

/*
 * The channel's line in `imagectl os status`, and the log's; with a
 * result, a status report when it is news (with the serial believed).
 */
static void channel_status(const char *result, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void channel_status(const char *result, const char *fmt, ...)
{
	char line[768], reason[800], old[800] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("channel: %s", line);
	status_write(CHANNEL_STATUS_FILE, "%s", line);
	if (!result)
		return;
	if (believed >= 0)
		snprintf(reason, sizeof(reason), "serial %lld: %s", believed,
			 line);
	else
		snprintf(reason, sizeof(reason), "%s", line);
	read_text(CHANNEL_REPORTED, old, sizeof(old));
	if (!strcmp(old, reason))
		return;
	write_atomic(CHANNEL_REPORTED, reason, strlen(reason), 0600);
	report_outcome("channel", result, "%s", reason);
}

/* A whole small file (file:// on a USB stick): its length, or -errno. */
static long fetch_file(const char *path, char *buf, size_t max, char *err,
		       size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	while ((n = read(fd, buf + got, max - got)) > 0 && got + n < max)
		got += n;
	int e = n < 0 ? errno : 0;
	close(fd);
	if (e)
		return errmsg_errno(err, errlen, -e, e, "%s", path);
	if (n > 0)
		return errmsg(err, errlen, -EFBIG, "%s: longer than %zu bytes",
			      path, max - 1);
	return got;
}

long autoupdate_fetch(const char *url, char *buf, size_t max, char *err,
		      size_t errlen)
{
	struct http_conn *c;
	size_t got = 0;
	long r;

	if (!strncmp(url, "file://", 7))
		return fetch_file(url + 7, buf, max, err, errlen);
	if (!(c = malloc(sizeof(*c))))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if ((r = http_get(c, url, err, errlen)))
		goto out;
	for (;;) {
		ssize_t n = http_read(c, buf + got, max - got);
		if (n < 0) {
			r = errmsg(err, errlen, n, "%s: %s", url, strerror(-n));
			goto out;
		}
		if (!n)
			break;
		got += n;
		if (got == max) {
			r = errmsg(err, errlen, -EFBIG,
				   "%s: longer than %zu bytes", url, max - 1);
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
 * One of the trusted keys signed doc: with the channel's context (bare
 * false), or, for a format 1 document, without it (bare true).
 */
static int verify(const char *doc, size_t len, const uint8_t *sig, size_t slen,
		  bool *bare, char *err, size_t errlen)
{
	static uint8_t keys[UPDATE_KEYS_MAX][P256_POINT_LEN];
	char why[200];
	int nkeys = update_keys_load(keys);
	int r = channel_verify(doc, len, sig, slen,
			       (const uint8_t(*)[P256_POINT_LEN])keys, nkeys,
			       bare, why, sizeof(why));

	if (r == -EKEYREJECTED)
		return errmsg(err, errlen, r, "%s (keys in %s)", why,
			      UPDATE_KEYS_DIR);
	return r ? errmsg(err, errlen, r, "%s", why) : 0;
}

/* The highest serial believed here, or 0. */
static long long serial_seen(void)
{
	char text[32] = "";

	return read_text(CHANNEL_SERIAL, text, sizeof(text)) > 0 ? atoll(text)
								 : 0;
}

/*
 * The channel document and its detached signature, believed: the entry
 * for this board in ch. 0, or -errno with the channel's status line
 * written.
 */
static int channel_get(const struct imaged_conf *c, struct channel *ch,
		       const char *board)
{
	static char doc[CHANNEL_MAX + 1];
	char sigurl[sizeof(c->channel_url) + 8], err[512];
	uint8_t sig[BUNDLE_SIG_MAX + 1];
	bool bare;
	int r;

	long len = autoupdate_fetch(c->channel_url, doc, sizeof(doc), err,
				    sizeof(err));
	if (len < 0) {
		channel_status("unreachable", "unreachable: %s", err);
		return len;
	}
	snprintf(sigurl, sizeof(sigurl), "%s.sig", c->channel_url);
	long slen = autoupdate_fetch(sigurl, (char *)sig, sizeof(sig), err,
				     sizeof(err));
	if (slen < 0) {
		channel_status("unreachable", "no signature: %s", err);
		return slen;
	}
	if ((r = verify(doc, len, sig, slen, &bare, err, sizeof(err)))) {
		channel_status("refused", "%s: %s; ignored", c->channel_url,
			       err);
		return r;
	}
	if ((r = channel_parse(ch, doc, len, board, err, sizeof(err))) ||
	    (r = channel_check(ch, bare, serial_seen(), time(NULL), err,
			       sizeof(err))))
		channel_status("refused", "%s", err);
	return r;
}

/* A small state file, rewritten only when text is not what it holds. */
static void keep_text(const char *path, const char *text)
{
	char old[128] = "";

	if (read_text(path, old, sizeof(old)) >= 0 && !strcmp(old, text))
		return;
	mkdir_parents(UPDATE_STATE_DIR, 0700);
	if (!text[0])
		unlink(path);
	else
		write_atomic(path, text, strlen(text), 0644);
}

/* What a believed document leaves here: its serial, expiry and floor. */
static void channel_keep(const struct channel *ch)
{
	char text[64];
	int r;

	snprintf(text, sizeof(text), "%lld\n", ch->serial);
	keep_text(CHANNEL_SERIAL, text);
	snprintf(text, sizeof(text), "%s%s", ch->expires,
		 ch->expires[0] ? "\n" : "");
	keep_text(CHANNEL_EXPIRES, text);
	if ((r = floor_raise(VERSION_FLOOR, ch->min_version)))
		log_err("unable to raise the version floor to %s: %s",
			ch->min_version, strerror(-r));
}

/* This entry's bundle was not the one it named: not fetched again. */
static bool mismatched(const struct channel *ch)
{
	char text[128] = "", want[128];

	read_text(CHANNEL_MISMATCH, text, sizeof(text));
	snprintf(want, sizeof(want), "%lld %s\n", ch->serial, ch->version);
	return !strcmp(text, want);
}

/* The version offered is one this host should install now. */
static bool wanted(const struct channel *ch, const char *running)
{
	char rejected[64] = "", mid[64] = "", err[256];
	char floor[BUNDLE_VERSION_MAX + 2];
	struct slots sl;

	if (version_compare(ch->version, running) <= 0) {
		channel_status("fetched",
			       "up to date: the channel offers %s, %s runs",
			       ch->version, running);
		return false;
	}
	floor_read(VERSION_FLOOR, floor, sizeof(floor));
	if (!floor_allows(floor, ch->version)) {
		channel_status("refused",
			       "the channel offers %s, below the version "
			       "floor %s; ignored",
			       ch->version, floor);
		return false;
	}
	read_text(UPDATE_REJECTED, rejected, sizeof(rejected));
	if (!strcmp(rejected, ch->version)) {
		channel_status("fetched",
			       "%s was rolled back on this host; waiting for a "
			       "newer version",
			       ch->version);
		return false;
	}
	if (mismatched(ch)) {
		channel_status("fetched",
			       "%s at %s is not the bundle serial %lld names; "
			       "waiting for a new channel document",
			       ch->version, ch->url, ch->serial);
		return false;
	}
	if (!slots_read(&sl, err, sizeof(err)) && sl.booted >= 0 &&
	    !strcmp(sl.version[!sl.booted], ch->version) &&
	    sl.bs.tries[!sl.booted] > 0) {
		channel_status("fetched",
			       "%s is installed in slot %c and boots next",
			       ch->version, slot_name(!sl.booted));
		return false;
	}
	read_text(MACHINE_ID_FILE, mid, sizeof(mid));
	mid[strcspn(mid, "\n")] = '\0';
	int slot = rollout_slot(mid, ch->version);
	if (slot >= ch->rollout) {
		channel_status("fetched",
			       "%s is out to %d%% of hosts; this one is at "
			       "%d%% and waits",
			       ch->version, ch->rollout, slot);
		return false;
	}
	return true;
}

/* The entry's bundle, bound to what the entry says of it (format 2). */
static void install(const struct imaged_conf *c, const struct channel *ch)
{
	struct progress p = { .fd = -1, .status_file = UPDATE_STATUS_FILE };
	struct install_expect e = { .size = ch->size };
	const char *src = ch->url;
	char err[512], text[128];

	channel_status("fetched",
		       "%s is out to %d%% of hosts, this one included: "
		       "installing",
		       ch->version, ch->rollout);
	memcpy(e.sha256, ch->sha256, sizeof(e.sha256));
	memcpy(e.manifest_sha256, ch->manifest_sha256,
	       sizeof(e.manifest_sha256));
	if (!strncmp(src, "file://", 7))
		src += 7;
	if (update_install(c, src, false, ch->bound ? &e : NULL, &p, err,
			   sizeof(err))) {
		channel_status(NULL, "installing %s failed: %s", ch->version,
			       err);
		report_outcome("install", "failed", "%s from %s: %s",
			       ch->version, ch->url, err);
		if (e.mismatch) {
			snprintf(text, sizeof(text), "%lld %s\n", ch->serial,
				 ch->version);
			keep_text(CHANNEL_MISMATCH, text);
		}
		return;
	}
	channel_status(NULL, "installed %s from the channel", ch->version);
	update_last_get(err, sizeof(err));
	report_outcome("install", "installed", "%s (from %s)", err, ch->url);
	if (c->update_reboot)
		reboot_when_allowed(c, &p);
}

void autoupdate_poll(const struct imaged_conf *c)
{
	static struct channel ch;
	char board[64], running[64];

	if (os_release_get("VARIANT_ID", board, sizeof(board)) ||
	    os_release_get("VERSION_ID", running, sizeof(running))) {
		channel_status(NULL, "%s has no VARIANT_ID or VERSION_ID",
			       OS_RELEASE);
		return;
	}
	believed = -1;
	if (channel_get(c, &ch, board))
		return;
	believed = ch.serial;
	channel_keep(&ch);
	/* the daemon applies it: the OS install below may go on meanwhile */
	if (ch.workloads.given)
		revfetch_offer(&ch.workloads);
	if (!ch.os) {
		channel_status("fetched",
			       "serial %lld has nothing for board %s",
			       ch.serial, board);
		return;
	}
	if (wanted(&ch, running))
		install(c, &ch);
}

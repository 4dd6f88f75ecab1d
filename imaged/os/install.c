// SPDX-License-Identifier: MIT
#include "os/install.h"
#include "clock.h"
#include "errmsg.h"
#include "imaged.h"
#include "log.h"
#include "os/expect.h"
#include "os/fault.h"
#include "os/floor.h"
#include "os/release.h"
#include "os/slotfiles.h"
#include "os/slots.h"
#include "os/stream.h"
#include "os/update.h"
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * An install as a state machine: one state per phase, one step function
 * whose switch runs a state's work and names the next, one transition
 * that logs, shows the phase in the status file and passes the state's
 * fault point. Each state ends in a fault point (UPDATE_FAULT_POINTS),
 * so the power-cut tests can cut at the end of every one.
 */
enum install_state {
	IS_CHECK, /* boot state, running slot, os-release: no bundle byte */
	IS_SIGNED, /* header, signature, manifest, board, version, fit */
	IS_VERIFY, /* every payload hashed, nothing written */
	IS_REOPEN, /* the source again, its signed part the same */
	IS_UNBOOTABLE, /* pending note; the other slot marked not bootable */
	IS_WRITE, /* the payloads into the slot as they stream */
	IS_FILES, /* kernel files renamed into place, slot.cfg, version */
	IS_READBACK, /* everything read back from disk and hashed */
	IS_COMMIT, /* the single commit point: the slot boots next */
	IS_DONE,
	IS_FAILED,
};

static const struct {
	const char *name; /* the phase in the log and the status file */
	const char *fault; /* the fault point at the state's good end */
} states[] = {
	[IS_CHECK] = { "check", "checked" },
	[IS_SIGNED] = { "signature", "signed" },
	[IS_VERIFY] = { "verify", "verified" },
	[IS_REOPEN] = { "reopen", "reopened" },
	[IS_UNBOOTABLE] = { "unbootable", "unbootable" },
	[IS_WRITE] = { "write", "root-written" },
	[IS_FILES] = { "files", "files-written" },
	[IS_READBACK] = { "read back", "readback" },
	[IS_COMMIT] = { "commit", "committed" },
	[IS_DONE] = { "done", NULL },
	[IS_FAILED] = { "failed", NULL },
};

struct install {
	enum install_state state, failed_in;
	const struct imaged_conf *c;
	const char *source;
	bool force;
	struct install_expect *expect; /* what a channel named, or NULL */
	struct progress *p;
	char *err;
	size_t errlen;
	struct slots sl;
	int slot; /* the one written */
	char board[BUNDLE_BOARD_MAX], running[BUNDLE_VERSION_MAX], dev[64];
	struct source src;
	struct signed_part *first, *again;
	const struct manifest *m;
	struct stream st;
	struct sink sinks[PAYLOAD_COUNT];
	struct boot_state bs;
	bool esp_rw;
	int r; /* what the failed state returned */
	long t, ms[3]; /* verify, write and read back took */
};

static int check(struct install *in)
{
	struct slots *sl = &in->sl;
	int r = slots_read(sl, in->err, in->errlen);

	if (r)
		return r;
	if (sl->booted < 0)
		return errmsg(in->err, in->errlen, -ENXIO,
			      "no keel.slot= on the kernel command line: "
			      "which slot is running is unknown, so none is "
			      "written");
	if (!sl->bs.ok[sl->booted])
		return errmsg(in->err, in->errlen, -EBUSY,
			      "slot %c is still on trial: an update waits "
			      "until it is marked good or rolled back",
			      slot_name(sl->booted));
	in->slot = !sl->booted;
	if (os_release_get("VARIANT_ID", in->board, sizeof(in->board)) ||
	    os_release_get("VERSION_ID", in->running, sizeof(in->running)))
		return errmsg(in->err, in->errlen, -ENOENT,
			      "%s has no VARIANT_ID or VERSION_ID", OS_RELEASE);
	return 0;
}

/* The signed part believed, then what it says checked against here. */
static int check_signed(struct install *in)
{
	char spec[32];
	int r;

	progress(in->p, "verify: %s", in->source);
	if ((r = source_open(&in->src, in->source, in->err, in->errlen)) ||
	    (r = signed_read(&in->src, in->first, in->err, in->errlen)))
		return r;
	const struct manifest *m = in->m = &in->first->m;
	if (in->expect && (r = expect_signed(in->expect, &in->src, in->first,
					     in->err, in->errlen)))
		return r;
	if (strcmp(m->board, in->board))
		return errmsg(in->err, in->errlen, -EINVAL,
			      "bundle is for board %s; this is a %s", m->board,
			      in->board);
	if (!in->force && version_compare(m->version, in->running) <= 0)
		return errmsg(in->err, in->errlen, -EALREADY,
			      "bundle version %s is not newer than the "
			      "running %s (--force installs it anyway)",
			      m->version, in->running);
	if ((r = floor_check(VERSION_FLOOR, "bundle version", m->version,
			     in->err, in->errlen)))
		return r;
	snprintf(spec, sizeof(spec), "PARTLABEL=root-%c", slot_name(in->slot));
	if ((r = partition_find("/sys/class/block", spec, in->dev,
				sizeof(in->dev))))
		return errmsg_errno(in->err, in->errlen, r, -r,
				    "no partition %s", spec);
	return check_fit(m, in->slot, in->dev, in->err, in->errlen);
}

static int verify(struct install *in)
{
	int r;

	in->st = (struct stream){ .p = in->p, .phase = "verify", .m = in->m };
	in->st.hash = true;
	in->t = monotonic_ms();
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		in->sinks[k].fd = -1;
		in->st.total += in->m->payload[k].size;
	}
	if ((r = stream_payloads(&in->src, &in->st, in->sinks, in->err,
				 in->errlen)))
		return r;
	if (in->expect &&
	    (r = expect_whole(in->expect, &in->src, in->err, in->errlen)))
		return r;
	source_close(&in->src);
	in->ms[0] = monotonic_ms() - in->t;
	progress(in->p,
		 "verified: keel %s for %s, signed; installing into slot %c",
		 in->m->version, in->m->board, slot_name(in->slot));
	return 0;
}

/*
 * The same bytes again, and what the write needs, got before the slot
 * is given up: its partition, O_EXCL so never one something has
 * mounted, and an ESP that can be made writable.
 */
static int reopen(struct install *in)
{
	const struct signed_part *a = in->first, *b = in->again;
	char path[80];
	int r;

	if ((r = source_open(&in->src, in->source, in->err, in->errlen)) ||
	    (r = signed_read(&in->src, in->again, in->err, in->errlen)))
		return r;
	if (b->len != a->len || memcmp(b->bytes, a->bytes, a->len + a->sig_len))
		return errmsg(in->err, in->errlen, -EBADMSG,
			      "the bundle changed while installing");
	snprintf(path, sizeof(path), "/dev/%s", in->dev);
	in->sinks[PAYLOAD_ROOT].fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (in->sinks[PAYLOAD_ROOT].fd < 0)
		return errmsg_errno(in->err, in->errlen, -errno, errno, "%s",
				    path);
	if ((r = esp_writable(true)) || (r = esp_writable(false)))
		return errmsg_errno(in->err, in->errlen, r, -r, "%s", ESP_DIR);
	return 0;
}

/* From here on the bootloader will not start the slot we write. */
static int unbootable(struct install *in)
{
	int r;

	pending_write(in->slot, in->m->version, false);
	in->bs = in->sl.bs;
	in->bs.tries[in->slot] = 0;
	in->bs.ok[in->slot] = false;
	in->bs.order[0] = slot_name(in->sl.booted);
	in->bs.order[1] = slot_name(in->slot);
	if ((r = slots_write_state(&in->bs, in->err, in->errlen)))
		unlink(UPDATE_PENDING);
	return r;
}

static int write_payloads(struct install *in)
{
	char path[128];
	int r;

	if ((r = esp_writable(true)))
		return errmsg_errno(in->err, in->errlen, r, -r,
				    "unable to make %s writable", ESP_DIR);
	in->esp_rw = true;
	snprintf(path, sizeof(path), ESP_DIR "/%c", slot_name(in->slot));
	mkdir(path, 0700);
	for (int k = PAYLOAD_KERNEL; k < PAYLOAD_COUNT; k++)
		if ((in->sinks[k].fd =
			     open_new(in->slot, k, in->err, in->errlen)) < 0)
			return in->sinks[k].fd;
	/*
	 * No hashing on the way in: the verify pass checked the bundle, and
	 * the read back checks what is on the disk, which also catches a
	 * source that changed in between.
	 */
	in->st.phase = "write";
	in->st.done = 0;
	in->st.hash = false;
	in->st.fault_half = "root-half";
	in->t = monotonic_ms();
	if ((r = stream_payloads(&in->src, &in->st, in->sinks, in->err,
				 in->errlen)))
		return r;
	source_close(&in->src);
	if (fsync(in->sinks[PAYLOAD_ROOT].fd))
		return errmsg_errno(in->err, in->errlen, -errno, errno,
				    "syncing slot %c", slot_name(in->slot));
	in->ms[1] = monotonic_ms() - in->t;
	return 0;
}

static int write_files(struct install *in)
{
	int r;

	in->t = monotonic_ms();
	progress(in->p, "read back: slot %c", slot_name(in->slot));
	for (int k = PAYLOAD_KERNEL; k < PAYLOAD_COUNT; k++)
		if ((r = rename_new(in->sinks[k].fd, in->slot, k, in->err,
				    in->errlen)))
			return r;
	if ((r = write_slot_cfg(in->slot, in->m, in->err, in->errlen)))
		return r;
	sync();
	return 0;
}

static int read_back(struct install *in)
{
	uint8_t got[32];
	char path[128];
	int r;

	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct payload *pl = &in->m->payload[k];
		r = hash_back(in->sinks[k].fd, pl->size, got);
		if (!r && !memcmp(got, pl->sha256, 32))
			continue;
		if (k == PAYLOAD_ROOT)
			snprintf(path, sizeof(path), "slot %c",
				 slot_name(in->slot));
		else
			slot_path(path, sizeof(path), in->slot, slot_file(k),
				  "");
		return errmsg(in->err, in->errlen, -EIO,
			      "%s reads back wrong%s%s", path, r ? ": " : "",
			      r ? strerror(-r) : "");
	}
	in->ms[2] = monotonic_ms() - in->t;
	return 0;
}

/* The commit point: one boot-state write. */
static int commit(struct install *in)
{
	int r = esp_writable(false);

	in->esp_rw = false;
	if (r)
		log_err("unable to make %s read-only again: %s", ESP_DIR,
			strerror(-r));
	in->bs.order[0] = slot_name(in->slot);
	in->bs.order[1] = slot_name(in->sl.booted);
	in->bs.tries[in->slot] = in->c->update_tries;
	if ((r = slots_write_state(&in->bs, in->err, in->errlen)))
		return r;
	pending_write(in->slot, in->m->version, true);
	return 0;
}

static enum install_state then(struct install *in, int r,
			       enum install_state next)
{
	if (!r)
		return next;
	in->r = r;
	in->failed_in = in->state;
	return IS_FAILED;
}

static enum install_state step(struct install *in)
{
	switch (in->state) {
	case IS_CHECK:
		return then(in, check(in), IS_SIGNED);
	case IS_SIGNED:
		return then(in, check_signed(in), IS_VERIFY);
	case IS_VERIFY:
		return then(in, verify(in), IS_REOPEN);
	case IS_REOPEN:
		return then(in, reopen(in), IS_UNBOOTABLE);
	case IS_UNBOOTABLE:
		return then(in, unbootable(in), IS_WRITE);
	case IS_WRITE:
		return then(in, write_payloads(in), IS_FILES);
	case IS_FILES:
		return then(in, write_files(in), IS_READBACK);
	case IS_READBACK:
		return then(in, read_back(in), IS_COMMIT);
	case IS_COMMIT:
		return then(in, commit(in), IS_DONE);
	case IS_DONE:
	case IS_FAILED:
		break;
	}
	return in->state;
}

static void set_state(struct install *in, enum install_state next)
{
	if (next != IS_FAILED && states[in->state].fault)
		fault_point(states[in->state].fault);
	log_info("update: %s -> %s", states[in->state].name, states[next].name);
	in->state = next;
	in->p->phase = states[next].name;
}

/* What a failure left, said once: in err, the status file and the log. */
static void failed(struct install *in)
{
	size_t n = strlen(in->err);

	if (in->failed_in < IS_UNBOOTABLE && !strstr(in->err, "nothing "
							      "written"))
		snprintf(in->err + n, in->errlen - n, " (nothing written)");
	if (in->failed_in > IS_UNBOOTABLE) {
		unlink(UPDATE_PENDING);
		update_last("update to %s failed: %s; slot %c left not "
			    "bootable, slot %c as it was",
			    in->m->version, in->err, slot_name(in->slot),
			    slot_name(in->sl.booted));
	}
	if (in->p->status_file)
		status_write(in->p->status_file, "failed: %s", in->err);
}

int update_install(const struct imaged_conf *c, const char *source, bool force,
		   struct install_expect *expect, struct progress *p, char *err,
		   size_t errlen)
{
	static struct signed_part first, again;
	static struct install in;

	in = (struct install){ .c = c,
			       .source = source,
			       .force = force,
			       .expect = expect,
			       .p = p,
			       .err = err,
			       .errlen = errlen,
			       .first = &first,
			       .again = &again };
	in.src.fd = -1;
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		in.sinks[k].fd = -1;
	err[0] = '\0';
	p->phase = states[IS_CHECK].name;
	while (in.state != IS_DONE && in.state != IS_FAILED)
		set_state(&in, step(&in));
	source_close(&in.src);
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (in.sinks[k].fd >= 0)
			close(in.sinks[k].fd);
	if (in.esp_rw)
		esp_writable(false);
	if (in.state == IS_FAILED) {
		failed(&in);
		return in.r;
	}
	update_last("installed %s into slot %c; it boots next, with %d tries "
		    "to pass the health gate",
		    in.m->version, slot_name(in.slot), c->update_tries);
	progress(p,
		 "installed keel %s into slot %c; boots next (verify %.1f s, "
		 "write %.1f s, read back %.1f s)",
		 in.m->version, slot_name(in.slot), in.ms[0] / 1e3,
		 in.ms[1] / 1e3, in.ms[2] / 1e3);
	return 0;
}

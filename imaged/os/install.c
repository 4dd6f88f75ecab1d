// SPDX-License-Identifier: MIT
#include "os/install.h"
#include "clock.h"
#include "errmsg.h"
#include "imaged.h"
#include "log.h"
#include "os/delta.h"
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * An install as a state machine: one state per phase, one step function
 * whose switch runs a state's work and names the next, one transition
 * that logs, shows the phase in the status file and passes the state's
 * fault point. Each state ends in a fault point (UPDATE_FAULT_POINTS),
 * so the power-cut tests can cut at the end of every one. The bundle is
 * read once, front to back (imaged/README.md, "OS updates").
 */
enum install_state {
	IS_CHECK, /* boot state, running slot, os-release: no bundle byte */
	IS_SIGNED, /* header, signature, manifest, board, version, fit */
	IS_TREE, /* the verity tree against the root hash; the indexes */
	IS_SEED, /* a delta: what this host has, the store */
	IS_UNBOOTABLE, /* pending note; the other slot marked not bootable */
	IS_WRITE, /* every block checked, then written, as it streams */
	IS_FILES, /* kernel files renamed into place, slot.cfg, version */
	IS_READBACK, /* what landed on the disk through the same checks */
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
	[IS_TREE] = { "tree", "tree-checked" },
	[IS_SEED] = { "seed", "seeded" },
	[IS_UNBOOTABLE] = { "unbootable", "unbootable" },
	[IS_WRITE] = { "write", "root-written" },
	[IS_FILES] = { "files", "files-written" },
	[IS_READBACK] = { "read back", "readback" },
	[IS_COMMIT] = { "commit", "committed" },
	[IS_DONE] = { "done", NULL },
	[IS_FAILED] = { "failed", NULL },
};

struct install {
	enum install_state state;
	const struct imaged_conf *c;
	char source[HTTP_PATH_MAX + HTTP_HOST_MAX];
	bool force;
	struct install_expect *expect; /* what a channel named, or NULL */
	struct progress *p;
	char *err;
	size_t errlen;
	struct slots sl;
	int slot; /* the one written */
	char board[BUNDLE_BOARD_MAX], running[BUNDLE_VERSION_MAX], dev[64];
	struct source src;
	struct signed_part *sp;
	const struct manifest *m;
	struct manifest from_delta; /* a fallback's delta, to match */
	bool fell_back;
	struct flow flow;
	struct delta delta;
	struct boot_state bs;
	bool marked; /* the other slot is (being) marked not bootable */
	bool esp_rw;
	int r; /* what the failed state returned */
	long t, ms[3]; /* write, read back and the whole took */
	long since; /* the state began */
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

/* A delta's full bundle must be the same version, down to the root. */
static int same_as_delta(const struct install *in)
{
	const struct manifest *m = in->m, *d = &in->from_delta;

	if (!strcmp(m->version, d->version) && !strcmp(m->verity, d->verity) &&
	    !manifest_is_delta(m))
		return 0;
	return errmsg(in->err, in->errlen, -EINVAL,
		      "the full bundle the delta names is not keel %s with "
		      "its root",
		      d->version);
}

/* The signed part believed, then what it says checked against here. */
static int check_signed(struct install *in)
{
	char spec[32];
	int r;

	progress(in->p, "verify: %s", in->source);
	if ((r = source_open(&in->src, in->source, in->c->update_stall_timeout,
			     in->err, in->errlen)) ||
	    (r = signed_read(&in->src, in->sp, in->err, in->errlen)))
		return r;
	const struct manifest *m = in->m = &in->sp->m;
	if (in->fell_back && (r = same_as_delta(in)))
		return r;
	if (in->expect && (r = expect_signed(in->expect, &in->src, in->sp,
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

/* Format 2: the tree, then a delta's indexes, all before any write. */
static int read_tree(struct install *in)
{
	int r;

	in->flow.m = in->m;
	if (in->m->format < 2)
		return 0;
	if ((r = tree_read(&in->flow, &in->src, in->err, in->errlen)))
		return r;
	if (!manifest_is_delta(in->m))
		return 0;
	delta_init(&in->delta, in->m, in->sl.booted);
	in->flow.delta = &in->delta;
	return delta_read_indexes(&in->delta, &in->src, in->err, in->errlen);
}

/* The full bundle, when this host cannot seed the delta. */
static enum install_state fall_back(struct install *in)
{
	char full[sizeof(in->source)];

	if (!in->m->full[0] ||
	    source_resolve(in->source, in->m->full, full, sizeof(full)))
		return IS_FAILED;
	progress(in->p, "%s; falling back to the full bundle %s", in->err,
		 full);
	in->from_delta = *in->m;
	in->fell_back = true;
	/* what a channel named was the delta; same_as_delta binds the rest */
	in->expect = NULL;
	source_close(&in->src);
	delta_free(&in->delta);
	free(in->flow.tree_bytes);
	memset(&in->flow, 0, sizeof(in->flow));
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		in->flow.fd[k] = -1;
	snprintf(in->source, sizeof(in->source), "%s", full);
	in->err[0] = '\0';
	return IS_SIGNED;
}

static int seed(struct install *in)
{
	int r = delta_seed(&in->delta, in->source, &in->src.stall, in->err,
			   in->errlen);

	if (!r)
		progress(in->p, "seed: %.1f MiB of it is on this host already",
			 in->delta.seeded / 1048576.0);
	return r;
}

/*
 * What the write needs, got before the slot is given up: its partition,
 * O_EXCL so never one something has mounted, and an ESP that can be made
 * writable. Then the slot is marked not bootable: from here on the
 * bootloader will not start it, whatever is half-written there.
 */
static int unbootable(struct install *in)
{
	char path[80];
	int r, *fd = &in->flow.fd[PAYLOAD_ROOT];

	progress(in->p,
		 "verified: keel %s for %s, signed%s; installing into "
		 "slot %c",
		 in->m->version, in->m->board,
		 in->m->format >= 2 ? ", its verity tree matching" : "",
		 slot_name(in->slot));
	/*
	 * O_DIRECT: the slot is written and read back past the page cache,
	 * a copy and the write-back the less (a quarter of the cost under
	 * emulation, make bench), and the read back is of the disk itself.
	 * Everything goes in whole 4 KiB blocks from page-aligned buffers;
	 * a format 1 root of another length is written buffered.
	 */
	int direct =
		in->m->payload[PAYLOAD_ROOT].size % VT_BLOCK ? 0 : O_DIRECT;
	snprintf(path, sizeof(path), "/dev/%s", in->dev);
	if ((*fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC | direct)) < 0)
		return errmsg_errno(in->err, in->errlen, -errno, errno, "%s",
				    path);
	if ((r = esp_writable(true)) || (r = esp_writable(false)))
		return errmsg_errno(in->err, in->errlen, r, -r, "%s", ESP_DIR);
	pending_write(in->slot, in->m->version, false);
	in->bs = in->sl.bs;
	in->bs.tries[in->slot] = 0;
	in->bs.ok[in->slot] = false;
	in->bs.order[0] = slot_name(in->sl.booted);
	in->bs.order[1] = slot_name(in->slot);
	in->marked = true;
	if ((r = slots_write_state(&in->bs, in->err, in->errlen)))
		unlink(UPDATE_PENDING);
	return r;
}

/* A kernel file a delta keeps as the slot has it (delta.h). */
static bool kept(const struct install *in, int k)
{
	return in->flow.delta && delta_kept(in->flow.delta, k);
}

/* Kept: read in the write pass and the read back, never written. */
static int open_kept(struct install *in, int k)
{
	char path[128];
	int fd;

	slot_path(path, sizeof(path), in->slot, slot_file(k), "");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errmsg_errno(in->err, in->errlen, -errno, errno, "%s",
				    path);
	return fd;
}

/*
 * The sums no longer say what the slot holds once anything in it
 * changes (a delta keeps a kernel file by them, delta.c): gone first, on
 * the disk, so that a cut install leaves none behind.
 */
static int drop_sums(struct install *in)
{
	char path[128];
	int dir;

	slot_path(path, sizeof(path), in->slot, "sums", "");
	if (unlink(path) && errno != ENOENT)
		return errmsg_errno(in->err, in->errlen, -errno, errno, "%s",
				    path);
	snprintf(path, sizeof(path), ESP_DIR "/%c", slot_name(in->slot));
	if ((dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dir);
		close(dir);
	}
	return 0;
}

static int write_slot(struct install *in)
{
	char path[128];
	int r, fd;

	if ((r = esp_writable(true)))
		return errmsg_errno(in->err, in->errlen, r, -r,
				    "unable to make %s writable", ESP_DIR);
	in->esp_rw = true;
	snprintf(path, sizeof(path), ESP_DIR "/%c", slot_name(in->slot));
	mkdir(path, 0700);
	if ((r = drop_sums(in)))
		return r;
	for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++)
		if ((in->flow.fd[k] = kept(in, k)
					      ? open_kept(in, k)
					      : open_new(in->slot, k, in->err,
							 in->errlen)) < 0)
			return in->flow.fd[k];
	in->flow.p = in->p;
	in->flow.src = &in->src;
	in->flow.fault_half = "root-half";
	in->t = monotonic_ms();
	if ((r = stream_write(&in->flow, in->err, in->errlen)))
		return r;
	if (in->expect &&
	    (r = expect_whole(in->expect, &in->src, in->err, in->errlen)))
		return r;
	fd = in->flow.fd[PAYLOAD_ROOT];
	if (fsync(fd))
		return errmsg_errno(in->err, in->errlen, -errno, errno,
				    "syncing slot %c", slot_name(in->slot));
	source_close(&in->src);
	in->ms[0] = monotonic_ms() - in->t;
	return 0;
}

static int write_files(struct install *in)
{
	int r;

	for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++)
		if (!kept(in, k) && (r = rename_new(in->flow.fd[k], in->slot, k,
						    in->err, in->errlen)))
			return r;
	if ((r = write_slot_cfg(in->slot, in->m, in->err, in->errlen)))
		return r;
	sync();
	return 0;
}

static int read_back(struct install *in)
{
	int r;

	if (!in->c->verify_after_write)
		return 0;
	in->t = monotonic_ms();
	if ((r = stream_read_back(&in->flow, in->err, in->errlen)))
		return r;
	in->ms[1] = monotonic_ms() - in->t;
	return 0;
}

/* The commit point: one boot-state write. */
static int commit(struct install *in)
{
	int r;

	/*
	 * The kernel files are written and read back: closed now, as a
	 * file open for writing keeps the ESP from going read-only (EBUSY),
	 * which would leave it writable until the next boot.
	 */
	for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++)
		if (in->flow.fd[k] >= 0) {
			close(in->flow.fd[k]);
			in->flow.fd[k] = -1;
		}
	r = esp_writable(false);

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
	return IS_FAILED;
}

static enum install_state step(struct install *in)
{
	int r;

	switch (in->state) {
	case IS_CHECK:
		return then(in, check(in), IS_SIGNED);
	case IS_SIGNED:
		return then(in, check_signed(in), IS_TREE);
	case IS_TREE:
		r = read_tree(in);
		return then(in, r, in->flow.delta ? IS_SEED : IS_UNBOOTABLE);
	case IS_SEED:
		r = seed(in);
		if (r == -ENODATA && fall_back(in) == IS_SIGNED)
			return IS_SIGNED;
		return then(in, r, IS_UNBOOTABLE);
	case IS_UNBOOTABLE:
		return then(in, unbootable(in), IS_WRITE);
	case IS_WRITE:
		return then(in, write_slot(in), IS_FILES);
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
	/* a state's good end: on, not failed, not back to an earlier one */
	if (next != IS_FAILED && next > in->state && states[in->state].fault)
		fault_point(states[in->state].fault);
	long now = monotonic_ms();
	log_info("update: %s -> %s (%.2f s)", states[in->state].name,
		 states[next].name, (now - in->since) / 1e3);
	in->since = now;
	in->state = next;
	in->p->phase = states[next].name;
}

/* The slot's unfinished kernel files go; the old ones are gone already. */
static void drop_new(struct install *in)
{
	char path[128];

	for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++) {
		slot_path(path, sizeof(path), in->slot, slot_file(k), ".new");
		unlink(path);
	}
}

/* What a failure left, said once: in err, the status file and the log. */
static void failed(struct install *in)
{
	size_t n = strlen(in->err);

	if (!in->marked) {
		if (!strstr(in->err, "nothing written"))
			snprintf(in->err + n, in->errlen - n,
				 " (nothing written)");
	} else {
		if (in->esp_rw)
			drop_new(in);
		unlink(UPDATE_PENDING);
		snprintf(in->err + n, in->errlen - n,
			 " (slot %c left not bootable)", slot_name(in->slot));
		update_last("update to %s failed: %s; slot %c as it was",
			    in->m->version, in->err, slot_name(in->sl.booted));
	}
	if (in->p->status_file)
		status_write(in->p->status_file, "failed: %s", in->err);
}

static void cleanup(struct install *in)
{
	source_close(&in->src);
	if (in->state == IS_FAILED)
		failed(in);
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (in->flow.fd[k] >= 0)
			close(in->flow.fd[k]);
	if (in->esp_rw)
		esp_writable(false);
	delta_free(&in->delta);
	free(in->flow.tree_bytes);
}

int update_install(const struct imaged_conf *c, const char *source, bool force,
		   struct install_expect *expect, struct progress *p, char *err,
		   size_t errlen)
{
	static struct signed_part sp;
	static struct install in;
	long start = monotonic_ms();

	in = (struct install){ .c = c,
			       .force = force,
			       .expect = expect,
			       .p = p,
			       .err = err,
			       .errlen = errlen,
			       .sp = &sp,
			       .since = start };
	snprintf(in.source, sizeof(in.source), "%s", source);
	in.src.fd = -1;
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		in.flow.fd[k] = in.delta.part[k].seed_fd = -1;
	err[0] = '\0';
	p->phase = states[IS_CHECK].name;
	while (in.state != IS_DONE && in.state != IS_FAILED)
		set_state(&in, step(&in));
	cleanup(&in);
	if (in.state == IS_FAILED)
		return in.r;
	update_last("installed %s into slot %c; it boots next, with %d tries "
		    "to pass the health gate",
		    in.m->version, slot_name(in.slot), c->update_tries);
	progress(p,
		 "installed keel %s into slot %c; boots next (%.1f s: write "
		 "%.1f s, read back %.1f s)",
		 in.m->version, slot_name(in.slot),
		 (monotonic_ms() - start) / 1e3, in.ms[0] / 1e3,
		 in.ms[1] / 1e3);
	return 0;
}

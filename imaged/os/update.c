// SPDX-License-Identifier: MIT
#include "os/update.h"
#include "progress.h"
#include "os/release.h"
#include "os/fault.h"
#include "log.h"
#include "imaged_conf.h"
#include "os/bundle.h"
#include "clock.h"
#include "partition.h"
#include "os/slots.h"
#include "os/source.h"

#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define MiB(x) ((double)(x) / (1 << 20))

void update_last(const char *fmt, ...)
{
	char line[768];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	int n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S UTC: ", &tm);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	log_info("%s", line + n);
	mkdir("/var/lib/keel", 0755);
	mkdir(UPDATE_STATE_DIR, 0700);
	write_atomic(UPDATE_LAST, line, strlen(line), 0644);
}

int update_keys_load(uint8_t (*keys)[P256_POINT_LEN])
{
	DIR *d = opendir(UPDATE_KEYS_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < UPDATE_KEYS_MAX) {
		size_t l = strlen(e->d_name);
		char path[300];
		if (l < 6 || strcmp(e->d_name + l - 5, ".p256"))
			continue;
		snprintf(path, sizeof(path), UPDATE_KEYS_DIR "/%s", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		uint8_t extra;
		if (read(fd, keys[n], P256_POINT_LEN) == P256_POINT_LEN &&
		    read(fd, &extra, 1) == 0 && keys[n][0] == 0x04)
			n++;
		else
			log_warn("unable to use %s: not a raw P-256 public "
				 "key; ignored",
				 path);
		close(fd);
	}
	closedir(d);
	return n;
}

/* The bundle's signed part: header and manifest, then its signature. */
struct signed_part {
	struct bundle_header h;
	struct manifest m;
	size_t len; /* header + manifest */
	uint8_t bytes[BUNDLE_HEADER_SIZE + BUNDLE_MANIFEST_MAX +
		      BUNDLE_SIG_MAX];
	size_t sig_len;
};

static int read_signed(struct source *src, struct signed_part *sp, char *err,
		       size_t errlen)
{
	static uint8_t keys[UPDATE_KEYS_MAX][P256_POINT_LEN];
	uint8_t digest[32];
	br_sha256_context sha;
	char why[200];
	int r;

	if ((r = source_read(src, sp->bytes, BUNDLE_HEADER_SIZE)))
		goto cut;
	if ((r = bundle_header_parse(&sp->h, sp->bytes, BUNDLE_HEADER_SIZE, err,
				     errlen)))
		return r;
	sp->len = BUNDLE_HEADER_SIZE + sp->h.manifest_len;
	sp->sig_len = sp->h.sig_len;
	if ((r = source_read(src, sp->bytes + BUNDLE_HEADER_SIZE,
			     sp->h.manifest_len + sp->h.sig_len)))
		goto cut;
	/* nothing in the manifest is believed before the signature is */
	uint8_t head[BUNDLE_HEADER_SIZE];
	memcpy(head, sp->bytes, sizeof(head));
	memset(head + 12, 0, 4); /* signed with its own length zeroed */
	br_sha256_init(&sha);
	br_sha256_update(&sha, head, sizeof(head));
	br_sha256_update(&sha, sp->bytes + BUNDLE_HEADER_SIZE,
			 sp->h.manifest_len);
	br_sha256_out(&sha, digest);
	int nkeys = update_keys_load(keys);
	if ((r = signature_verify(digest, sp->bytes + sp->len, sp->sig_len,
				  (const uint8_t(*)[P256_POINT_LEN])keys, nkeys,
				  why, sizeof(why)))) {
		snprintf(err, errlen, "%s (keys in %s)", why, UPDATE_KEYS_DIR);
		return r;
	}
	return manifest_parse(
		&sp->m, (const char *)sp->bytes + BUNDLE_HEADER_SIZE,
		sp->h.manifest_len, sp->len + sp->sig_len, err, errlen);
cut:
	snprintf(err, errlen, "bundle ends inside its header or manifest: %s",
		 strerror(-r));
	return r;
}

/* Where each payload goes while it streams past, and its running hash. */
struct sink {
	int fd; /* -1: only hash */
	br_sha256_context sha;
	uint64_t done;
};

struct stream {
	struct progress *p;
	const char *phase;
	uint64_t total, done;
	int last_pct;
	const struct manifest *m;
	const char *fault_half; /* fault point halfway through the root */
	bool hash; /* check each payload's SHA-256 as it passes */
	long ms[3]; /* how long verify, write and read back took */
};

static void stream_progress(struct stream *st, uint64_t n)
{
	st->done += n;
	int pct = st->total ? (int)(st->done * 100 / st->total) : 100;
	if (pct / 10 != st->last_pct / 10 || st->last_pct < 0) {
		st->last_pct = pct;
		progress(st->p, "%s: %d%% (%.1f of %.1f MiB)", st->phase, pct,
			 MiB(st->done), MiB(st->total));
	}
}

/*
 * Read every payload from src in the order they lie in the bundle,
 * feeding each to its sink, and with st->hash check its SHA-256.
 */
static int stream_payloads(struct source *src, struct stream *st,
			   struct sink sinks[PAYLOAD_COUNT], char *err,
			   size_t errlen)
{
	const struct manifest *m = st->m;
	int order[PAYLOAD_COUNT] = { 0, 1, 2 }, r;
	uint8_t *buf = malloc(CHUNK);

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 1; i < PAYLOAD_COUNT; i++) /* by offset */
		for (int j = i;
		     j > 0 && m->payload[order[j]].offset <
				      m->payload[order[j - 1]].offset;
		     j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	st->last_pct = -1;
	for (int i = 0; i < PAYLOAD_COUNT; i++) {
		int k = order[i];
		const struct payload *pl = &m->payload[k];
		struct sink *sk = &sinks[k];
		bool halfway = false;

		if ((r = source_skip(src, pl->offset - src->pos))) {
			snprintf(err, errlen, "bundle ends before payload %s",
				 payload_name(k));
			goto out;
		}
		if (st->hash)
			br_sha256_init(&sk->sha);
		for (sk->done = 0; sk->done < pl->size;) {
			size_t n = pl->size - sk->done < CHUNK
					   ? pl->size - sk->done
					   : CHUNK;
			if ((r = source_read(src, buf, n))) {
				snprintf(err, errlen, "reading payload %s: %s",
					 payload_name(k),
					 r == -EPIPE ? "the bundle is cut short"
						     : strerror(-r));
				goto out;
			}
			if (st->hash)
				br_sha256_update(&sk->sha, buf, n);
			if (sk->fd >= 0 && (r = write_full(sk->fd, buf, n))) {
				snprintf(err, errlen, "writing payload %s: %s",
					 payload_name(k), strerror(-r));
				goto out;
			}
			sk->done += n;
			stream_progress(st, n);
			if (k == PAYLOAD_ROOT && st->fault_half && !halfway &&
			    sk->done >= pl->size / 2) {
				halfway = true;
				fault_point(st->fault_half);
			}
		}
		uint8_t got[32];
		if (!st->hash)
			continue;
		br_sha256_out(&sk->sha, got);
		if (memcmp(got, pl->sha256, 32)) {
			char want_hex[65], got_hex[65];
			sha256_hex(pl->sha256, want_hex);
			sha256_hex(got, got_hex);
			snprintf(err, errlen,
				 "payload %s is corrupt: sha256 %.16s..., the "
				 "signed manifest says %.16s...",
				 payload_name(k), got_hex, want_hex);
			r = -EBADMSG;
			goto out;
		}
	}
	r = 0;
out:
	free(buf);
	return r;
}

/* Hash size bytes of what is on disk now, past every cache we can drop. */
static int hash_back(int fd, uint64_t size, uint8_t out[32])
{
	br_sha256_context sha;
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;

	if (!buf)
		return -ENOMEM;
	ioctl(fd, BLKFLSBUF, 0); /* a block device: its buffer cache */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	br_sha256_init(&sha);
	while (off < size) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		ssize_t got = pread(fd, buf, n, off);
		if (got <= 0) {
			free(buf);
			return got < 0 ? -errno : -EIO;
		}
		br_sha256_update(&sha, buf, got);
		off += got;
	}
	br_sha256_out(&sha, out);
	free(buf);
	return 0;
}

static const char *const slot_files[PAYLOAD_COUNT] = {
	[PAYLOAD_KERNEL] = "vmlinuz",
	[PAYLOAD_INITRAMFS] = "initramfs.img",
};

static void slot_path(char *buf, size_t len, int slot, const char *name,
		      const char *suffix)
{
	snprintf(buf, len, ESP_DIR "/%c/%s%s", slot_name(slot), name, suffix);
}

static int pending_write(int slot, const char *version, bool committed)
{
	char text[160];

	mkdir("/var/lib/keel", 0755);
	mkdir(UPDATE_STATE_DIR, 0700);
	snprintf(text, sizeof(text), "slot=%c\nversion=%s\ncommitted=%d\n",
		 slot_name(slot), version, committed);
	return write_atomic(UPDATE_PENDING, text, strlen(text), 0644);
}

/* Checks that need no bundle bytes: which slot, and may we touch it. */
static int preflight(struct slots *sl, char *err, size_t errlen)
{
	int r = slots_read(sl, err, errlen);

	if (r)
		return r;
	if (sl->booted < 0) {
		snprintf(err, errlen,
			 "no keel.slot= on the kernel command line: which "
			 "slot is running is unknown, so none is written");
		return -ENXIO;
	}
	if (!sl->bs.ok[sl->booted]) {
		snprintf(err, errlen,
			 "slot %c is still on trial: an update waits until "
			 "it is marked good or rolled back",
			 slot_name(sl->booted));
		return -EBUSY;
	}
	return 0;
}

static int check_fit(const struct manifest *m, int slot, const char *dev,
		     char *err, size_t errlen)
{
	char path[128], text[32];
	struct statvfs vfs;
	uint64_t need = 0, have = 0;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", dev);
	if (read_text(path, text, sizeof(text)) < 0) {
		snprintf(err, errlen, "%s: size unknown", dev);
		return -EIO;
	}
	uint64_t part = strtoull(text, NULL, 10) * 512;
	if (m->payload[PAYLOAD_ROOT].size > part) {
		snprintf(err, errlen,
			 "root image (%.1f MiB) is bigger than slot %c's "
			 "partition (%.1f MiB)",
			 MiB(m->payload[PAYLOAD_ROOT].size), slot_name(slot),
			 MiB(part));
		return -EFBIG;
	}
	/* the slot's old kernel files go first, so their room counts */
	for (int k = PAYLOAD_KERNEL; k < PAYLOAD_COUNT; k++) {
		need += m->payload[k].size + 65536;
		slot_path(path, sizeof(path), slot, slot_files[k], "");
		if (!stat(path, &st))
			have += st.st_size;
	}
	if (statvfs(ESP_DIR, &vfs)) {
		snprintf(err, errlen, "%s: %s", ESP_DIR, strerror(errno));
		return -errno;
	}
	have += (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need > have) {
		snprintf(err, errlen,
			 "the ESP has %.1f MiB for slot %c's kernel files, "
			 "which need %.1f MiB",
			 MiB(have), slot_name(slot), MiB(need));
		return -ENOSPC;
	}
	return 0;
}

static int open_new(int slot, int k, char *err, size_t errlen)
{
	char path[128];
	slot_path(path, sizeof(path), slot, slot_files[k], ".new");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* Sync, put in place under the real name, and hash back from disk. */
static int finish_file(int fd, int slot, int k, const struct payload *pl,
		       char *err, size_t errlen)
{
	char tmp[128], path[128];
	uint8_t got[32];

	slot_path(tmp, sizeof(tmp), slot, slot_files[k], ".new");
	slot_path(path, sizeof(path), slot, slot_files[k], "");
	if (fsync(fd) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int r = hash_back(fd, pl->size, got);
	if (r || memcmp(got, pl->sha256, 32)) {
		snprintf(err, errlen, "%s reads back wrong%s%s", path,
			 r ? ": " : "", r ? strerror(-r) : "");
		return -EIO;
	}
	return 0;
}

static int write_slot_cfg(int slot, const struct manifest *m, char *err,
			  size_t errlen)
{
	char path[128], text[1024];

	/* grub.cfg sources this: the verity root hash and extra arguments */
	snprintf(
		text, sizeof(text),
		"set keel_verity=\"keel.verity=%s\"\nset keel_cmdline=\"%s\"\n",
		m->verity, m->cmdline);
	slot_path(path, sizeof(path), slot, "slot.cfg", "");
	int r = write_atomic(path, text, strlen(text), 0644);
	/* and boot.scr (U-Boot boards) imports this: name=value lines */
	if (!r) {
		snprintf(text, sizeof(text),
			 "keel_verity=keel.verity=%s\nkeel_cmdline=%s\n",
			 m->verity, m->cmdline);
		slot_path(path, sizeof(path), slot, "slot.env", "");
		r = write_atomic(path, text, strlen(text), 0644);
	}
	if (!r) {
		snprintf(text, sizeof(text), "%s\n", m->version);
		slot_path(path, sizeof(path), slot, "version", "");
		r = write_atomic(path, text, strlen(text), 0644);
	}
	if (r)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

/* The writing pass; the slot is already unbootable. */
static int write_slot(const struct imaged_conf *c, struct source *src,
		      struct stream *st, int slot, int root_fd, char *err,
		      size_t errlen)
{
	struct sink sinks[PAYLOAD_COUNT];
	char path[128];
	int r;

	for (int k = 0; k < PAYLOAD_COUNT; k++)
		sinks[k].fd = -1;
	sinks[PAYLOAD_ROOT].fd = root_fd;
	if ((r = esp_writable(true))) {
		snprintf(err, errlen, "unable to make %s writable: %s", ESP_DIR,
			 strerror(-r));
		goto out;
	}
	snprintf(path, sizeof(path), ESP_DIR "/%c", slot_name(slot));
	mkdir(path, 0700);
	for (int k = PAYLOAD_KERNEL; k < PAYLOAD_COUNT; k++) {
		slot_path(path, sizeof(path), slot, slot_files[k], "");
		unlink(path);
		if ((sinks[k].fd = open_new(slot, k, err, errlen)) < 0) {
			r = sinks[k].fd;
			goto out;
		}
	}
	/*
	 * No hashing on the way in: the verify pass checked the bundle, and
	 * the read back below checks what is on the disk, which also catches
	 * a source that changed in between. Hashing twice would halve the
	 * speed where SHA-256 is the bottleneck.
	 */
	st->phase = "write";
	st->done = 0;
	st->hash = false;
	st->fault_half = "root-half";
	long t = monotonic_ms();
	if ((r = stream_payloads(src, st, sinks, err, errlen)))
		goto out;
	if (fsync(sinks[PAYLOAD_ROOT].fd)) {
		r = -errno;
		snprintf(err, errlen, "syncing slot %c: %s", slot_name(slot),
			 strerror(errno));
		goto out;
	}
	fault_point("root-written");
	st->ms[1] = monotonic_ms() - t;
	t = monotonic_ms();

	progress(st->p, "read back: slot %c", slot_name(slot));
	for (int k = PAYLOAD_KERNEL; k < PAYLOAD_COUNT; k++)
		if ((r = finish_file(sinks[k].fd, slot, k, &st->m->payload[k],
				     err, errlen)))
			goto out;
	if ((r = write_slot_cfg(slot, st->m, err, errlen)))
		goto out;
	sync();
	fault_point("files-written");

	uint8_t got[32];
	const struct payload *root = &st->m->payload[PAYLOAD_ROOT];
	if ((r = hash_back(sinks[PAYLOAD_ROOT].fd, root->size, got)) ||
	    memcmp(got, root->sha256, 32)) {
		snprintf(err, errlen, "slot %c reads back wrong%s%s",
			 slot_name(slot), r ? ": " : "", r ? strerror(-r) : "");
		r = -EIO;
		goto out;
	}
	fault_point("readback");
	st->ms[2] = monotonic_ms() - t;
	(void)c;
out:
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (sinks[k].fd >= 0)
			close(sinks[k].fd);
	return r;
}

int update_install(const struct imaged_conf *c, const char *source, bool force,
		   struct progress *p, char *err, size_t errlen)
{
	static struct signed_part first, again;
	char board[BUNDLE_BOARD_MAX], running[BUNDLE_VERSION_MAX], dev[64];
	struct slots sl;
	struct source src;
	struct sink sinks[PAYLOAD_COUNT];
	int r;

	if ((r = preflight(&sl, err, errlen)))
		return r;
	int slot = !sl.booted;
	if (os_release_get("VARIANT_ID", board, sizeof(board)) ||
	    os_release_get("VERSION_ID", running, sizeof(running))) {
		snprintf(err, errlen, "%s has no VARIANT_ID or VERSION_ID",
			 OS_RELEASE);
		return -ENOENT;
	}

	/* pass 1: believe nothing, write nothing */
	progress(p, "verify: %s", source);
	if ((r = source_open(&src, source, err, errlen)))
		goto refuse;
	if ((r = read_signed(&src, &first, err, errlen)))
		goto refuse;
	const struct manifest *m = &first.m;
	if (strcmp(m->board, board)) {
		snprintf(err, errlen,
			 "bundle is for board %s; this is a %s (nothing "
			 "written)",
			 m->board, board);
		r = -EINVAL;
		goto refuse;
	}
	if (!force && version_compare(m->version, running) <= 0) {
		snprintf(err, errlen,
			 "bundle version %s is not newer than the running %s "
			 "(--force installs it anyway)",
			 m->version, running);
		r = -EALREADY;
		goto refuse;
	}
	char spec[32];
	snprintf(spec, sizeof(spec), "PARTLABEL=root-%c", slot_name(slot));
	if ((r = partition_find("/sys/class/block", spec, dev, sizeof(dev)))) {
		snprintf(err, errlen, "no partition %s: %s", spec,
			 strerror(-r));
		goto refuse;
	}
	if ((r = check_fit(m, slot, dev, err, errlen)))
		goto refuse;
	struct stream st = { .p = p, .phase = "verify", .m = m, .hash = true };
	long t = monotonic_ms();
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		sinks[k].fd = -1;
		st.total += m->payload[k].size;
	}
	if ((r = stream_payloads(&src, &st, sinks, err, errlen)))
		goto refuse;
	source_close(&src);
	st.ms[0] = monotonic_ms() - t;
	progress(p, "verified: keel %s for %s, signed; installing into slot %c",
		 m->version, m->board, slot_name(slot));
	fault_point("verified");

	/* pass 2: the same bytes again, written as they stream */
	if ((r = source_open(&src, source, err, errlen)))
		return r;
	if ((r = read_signed(&src, &again, err, errlen)))
		goto fail_open;
	if (again.len != first.len ||
	    memcmp(again.bytes, first.bytes, first.len + first.sig_len)) {
		snprintf(err, errlen, "the bundle changed while installing");
		r = -EBADMSG;
		goto fail_open;
	}
	/*
	 * What the write needs, got before the slot is given up: its
	 * partition, O_EXCL so never one something has mounted, and a
	 * writable ESP.
	 */
	char path[80];
	snprintf(path, sizeof(path), "/dev/%s", dev);
	int root_fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (root_fd < 0 || (r = esp_writable(true)) ||
	    (r = esp_writable(false))) {
		if (root_fd < 0)
			r = -errno;
		snprintf(err, errlen, "%s: %s (nothing written)",
			 root_fd < 0 ? path : ESP_DIR, strerror(-r));
		if (root_fd >= 0)
			close(root_fd);
		goto fail_open;
	}
	pending_write(slot, m->version, false);
	struct boot_state bs = sl.bs;
	bs.tries[slot] = 0;
	bs.ok[slot] = false;
	bs.order[0] = slot_name(sl.booted);
	bs.order[1] = slot_name(slot);
	if ((r = slots_write_state(&bs, err, errlen))) {
		unlink(UPDATE_PENDING);
		close(root_fd);
		goto fail_open;
	}
	fault_point("unbootable");

	r = write_slot(c, &src, &st, slot, root_fd, err, errlen);
	source_close(&src);
	int w = esp_writable(false);
	if (r)
		goto fail;
	if (w)
		log_err("unable to make %s read-only again: %s", ESP_DIR,
			strerror(-w));

	/* the commit point: one boot-state write */
	bs.order[0] = slot_name(slot);
	bs.order[1] = slot_name(sl.booted);
	bs.tries[slot] = c->update_tries;
	if ((r = slots_write_state(&bs, err, errlen)))
		goto fail;
	pending_write(slot, m->version, true);
	fault_point("committed");
	update_last("installed %s into slot %c; it boots next, with %d tries "
		    "to pass the health gate",
		    m->version, slot_name(slot), c->update_tries);
	progress(p,
		 "installed keel %s into slot %c; boots next (verify %.1f s, "
		 "write %.1f s, read back %.1f s)",
		 m->version, slot_name(slot), st.ms[0] / 1e3, st.ms[1] / 1e3,
		 st.ms[2] / 1e3);
	return 0;

refuse:
	source_close(&src);
	if (!strstr(err, "nothing written"))
		snprintf(err + strlen(err), errlen - strlen(err),
			 " (nothing written)");
	return r;
fail_open:
	source_close(&src);
	return r;
fail:
	unlink(UPDATE_PENDING);
	update_last("update to %s failed: %s; slot %c left not bootable, slot "
		    "%c as it was",
		    m->version, err, slot_name(slot), slot_name(sl.booted));
	return r;
}

int update_rollback(char *msg, size_t len)
{
	struct slots sl;
	int r = slots_read(&sl, msg, len);

	if (r)
		return r;
	if (sl.booted < 0) {
		snprintf(msg, len, "the running slot is unknown");
		return -ENXIO;
	}
	int other = !sl.booted;
	if (!sl.bs.ok[other]) {
		snprintf(msg, len,
			 "slot %c is not marked good: nothing to roll back to",
			 slot_name(other));
		return -ENOENT;
	}
	struct boot_state bs = sl.bs;
	bs.order[0] = slot_name(other);
	bs.order[1] = slot_name(sl.booted);
	if ((r = slots_write_state(&bs, msg, len)))
		return r;
	update_last("rollback asked for: slot %c (%s) boots next",
		    slot_name(other),
		    sl.version[other][0] ? sl.version[other] : "?");
	/* the version left behind is not to come back by itself */
	if (sl.version[sl.booted][0])
		write_atomic(UPDATE_REJECTED, sl.version[sl.booted],
			     strlen(sl.version[sl.booted]), 0644);
	snprintf(msg, len, "slot %c (%s) boots next", slot_name(other),
		 sl.version[other][0] ? sl.version[other] : "?");
	return 0;
}

void update_status(char *buf, size_t len)
{
	struct slots sl;
	char err[256], text[768];
	size_t used;

	if (slots_read(&sl, err, sizeof(err))) {
		snprintf(buf, len, "boot state: %s\n", err);
	} else {
		snprintf(buf, len, "booted: slot %c\n",
			 sl.booted < 0 ? '?' : slot_name(sl.booted));
		used = strlen(buf);
		slots_describe(&sl, buf + used, len - used);
	}
	const struct {
		const char *label, *path;
	} lines[] = {
		{ "health gate", GATE_STATUS_FILE },
		{ "update", UPDATE_STATUS_FILE },
		{ "channel", CHANNEL_STATUS_FILE },
		{ "last", UPDATE_LAST },
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (read_text(lines[i].path, text, sizeof(text)) <= 0)
			continue;
		text[strcspn(text, "\n")] = '\0';
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s: %s\n", lines[i].label,
			 text);
	}
}

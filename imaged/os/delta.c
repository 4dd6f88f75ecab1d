// SPDX-License-Identifier: MIT
#include "os/delta.h"
#include "errmsg.h"
#include "file.h"
#include "imaged.h"
#include "log.h"
#include "os/slotfiles.h"
#include "os/slots.h"
#include "os/stream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB(x) ((double)(x) / (1 << 20))
/* the name init gives the running root's dm-verity device (stage1.c) */
#define ROOT_DM_NAME "keel-root"

/* A file's or block device's size. */
static int fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	*size = st.st_size;
	return 0;
}

void delta_init(struct delta *d, const struct manifest *m, int booted)
{
	memset(d, 0, sizeof(*d));
	d->m = m;
	d->booted = booted;
	for (int k = 0; k < PAYLOAD_COUNT; k++)
		d->part[k].seed_fd = -1;
}

void delta_free(struct delta *d)
{
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		struct delta_part *p = &d->part[k];
		free(p->index);
		seed_free(&p->seed);
		if (p->seed_fd >= 0)
			close(p->seed_fd);
		p->index = NULL;
		p->seed_fd = -1;
	}
	fetchahead_stop(&d->fa);
	castore_close(&d->store);
	free(d->chunk);
	free(d->wants);
	d->chunk = NULL;
	d->wants = NULL;
}

static int index_read(struct delta *d, struct source *src, int k, char *err,
		      size_t errlen)
{
	const struct payload *pl = &d->m->payload[k];
	struct delta_part *p = &d->part[k];
	uint8_t got[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	int r;

	if (!(p->index = malloc(pl->index_size)))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if ((r = source_skip(src, pl->offset - src->pos)) ||
	    (r = source_read(src, p->index, pl->index_size)))
		return errmsg(err, errlen, r, "reading the %s index: %s",
			      payload_name(k), src->err);
	sha256_init(&sha);
	sha256_update(&sha, pl->index_size, p->index);
	sha256_digest(&sha, sizeof(got), got);
	if (memcmp(got, pl->index_sha256, sizeof(got)))
		return errmsg(err, errlen, -EBADMSG,
			      "the %s index is corrupt: its sha256 is not the "
			      "signed manifest's",
			      payload_name(k));
	if ((r = caindex_parse(&p->ix, p->index, pl->index_size, err, errlen)))
		return errmsg_prefix(err, errlen, r,
				     "the %s index: ", payload_name(k));
	if (p->ix.size != pl->size)
		return errmsg(err, errlen, -EINVAL,
			      "the %s index covers %llu bytes, the payload is "
			      "%llu",
			      payload_name(k), (unsigned long long)p->ix.size,
			      (unsigned long long)pl->size);
	return 0;
}

int delta_read_indexes(struct delta *d, struct source *src, char *err,
		       size_t errlen)
{
	int order[PAYLOAD_COUNT], n = 0, r;

	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (d->m->payload[k].chunked)
			order[n++] = k;
	for (int i = 1; i < n; i++) /* by offset: the source reads forward */
		for (int j = i;
		     j > 0 && d->m->payload[order[j]].offset <
				      d->m->payload[order[j - 1]].offset;
		     j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		if ((r = index_read(d, src, order[i], err, errlen)))
			return r;
	return 0;
}

/* The running root's dm-verity device: what this host runs, verified. */
static int root_device(char *dev, size_t len)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *e;
	char path[300], name[64];
	int r = -ENODEV;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) && r) {
		if (strncmp(e->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name",
			 e->d_name);
		if (read_text(path, name, sizeof(name)) <= 0)
			continue;
		name[strcspn(name, "\n")] = '\0';
		if (!strcmp(name, ROOT_DM_NAME)) {
			snprintf(dev, len, "/dev/%.32s", e->d_name);
			r = 0;
		}
	}
	closedir(dir);
	return r;
}

/*
 * The root's seed: the running root as dm-verity serves it, so a block
 * this host holds damaged is a read error, never a wrong chunk. A seed
 * that cannot be read whole is no seed (-ENODATA).
 */
static int seed_root(struct delta *d, char *err, size_t errlen)
{
	struct delta_part *p = &d->part[PAYLOAD_ROOT];
	char dev[64], why[256];
	uint64_t size = 0;
	int r;

	if ((r = root_device(dev, sizeof(dev))))
		return errmsg(err, errlen, -ENODATA,
			      "no %s device to seed from: %s", ROOT_DM_NAME,
			      strerror(-r));
	p->seed_fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (p->seed_fd < 0 || fd_size(p->seed_fd, &size))
		return errmsg_errno(err, errlen, -ENODATA, errno, "%s", dev);
	if ((r = seed_init(&p->seed, &p->ix)))
		return errmsg(err, errlen, r, "out of memory");
	if ((r = seed_scan(&p->seed, p->seed_fd, size, why, sizeof(why))))
		return errmsg(err, errlen, -ENODATA,
			      "slot %c's root cannot be read whole (%s)",
			      slot_name(d->booted), why);
	d->seeded += p->seed.found_bytes;
	return 0;
}

/* The running slot's file is the payload: same size and same sha256. */
static bool same_file(int fd, const struct payload *pl)
{
	uint8_t buf[65536], got[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	uint64_t size;
	ssize_t n;

	if (fd_size(fd, &size) || size != pl->size)
		return false;
	sha256_init(&sha);
	for (uint64_t at = 0; (n = pread(fd, buf, sizeof(buf), at)) > 0;
	     at += n)
		sha256_update(&sha, n, buf);
	sha256_digest(&sha, sizeof(got), got);
	return n == 0 && !memcmp(got, pl->sha256, sizeof(got));
}

/*
 * The slot being written has the file already (an A/B pair two versions
 * apart often shares its kernel): kept, not written, which is most of
 * the write (the kernel files are 15 MB of 18 on x86_64). Its sums are
 * believed only so far as to pick it: every byte is still read and
 * hashed against the signed manifest in the write pass, and install.c
 * removes the slot's sums before anything of it changes, so a failed or
 * cut install leaves none to pick it by again.
 */
static bool keep_file(struct delta *d, int k)
{
	struct delta_part *p = &d->part[k];
	const struct payload *pl = &d->m->payload[k];
	int slot = !d->booted;
	char path[128];
	uint64_t size;

	if (slot_sum_matches(slot, k, pl) != 1)
		return false;
	slot_path(path, sizeof(path), slot, slot_file(k), "");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fd_size(fd, &size) || size != pl->size) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	p->seed_fd = fd;
	p->copy = p->keep = true;
	p->from = slot;
	d->seeded += pl->size;
	log_info("slot %c has the new %s: kept, not written", slot_name(slot),
		 payload_name(k));
	return true;
}

bool delta_kept(const struct delta *d, int k)
{
	return d->part[k].keep;
}

/*
 * A kernel file: kept where the slot being written has it, copied when
 * the running slot has it as it is, else assembled with the running one
 * as its seed (a new kernel build shares little, an initramfs with one
 * module changed most). No seed is no error: every chunk then comes from
 * the store.
 */
static int seed_file(struct delta *d, int k, char *err, size_t errlen)
{
	struct delta_part *p = &d->part[k];
	const struct payload *pl = &d->m->payload[k];
	char path[128], why[256];
	uint64_t size;
	int r;

	if (keep_file(d, k))
		return 0;
	slot_path(path, sizeof(path), d->booted, slot_file(k), "");
	if ((r = seed_init(&p->seed, &p->ix)))
		return errmsg(err, errlen, r, "out of memory");
	p->seed_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->seed_fd < 0)
		return 0;
	/* the slot's sums say (the copy is hashed as it goes all the same) */
	r = slot_sum_matches(d->booted, k, pl);
	if (r == 1 || (r < 0 && same_file(p->seed_fd, pl))) {
		p->copy = true;
		p->from = d->booted;
		d->seeded += pl->size;
		return 0;
	}
	if (fd_size(p->seed_fd, &size) ||
	    seed_scan(&p->seed, p->seed_fd, size, why, sizeof(why)))
		log_warn("unable to seed the %s from %s; its chunks come "
			 "from the store",
			 payload_name(k), path);
	d->seeded += p->seed.found_bytes;
	return 0;
}

int delta_seed(struct delta *d, const char *spec, struct stall *stall,
	       char *err, size_t errlen)
{
	char store[HTTP_PATH_MAX + HTTP_HOST_MAX];
	size_t max = 0;
	int r;

	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		if (!d->m->payload[k].chunked)
			continue;
		r = k == PAYLOAD_ROOT ? seed_root(d, err, errlen)
				      : seed_file(d, k, err, errlen);
		if (r)
			return r;
		if (d->part[k].ix.max > max)
			max = d->part[k].ix.max;
	}
	d->max = max;
	if (!(d->chunk = malloc(max)))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if (source_resolve(spec, d->m->store, store, sizeof(store)))
		return errmsg(err, errlen, -ENAMETOOLONG, "store URL too long");
	return castore_open(&d->store, store, stall, err, errlen);
}

/* The running file (or the one kept) as it is. */
static int copy_part(struct flow *f, struct pipeline *pl, int k, char *err,
		     size_t errlen)
{
	const struct payload *p = &f->m->payload[k];
	char path[128];
	int fd = f->delta->part[k].seed_fd;

	/* past the page cache where the ESP allows (a copy the less) */
	slot_path(path, sizeof(path), f->delta->part[k].from, slot_file(k), "");
	int direct = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	for (uint64_t off = 0; off < p->size;) {
		struct pipe_buf *b = pipe_take(pl);
		if (!b) {
			if (direct >= 0)
				close(direct);
			return -ECANCELED;
		}
		size_t want =
			p->size - off < FLOW_BUF ? p->size - off : FLOW_BUF;
		/* (a direct read is of whole blocks; the file's end stops it) */
		ssize_t n = direct < 0
				    ? -1
				    : pread(direct, b->data,
					    (want + 4095) / 4096 * 4096, off);
		if (n < (ssize_t)want)
			n = pread(fd, b->data, want, off);
		if (n < (ssize_t)want) {
			if (direct >= 0)
				close(direct);
			return errmsg_errno(
				err, errlen, -EIO, n < 0 ? errno : 0,
				"reading the %s %s",
				f->delta->part[k].keep ? "kept" : "running",
				payload_name(k));
		}
		n = want;
		b->kind = k;
		b->off = off;
		b->len = n;
		off += n;
		pipe_send(pl, b);
	}
	if (direct >= 0)
		close(direct);
	return 0;
}

/* Chunk by chunk: from this host where it has it, else from the store. */
static int assemble(struct flow *f, struct pipeline *pl, int k, char *err,
		    size_t errlen)
{
	struct delta *d = f->delta;
	struct delta_part *p = &d->part[k];
	struct pipe_buf *b = NULL;
	uint64_t off = 0;
	int r;

	for (uint64_t i = 0; i < p->ix.chunks; i++) {
		uint64_t start, len, at = seed_find(&p->seed, i);
		const uint8_t *id;
		caindex_chunk(&p->ix, i, &start, &len, &id);
		if (at == UINT64_MAX)
			r = fetchahead_take(&d->fa, d->chunk, err, errlen);
		else if (pread(p->seed_fd, d->chunk, len, at) != (ssize_t)len)
			r = errmsg_errno(err, errlen, -EIO, errno,
					 "reading the running %s",
					 payload_name(k));
		else
			r = 0;
		if (!r)
			r = flow_emit(pl, &b, k, d->chunk, len, &off);
		if (r)
			return r;
	}
	return flow_flush(pl, &b);
}

/* Assembled, not copied: its chunks run through seed or store. */
static bool assembled(const struct delta *d, int k)
{
	return d->m->payload[k].chunked && !d->part[k].copy;
}

/* What the store must give, in the order assemble() asks for it. */
static int list_wants(struct delta *d, char *err, size_t errlen)
{
	size_t n = 0;

	for (int k = 0; k < PAYLOAD_COUNT; k++)
		if (assembled(d, k))
			n += d->part[k].ix.chunks;
	if (!(d->wants = calloc(n ? n : 1, sizeof(*d->wants))))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	for (int k = 0; k < PAYLOAD_COUNT; k++) {
		const struct delta_part *p = &d->part[k];
		for (uint64_t i = 0; assembled(d, k) && i < p->ix.chunks; i++) {
			uint64_t start, len;
			const uint8_t *id;
			caindex_chunk(&p->ix, i, &start, &len, &id);
			if (seed_find(&p->seed, i) == UINT64_MAX)
				d->wants[d->nwants++] =
					(struct fetch_want){ id, len };
		}
	}
	return 0;
}

int delta_produce(void *ctx, struct pipeline *pl, char *err, size_t errlen)
{
	struct flow *f = ctx;
	struct delta *d = f->delta;
	int order[PAYLOAD_COUNT], n = stream_order(f->m, order), r;

	if ((r = list_wants(d, err, errlen)) ||
	    (r = fetchahead_start(&d->fa, &d->store, d->wants, d->nwants,
				  d->max, err, errlen)))
		return r;
	/* what this host has first, while the store's chunks come in */
	for (int k = 0; k < PAYLOAD_COUNT && !r; k++)
		if (f->m->payload[k].chunked && d->part[k].copy)
			r = copy_part(f, pl, k, err, errlen);
	for (int k = 0; k < PAYLOAD_COUNT && !r; k++)
		if (assembled(d, k))
			r = assemble(f, pl, k, err, errlen);
	for (int i = 0; i < n && !r; i++)
		if (!f->m->payload[order[i]].chunked)
			r = flow_from_source(f, pl, order[i], err, errlen);
	fetchahead_stop(&d->fa);
	return r;
}

void delta_describe(const struct delta *d, char *buf, size_t len)
{
	uint64_t fetched = __atomic_load_n(&d->store.fetched, __ATOMIC_RELAXED);
	uint64_t chunks = __atomic_load_n(&d->store.chunks, __ATOMIC_RELAXED);

	snprintf(buf, len, "; %.2f MiB fetched in %llu chunks, %.1f MiB here",
		 MiB(fetched), (unsigned long long)chunks, MiB(d->seeded));
}

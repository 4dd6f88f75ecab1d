// SPDX-License-Identifier: MIT
/*
 * Growing the data partition: the GPT is rewritten in place on the disk
 * we booted from, so every step leaves a table the kernel and firmware
 * accept whatever moment the power goes:
 *
 *   1. new backup entry array + backup header at the disk's end, fsync.
 *      Nothing points at them yet: a cut leaves the old table as it was.
 *   2. primary header -> new size, new backup, and the entry array just
 *      written at the disk's end, fsync. One block: this is the commit.
 *   3. new primary entry array at its home (LBA 2), fsync. Nothing
 *      points there now, so a torn write there harms no one.
 *   4. primary header -> its home array, fsync. One block again.
 *   5. the protective MBR's size, when it is a pure protective MBR.
 *
 * Writing the primary array in place and then its header (the obvious
 * order) has a moment where the header's array CRC does not match: Linux
 * then ignores the whole disk unless booted with "gpt", so a cut there
 * would lose the root partition too. Step 2 avoids that moment by
 * pointing the primary header at the backup's array for a while.
 *
 * A later boot finds one of: the old table (2 not reached: start over),
 * a primary using the array at the disk's end (finish 3-4), or the grown
 * table (check the backup, rewrite it if stale; fix the MBR). No heap:
 * the buffers are static, sized for 128 entries of 128 bytes.
 */
#include "grow.h"
#include "errmsg.h"
#include "file.h"
#include "gpt.h"
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Where the primary entry array lives in every table we know of. */
#define PRIMARY_ENTRIES_LBA 2

static uint8_t blk[GPT_LBA_SIZE_MAX];
static uint8_t ents[GPT_ENTRIES_MAX_BYTES];
static uint8_t alt_ents[GPT_ENTRIES_MAX_BYTES];

struct disk {
	int fd;
	uint32_t lba_size;
	uint64_t lbas;
	const char *name; /* for messages */
};

static int io_lbas(const struct disk *d, bool write, uint64_t lba, uint64_t n,
		   void *buf)
{
	size_t len = n * d->lba_size, done = 0;
	off_t off = (off_t)(lba * d->lba_size);

	while (done < len) {
		ssize_t r = write ? pwrite(d->fd, (char *)buf + done,
					   len - done, off + done)
				  : pread(d->fd, (char *)buf + done, len - done,
					  off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* the disk ends before its table */
		done += r;
	}
	return 0;
}

static int sync_disk(const struct disk *d)
{
	return fsync(d->fd) ? -errno : 0;
}

/* Write n blocks at lba and fsync; msg names what on error. */
static int put(const struct disk *d, uint64_t lba, uint64_t n, const void *buf,
	       const char *what, char *msg, size_t msglen)
{
	int r = io_lbas(d, true, lba, n, (void *)buf);

	if (!r)
		r = sync_disk(d);
	if (r)
		return errmsg_errno(msg, msglen, r, -r,
				    "unable to write the %s at LBA %llu", what,
				    (unsigned long long)lba);
	return 0;
}

static uint64_t mib(uint64_t first, uint64_t last, uint32_t lba_size)
{
	return ((last - first + 1) * lba_size) >> 20;
}

/*
 * Encode h into blk and check it as a reader would: a bug here must not
 * reach the disk.
 */
static int encode(const struct disk *d, const struct gpt_header *h, char *msg,
		  size_t msglen)
{
	struct gpt_header back;
	char why[160];
	int r;

	gpt_header_write(h, blk, d->lba_size);
	r = gpt_header_parse(blk, d->lba_size, h->my_lba, d->lbas, &back, why,
			     sizeof(why));
	if (r)
		return errmsg(msg, msglen, r,
			      "the new GPT header does not check: %s", why);
	return 0;
}

/* The test hook: a power cut after the named step. */
static int stopped(const struct disk *d, const char *step, char *msg,
		   size_t msglen)
{
	return errmsg(msg, msglen, -EINTR,
		      "growing %s: stopped after writing the %s", d->name,
		      step);
}

/* Steps 3 and 4: the primary array back home, then its header. */
static int finish(const struct disk *d, const struct gpt_header *primary,
		  enum grow_stop stop, char *msg, size_t msglen)
{
	uint64_t eb = gpt_entries_blocks(primary, d->lba_size);
	int r;

	r = put(d, primary->entries_lba, eb, ents, "primary GPT entries", msg,
		msglen);
	if (r)
		return r;
	if (stop == GROW_STOP_ENTRIES)
		return stopped(d, "primary entries", msg, msglen);
	r = encode(d, primary, msg, msglen);
	if (!r)
		r = put(d, 1, 1, blk, "primary GPT header", msg, msglen);
	if (!r && stop == GROW_STOP_PRIMARY)
		return stopped(d, "primary header", msg, msglen);
	return r;
}

/* Steps 1 to 4, for a plan from gpt_plan_grow (ents already grown). */
static int commit(const struct disk *d, const struct gpt_grown *g,
		  enum grow_stop stop, char *msg, size_t msglen)
{
	uint64_t eb = gpt_entries_blocks(&g->primary, d->lba_size);
	struct gpt_header sw;
	char why[160];
	int r;

	r = gpt_entries_check(&g->primary, ents, eb * d->lba_size, why,
			      sizeof(why));
	if (r)
		return errmsg(msg, msglen, r,
			      "the new GPT entries do not check: %s", why);
	r = put(d, g->backup.entries_lba, eb, ents, "backup GPT entries", msg,
		msglen);
	if (r)
		return r;
	r = encode(d, &g->backup, msg, msglen);
	if (!r)
		r = put(d, g->backup.my_lba, 1, blk, "backup GPT header", msg,
			msglen);
	if (r)
		return r;
	if (stop == GROW_STOP_BACKUP)
		return stopped(d, "backup table", msg, msglen);

	sw = g->primary;
	sw.entries_lba = g->backup.entries_lba;
	r = encode(d, &sw, msg, msglen);
	if (!r)
		r = put(d, 1, 1, blk, "primary GPT header", msg, msglen);
	if (r)
		return r;
	if (stop == GROW_STOP_SWITCH)
		return stopped(d, "primary header (switch)", msg, msglen);
	return finish(d, &g->primary, stop, msg, msglen);
}

/*
 * The backup of a table that already spans the disk: 0 when it matches
 * the primary, 1 when it did not and was rewritten (why says what was
 * wrong), -errno when it could not be.
 */
static int check_backup(const struct disk *d, const struct gpt_header *p,
			char *why, size_t whylen, char *msg, size_t msglen)
{
	uint64_t eb = gpt_entries_blocks(p, d->lba_size);
	struct gpt_header want, b;
	char err[160];
	int r;

	if (p->alternate_lba != d->lbas - 1)
		return 0; /* not where we put backups: not ours to judge */
	gpt_header_backup(p, d->lba_size, d->lbas, &want);
	if (want.entries_lba <= p->last_usable_lba)
		return 0; /* no room for our layout: leave it */

	r = io_lbas(d, false, p->alternate_lba, 1, blk);
	if (r)
		snprintf(why, whylen, "unreadable: %s", strerror(-r));
	else if (gpt_header_parse(blk, d->lba_size, p->alternate_lba, d->lbas,
				  &b, err, sizeof(err)))
		snprintf(why, whylen, "%s", err);
	else if (b.alternate_lba != p->my_lba ||
		 b.first_usable_lba != p->first_usable_lba ||
		 b.last_usable_lba != p->last_usable_lba ||
		 memcmp(b.disk_guid, p->disk_guid, sizeof(b.disk_guid)) ||
		 b.num_entries != p->num_entries ||
		 b.entry_size != p->entry_size ||
		 b.entries_crc != p->entries_crc)
		snprintf(why, whylen, "its header differs from the primary");
	else if ((r = io_lbas(d, false, b.entries_lba, eb, alt_ents)))
		snprintf(why, whylen, "entries unreadable: %s", strerror(-r));
	else if (memcmp(alt_ents, ents, (size_t)p->num_entries * p->entry_size))
		snprintf(why, whylen, "its entries differ from the primary's");
	else
		return 0;

	r = put(d, want.entries_lba, eb, ents, "backup GPT entries", msg,
		msglen);
	if (!r)
		r = encode(d, &want, msg, msglen);
	if (!r)
		r = put(d, want.my_lba, 1, blk, "backup GPT header", msg,
			msglen);
	return r ? r : 1;
}

/* The protective MBR follows the table; cosmetic, so never an error. */
static void fit_pmbr(const struct disk *d, char *note, size_t len)
{
	char msg[160];
	int r;

	note[0] = '\0';
	r = io_lbas(d, false, 0, 1, blk);
	if (r || !gpt_pmbr_fit(blk, d->lbas))
		return;
	r = put(d, 0, 1, blk, "protective MBR", msg, sizeof(msg));
	if (r)
		snprintf(note, len, "; protective MBR not updated: %s",
			 strerror(-r));
	else
		snprintf(note, len, "; updated the protective MBR");
}

/*
 * Read and check the primary table (header into p, entries into ents) and
 * the entry of the partition to grow (into e).
 */
static int read_table(const struct disk *d, const struct grow_req *req,
		      struct gpt_header *p, struct gpt_entry *e, char *msg,
		      size_t msglen)
{
	char why[160];
	uint64_t eb;
	int r;

	r = io_lbas(d, false, 1, 1, blk);
	if (r)
		return errmsg_errno(msg, msglen, r, -r,
				    "unable to read the GPT header");
	r = gpt_header_parse(blk, d->lba_size, 1, d->lbas, p, why, sizeof(why));
	if (r)
		return errmsg(msg, msglen, r, "primary GPT: %s", why);
	eb = gpt_entries_blocks(p, d->lba_size);
	r = io_lbas(d, false, p->entries_lba, eb, ents);
	if (r)
		return errmsg_errno(msg, msglen, r, -r,
				    "unable to read the GPT entries");
	r = gpt_entries_check(p, ents, eb * d->lba_size, why, sizeof(why));
	if (r)
		return errmsg(msg, msglen, r, "primary GPT: %s", why);
	if (req->partno < 1 || req->partno > p->num_entries)
		return errmsg(msg, msglen, -ENOENT,
			      "the GPT has no partition %u", req->partno);
	gpt_entry_get(p, ents, req->partno - 1, e);
	if (!gpt_entry_used(e))
		return errmsg(msg, msglen, -ENOENT,
			      "GPT entry %u is not in use", req->partno);
	if (req->start && e->first_lba != req->start)
		return errmsg(msg, msglen, -EINVAL,
			      "GPT entry %u starts at LBA %llu, the kernel's "
			      "partition at LBA %llu",
			      req->partno, (unsigned long long)e->first_lba,
			      (unsigned long long)req->start);
	return 0;
}

/*
 * Bring the table p (just read) to the grown state: finish a cut commit
 * (2), grow and commit (1), or check the backup of a table that is grown
 * already (0; fix says what was repaired). p becomes the table on disk.
 */
static int grow_or_check(const struct disk *d, const struct grow_req *req,
			 struct gpt_header *p, struct grow_result *res,
			 char *fix, size_t fixlen, char *msg, size_t msglen)
{
	uint64_t eb = gpt_entries_blocks(p, d->lba_size);
	struct gpt_grown g;
	char why[160];
	int r;

	if (p->entries_lba > p->last_usable_lba) {
		/* Cut after the commit at an earlier boot: steps 3 and 4. */
		if (PRIMARY_ENTRIES_LBA + eb > p->first_usable_lba)
			return errmsg(msg, msglen, -EINVAL,
				      "the primary GPT entries are at LBA %llu "
				      "and there is no room for them at LBA %d",
				      (unsigned long long)p->entries_lba,
				      PRIMARY_ENTRIES_LBA);
		p->entries_lba = PRIMARY_ENTRIES_LBA;
		r = finish(d, p, req->stop, msg, msglen);
		return r ? r : 2;
	}
	r = gpt_plan_grow(p, ents, req->partno - 1, d->lba_size, d->lbas, &g,
			  why, sizeof(why));
	if (r < 0)
		return errmsg(msg, msglen, r, "%s", why);
	if (r) {
		r = commit(d, &g, req->stop, msg, msglen);
		if (r)
			return r;
		*p = g.primary;
		res->last_lba = g.new_last_lba;
		return 1;
	}
	r = check_backup(d, p, why, sizeof(why), msg, msglen);
	if (r > 0)
		snprintf(fix, fixlen, "; rewrote the backup GPT (%s)", why);
	return r < 0 ? r : 0;
}

int grow_table(int fd, const struct grow_req *req, struct grow_result *res,
	       char *msg, size_t msglen)
{
	struct disk d = { fd, req->lba_size, 0, req->name };
	char name[32], note[96], fix[200] = "";
	struct gpt_header p;
	struct gpt_entry e;
	int r;

	memset(res, 0, sizeof(*res));
	if (!d.name) {
		snprintf(name, sizeof(name), "partition %u", req->partno);
		d.name = name;
	}
	if (req->lba_size < GPT_LBA_SIZE_MIN ||
	    req->lba_size > GPT_LBA_SIZE_MAX ||
	    req->lba_size & (req->lba_size - 1) || req->disk_bytes > INT64_MAX)
		return errmsg(msg, msglen, -EOPNOTSUPP,
			      "unsupported LBA size %u", req->lba_size);
	d.lbas = req->disk_bytes / req->lba_size;

	r = read_table(&d, req, &p, &e, msg, msglen);
	if (r)
		return r;
	res->first_lba = e.first_lba;
	res->old_last_lba = res->last_lba = e.last_lba;
	int grew =
		grow_or_check(&d, req, &p, res, fix, sizeof(fix), msg, msglen);
	if (grew < 0)
		return grew;

	if (p.alternate_lba == d.lbas - 1)
		fit_pmbr(&d, note, sizeof(note));
	else
		note[0] = '\0';
	uint64_t was = mib(e.first_lba, e.last_lba, d.lba_size);
	if (grew == 1)
		snprintf(msg, msglen, "grew %s from %llu MiB to %llu MiB%s",
			 d.name, (unsigned long long)was,
			 (unsigned long long)mib(e.first_lba, res->last_lba,
						 d.lba_size),
			 note);
	else if (grew == 2)
		snprintf(msg, msglen,
			 "grew %s to %llu MiB (finished what a power cut "
			 "interrupted)%s",
			 d.name, (unsigned long long)was, note);
	else
		snprintf(msg, msglen,
			 "%s already fills the disk (%llu MiB)%s%s", d.name,
			 (unsigned long long)was, fix, note);
	return grew ? 1 : 0;
}

static int read_sys_u64(const char *path, uint64_t *v)
{
	char text[32], *end;
	ssize_t r = read_text(path, text, sizeof(text));

	if (r < 0)
		return r;
	errno = 0;
	*v = strtoull(text, &end, 10);
	return errno || end == text || (*end && *end != '\n') ? -EINVAL : 0;
}

/*
 * The disk holding partition part: sysfs puts a partition's directory
 * inside its disk's, so part/.. is the disk.
 */
static int parent_disk(const char *sysfs_block, const char *part, char *disk,
		       size_t len, dev_t *devt)
{
	char path[320], text[512], num[16];
	unsigned long maj;
	int r;

	snprintf(path, sizeof(path), "%s/%s/../uevent", sysfs_block, part);
	r = read_text(path, text, sizeof(text));
	if (r >= 0)
		r = uevent_value(text, "DEVNAME", disk, len);
	if (r)
		return r;
	if (!disk[0] || strchr(disk, '/') || disk[0] == '.')
		return -EINVAL;
	*devt = 0;
	if (!uevent_value(text, "MAJOR", num, sizeof(num))) {
		maj = strtoul(num, NULL, 10);
		if (!uevent_value(text, "MINOR", num, sizeof(num)))
			*devt = makedev(maj, strtoul(num, NULL, 10));
	}
	return 0;
}

/*
 * Tell the kernel the partition's new size. BLKRRPART would fail: other
 * partitions of the disk (the root) are in use.
 */
static int kernel_resize(int fd, uint32_t partno, uint64_t first, uint64_t last,
			 uint32_t lba_size)
{
	struct blkpg_partition part = {
		.start = (long long)(first * lba_size),
		.length = (long long)((last - first + 1) * lba_size),
		.pno = (int)partno,
	};
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_RESIZE_PARTITION,
		.datalen = sizeof(part),
		.data = &part,
	};

	return ioctl(fd, BLKPG, &arg) ? -errno : 0;
}

/* The partition's number, start and size (512-byte sectors) from sysfs. */
static int read_partition(const char *sysfs_block, const char *part,
			  uint64_t *partno, uint64_t *start, uint64_t *size,
			  char *msg, size_t msglen)
{
	static const char *const files[] = { "partition", "start", "size" };
	uint64_t *vals[] = { partno, start, size };
	char path[320];
	int r = 0;

	for (size_t i = 0; i < 3 && !r; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", sysfs_block, part,
			 files[i]);
		r = read_sys_u64(path, vals[i]);
	}
	if (!r && (*partno < 1 || *partno > UINT32_MAX))
		r = -EINVAL;
	if (r)
		return errmsg_errno(msg, msglen, r, -r,
				    "unable to read %s (not a partition?)",
				    path);
	return 0;
}

/*
 * Open the disk at path read-write and fill req's LBA size and disk size
 * from it: a block device (the one sysfs names, devt, when known) or a
 * disk image. Returns the fd or -errno.
 */
static int open_disk(const char *path, dev_t devt, struct grow_req *req,
		     bool *blockdev, char *msg, size_t msglen)
{
	struct stat st;
	int ssz = 0, r;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		r = errmsg_errno(msg, msglen, -errno, errno,
				 "unable to open %s", path);
		goto close_fd;
	}
	*blockdev = S_ISBLK(st.st_mode);
	if (S_ISREG(st.st_mode)) {
		/* a disk image: tests, or a loop-less host */
		req->lba_size = 512;
		req->disk_bytes = st.st_size;
		return fd;
	}
	if (!S_ISBLK(st.st_mode)) {
		r = errmsg(msg, msglen, -ENOTBLK, "%s is not a disk", path);
		goto close_fd;
	}
	if (devt && st.st_rdev != devt) {
		r = errmsg(msg, msglen, -ENODEV,
			   "%s is not the device sysfs names (%u:%u)", path,
			   major(devt), minor(devt));
		goto close_fd;
	}
	if (ioctl(fd, BLKSSZGET, &ssz) ||
	    ioctl(fd, BLKGETSIZE64, &req->disk_bytes)) {
		r = errmsg_errno(msg, msglen, -errno, errno,
				 "unable to get the size of %s", path);
		goto close_fd;
	}
	req->lba_size = ssz > 0 ? (uint32_t)ssz : 0;
	return fd;
close_fd:
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * The kernel still has the size it read at boot (size, in 512-byte
 * sectors); it may also lag the table after a failed BLKPG earlier in
 * this boot. Tell it the table's size. r is grow_table's answer; returns
 * it, or what telling the kernel changed about it.
 */
static int kernel_catch_up(int fd, const struct grow_req *req,
			   const struct grow_result *res, uint64_t size, int r,
			   char *msg, size_t msglen)
{
	uint64_t want =
		(res->last_lba - res->first_lba + 1) * (req->lba_size / 512);

	if (size >= want)
		return r;
	int k = kernel_resize(fd, req->partno, res->first_lba, res->last_lba,
			      req->lba_size);
	if (k)
		return errmsg(msg, msglen, k,
			      "its GPT entry now ends at LBA %llu but the "
			      "kernel refused the new size (%s); it takes "
			      "effect at the next boot",
			      (unsigned long long)res->last_lba, strerror(-k));
	if (r == 0)
		return errmsg(msg, msglen, 1,
			      "grew %s from %llu MiB to %llu MiB (the table "
			      "had it already)",
			      req->name, (unsigned long long)(size >> 11),
			      (unsigned long long)(want >> 11));
	return r;
}

int data_grow_at(const char *sysfs_block, const char *dev_dir,
		 const char *part_dev_name, char *msg, size_t msglen)
{
	char disk[64], diskpath[160], partpath[160];
	uint64_t partno, start, size;
	struct grow_req req = { 0 };
	struct grow_result res;
	bool blockdev = false;
	dev_t devt;
	int fd, r;

	if (!part_dev_name[0] || strchr(part_dev_name, '/') ||
	    part_dev_name[0] == '.' || strlen(part_dev_name) >= 64)
		return errmsg(msg, msglen, -EINVAL, "'%s' is not a device name",
			      part_dev_name);
	snprintf(partpath, sizeof(partpath), "%s/%s", dev_dir, part_dev_name);
	r = read_partition(sysfs_block, part_dev_name, &partno, &start, &size,
			   msg, msglen);
	if (r)
		return r;
	r = parent_disk(sysfs_block, part_dev_name, disk, sizeof(disk), &devt);
	if (r)
		return errmsg_errno(msg, msglen, r, -r,
				    "unable to find the disk of %s in %s",
				    part_dev_name, sysfs_block);
	snprintf(diskpath, sizeof(diskpath), "%s/%s", dev_dir, disk);

	fd = open_disk(diskpath, devt, &req, &blockdev, msg, msglen);
	if (fd < 0)
		return fd;
	if (!req.lba_size || (start * 512) % req.lba_size) {
		r = errmsg(msg, msglen, -EINVAL,
			   "it starts at 512-byte sector %llu, not on an LBA "
			   "of %u bytes",
			   (unsigned long long)start, req.lba_size);
		goto close_fd;
	}
	req.partno = partno;
	req.start = start * 512 / req.lba_size;
	req.name = partpath;
	r = grow_table(fd, &req, &res, msg, msglen);
	if (r >= 0 && blockdev)
		r = kernel_catch_up(fd, &req, &res, size, r, msg, msglen);
close_fd:
	close(fd);
	return r;
}

int data_grow(const char *part_dev_name, char *msg, size_t msglen)
{
	return data_grow_at("/sys/class/block", "/dev", part_dev_name, msg,
			    msglen);
}

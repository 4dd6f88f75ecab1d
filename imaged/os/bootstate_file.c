// SPDX-License-Identifier: MIT
/*
 * Boot state on the ESP: the order of the writes that makes a power cut
 * at any moment leave one good copy.
 *
 * Both formats are rewritten in place, never by writing a temporary file
 * and renaming it, as the rest of keel does:
 * - GRUB's save_env writes the grubenv block through the file's block
 *   list, in place (grub-core/commands/loadenv.c); a file whose blocks
 *   moved under it is still found, but a rename on FAT is two directory
 *   updates with no journal, and a cut between them can lose the name.
 *   An overwrite in place of a file that keeps its size changes no FAT
 *   metadata but the modification time.
 * - U-Boot's redundant environment is two copies that alternate; the
 *   copy we are not writing is the fallback, so there is nothing to gain
 *   from a rename and one more thing to tear.
 *
 * grubenv has no checksum, so GRUB cannot tell a torn block from a good
 * one. Two copies (GRUBENV_BACKUP_NAME written and synced first, then
 * GRUBENV_NAME) mean a cut during the second write leaves the backup
 * holding the new state whole, and a cut during the first leaves the
 * primary holding the old one whole. boot_state_to_env() also puts the
 * boot variables first, inside the block's first 512-byte sector, so a
 * block torn between its two sectors still holds one state, old or new.
 *
 * The buffers are static: imaged is single-threaded.
 */
#include "os/bootstate_file.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/bootstate.h"
#include "crc32.h"

static int pread_full(int fd, void *buf, size_t len, off_t off, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
			pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	*got = done;
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/*
 * Writes len bytes at off into path, in place, and syncs them. A file
 * that does not exist yet is made, and its directory synced. trunc: the
 * file must end where the bytes do.
 */
static int write_in_place(const char *path, const void *buf, size_t len,
			  off_t off, bool trunc, char *err, size_t errlen)
{
	bool made = false;
	int fd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		made = true;
	}
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(-r));
		return r;
	}
	r = pwrite_full(fd, buf, len, off);
	if (!r && trunc && ftruncate(fd, off + len))
		r = -errno;
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && made)
		r = sync_dir_of(path);
	if (r)
		snprintf(err, errlen, "write %s: %s", path, strerror(-r));
	return r;
}

/* --- grubenv ----------------------------------------------------------- */

static int grubenv_path(char *path, size_t size, const char *dir,
			const char *name, char *err, size_t errlen)
{
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size) {
		snprintf(err, errlen, "path %s/%s is too long", dir, name);
		return -ENAMETOOLONG;
	}
	return 0;
}

int grubenv_write_pair(const char *dir, const struct env *env, char *err,
		       size_t errlen)
{
	static const char *const order[2] = { GRUBENV_BACKUP_NAME,
					      GRUBENV_NAME };
	static char block[GRUBENV_SIZE];
	char path[PATH_MAX];
	int r;

	r = grubenv_serialize(env, block, err, errlen);
	if (r)
		return r;
	for (int i = 0; i < 2; i++) {
		r = grubenv_path(path, sizeof(path), dir, order[i], err,
				 errlen);
		if (!r)
			r = write_in_place(path, block, sizeof(block), 0, true,
					   err, errlen);
		if (r)
			return r;
	}
	return 0;
}

static int grubenv_read_one(const char *path, struct env *env, char *err,
			    size_t errlen)
{
	/* one byte more than a block, to see a file that is too long */
	static char block[GRUBENV_SIZE + 1];
	size_t got;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	r = pread_full(fd, block, sizeof(block), 0, &got);
	close(fd);
	if (r) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	return grubenv_parse(env, block, got, err, errlen);
}

int grubenv_read_pair(const char *dir, struct env *env, int *which, char *err,
		      size_t errlen)
{
	static const char *const names[2] = { GRUBENV_NAME,
					      GRUBENV_BACKUP_NAME };
	char path[PATH_MAX], why[2][128];
	int r[2];

	for (int i = 0; i < 2; i++) {
		r[i] = grubenv_path(path, sizeof(path), dir, names[i], err,
				    errlen);
		if (r[i])
			return r[i];
		r[i] = grubenv_read_one(path, env, why[i], sizeof(why[i]));
		if (!r[i]) {
			if (which)
				*which = i;
			return 0;
		}
	}
	env_init(env);
	snprintf(err, errlen, "no good grubenv in %s: %s: %s; %s: %s", dir,
		 names[0], why[0], names[1], why[1]);
	return r[0] == -ENOENT ? r[1] : r[0];
}

/* --- U-Boot environment ------------------------------------------------ */

/*
 * Reads one copy; a copy that cannot be read is left with a wrong CRC,
 * so that ubootenv_parse() falls back to the other.
 */
static int uboot_read_copy(const struct ubootenv_loc *loc, int i, uint8_t *buf,
			   char *why, size_t whylen)
{
	size_t got = 0;
	uint32_t crc;
	int fd, r;

	fd = open(loc->path[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		r = pread_full(fd, buf, loc->size, loc->offset[i], &got);
		close(fd);
		if (!r && got < loc->size)
			r = -ENODATA;
	}
	if (!r)
		return 0;
	snprintf(why, whylen, "copy %d (%s at %lld): %s", i, loc->path[i],
		 (long long)loc->offset[i],
		 r == -ENODATA ? "the file ends before the copy does"
			       : strerror(-r));
	memset(buf, 0, loc->size);
	crc = crc32_ieee(0, buf + 4, loc->size - 4) ^ 1;
	for (int k = 0; k < 4; k++)
		buf[k] = crc >> (8 * k);
	return r;
}

int ubootenv_read(const struct ubootenv_loc *loc, struct ubootenv *u, char *err,
		  size_t errlen)
{
	static uint8_t copy[2][ENV_SIZE_MAX];
	bool redundant = loc->path[1];
	char why[2][PATH_MAX + 80] = { "", "" }, perr[256];
	int r, io[2] = { 0, 0 };

	r = ubootenv_init(u, loc->size, redundant, err, errlen);
	if (r)
		return r;
	for (int i = 0; i < 1 + redundant; i++)
		io[i] = uboot_read_copy(loc, i, copy[i], why[i],
					sizeof(why[i]));
	if (io[0] == -ENOENT && (!redundant || io[1] == -ENOENT)) {
		snprintf(err, errlen, "%s", why[0]);
		return -ENOENT;
	}
	r = ubootenv_parse(u, copy[0], redundant ? copy[1] : NULL, perr,
			   sizeof(perr));
	if (r)
		snprintf(err, errlen, "%s: %s%s%s%s%s", loc->path[0], perr,
			 why[0][0] ? "; " : "", why[0], why[1][0] ? "; " : "",
			 why[1]);
	return r;
}

int ubootenv_write(const struct ubootenv_loc *loc, struct ubootenv *u,
		   char *err, size_t errlen)
{
	static uint8_t buf[ENV_SIZE_MAX];
	int which, r;

	if (!u->redundant || !loc->path[1]) {
		snprintf(err, errlen,
			 "%s: a single-copy environment cannot be rewritten "
			 "safely",
			 loc->path[0]);
		return -EINVAL;
	}
	if (u->size != loc->size) {
		snprintf(err, errlen, "%s: environment size %zu, not %zu",
			 loc->path[0], u->size, loc->size);
		return -EINVAL;
	}
	r = ubootenv_serialize(u, buf, &which, err, errlen);
	if (r)
		return r;
	r = write_in_place(loc->path[which], buf, u->size, loc->offset[which],
			   false, err, errlen);
	if (r)
		return r;
	ubootenv_written(u);
	return 0;
}

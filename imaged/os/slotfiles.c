// SPDX-License-Identifier: MIT
#include "os/slotfiles.h"
#include "errmsg.h"
#include "imaged.h"
#include "os/slots.h"
#include "os/update.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MiB(x) ((double)(x) / (1 << 20))

static const char *const slot_files[PAYLOAD_COUNT] = {
	[PAYLOAD_KERNEL] = "vmlinuz",
	[PAYLOAD_INITRAMFS] = "initramfs.img",
};

const char *slot_file(int k)
{
	return k >= 0 && k < PAYLOAD_COUNT ? slot_files[k] : NULL;
}

void slot_path(char *buf, size_t len, int slot, const char *name,
	       const char *suffix)
{
	snprintf(buf, len, ESP_DIR "/%c/%s%s", slot_name(slot), name, suffix);
}

int pending_write(int slot, const char *version, bool committed)
{
	char text[160];

	mkdir("/var/lib/keel", 0755);
	mkdir(UPDATE_STATE_DIR, 0700);
	snprintf(text, sizeof(text), "slot=%c\nversion=%s\ncommitted=%d\n",
		 slot_name(slot), version, committed);
	return write_atomic(UPDATE_PENDING, text, strlen(text), 0644);
}

int check_fit(const struct manifest *m, int slot, const char *dev, char *err,
	      size_t errlen)
{
	char path[128], text[32];
	struct statvfs vfs;
	uint64_t need = 0, have = 0;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", dev);
	if (read_text(path, text, sizeof(text)) < 0)
		return errmsg(err, errlen, -EIO, "%s: size unknown", dev);
	uint64_t part = strtoull(text, NULL, 10) * 512;
	/* format 2 ships the tree on its own; it goes after the data */
	uint64_t root = m->payload[PAYLOAD_ROOT].size +
			(m->payload[PAYLOAD_VERITY].present
				 ? m->payload[PAYLOAD_VERITY].size
				 : 0);
	if (root > part)
		return errmsg(err, errlen, -EFBIG,
			      "root image (%.1f MiB) is bigger than slot %c's "
			      "partition (%.1f MiB)",
			      MiB(root), slot_name(slot), MiB(part));
	/* the slot's old kernel files go first, so their room counts */
	for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++) {
		need += m->payload[k].size + 65536;
		slot_path(path, sizeof(path), slot, slot_files[k], "");
		if (!stat(path, &st))
			have += st.st_size;
	}
	if (statvfs(ESP_DIR, &vfs))
		return errmsg_errno(err, errlen, -errno, errno, "%s", ESP_DIR);
	have += (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need > have)
		return errmsg(err, errlen, -ENOSPC,
			      "the ESP has %.1f MiB for slot %c's kernel "
			      "files, which need %.1f MiB",
			      MiB(have), slot_name(slot), MiB(need));
	return 0;
}

int open_new(int slot, int k, char *err, size_t errlen)
{
	char path[128];

	slot_path(path, sizeof(path), slot, slot_files[k], "");
	unlink(path);
	slot_path(path, sizeof(path), slot, slot_files[k], ".new");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	return fd;
}

int rename_new(int fd, int slot, int k, char *err, size_t errlen)
{
	char tmp[128], path[128];

	slot_path(tmp, sizeof(tmp), slot, slot_files[k], ".new");
	slot_path(path, sizeof(path), slot, slot_files[k], "");
	if (fsync(fd) || rename(tmp, path))
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	return 0;
}

int write_slot_cfg(int slot, const struct manifest *m, char *err, size_t errlen)
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
	if (!r) {
		size_t n = 0;
		for (int k = PAYLOAD_KERNEL; k <= PAYLOAD_INITRAMFS; k++) {
			char hex[65];
			sha256_hex(m->payload[k].sha256, hex);
			n += snprintf(text + n, sizeof(text) - n,
				      "%s %" PRIu64 " %s\n", payload_name(k),
				      m->payload[k].size, hex);
		}
		slot_path(path, sizeof(path), slot, "sums", "");
		r = write_atomic(path, text, strlen(text), 0644);
	}
	if (r)
		return errmsg_errno(err, errlen, r, -r, "%s", path);
	return 0;
}

int slot_sum_matches(int slot, int k, const struct payload *pl)
{
	char path[128], text[512], hex[65], want[160];

	slot_path(path, sizeof(path), slot, "sums", "");
	if (read_text(path, text, sizeof(text)) <= 0)
		return -ENOENT;
	sha256_hex(pl->sha256, hex);
	snprintf(want, sizeof(want), "%s %" PRIu64 " %s\n", payload_name(k),
		 pl->size, hex);
	for (char *l = text; *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (!strncmp(l, want, strlen(want)))
			return 1;
	return 0;
}

// SPDX-License-Identifier: MIT
#include "firmware.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOAD_FAILED "Direct firmware load for "
#define FAILED_WITH " failed with error "

static int kmsg_fd = -1;

/* [s, s+n) into buf as a string; false when it does not fit. */
static bool copy_out(const char *s, size_t n, char *buf, size_t len)
{
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

bool firmware_missing(const char *record, size_t len, char *file,
		      size_t file_len, char *dev, size_t dev_len)
{
	const char *end = record + len, *msg, *nl, *at, *tail;

	/*
	 * "<prio>," with prio = facility * 8 + level: the kernel's facility
	 * (0) only, one digit; a process writing to /dev/kmsg gets 1 or more
	 */
	if (len < 2 || record[0] < '0' || record[0] > '7' || record[1] != ',')
		return false;
	msg = memchr(record, ';', len);
	if (!msg)
		return false;
	msg++;
	nl = memchr(msg, '\n', (size_t)(end - msg));
	if (nl)
		end = nl;
	at = memmem(msg, (size_t)(end - msg), LOAD_FAILED, strlen(LOAD_FAILED));
	if (!at)
		return false;
	const char *name = at + strlen(LOAD_FAILED);
	tail = memmem(name, (size_t)(end - name), FAILED_WITH,
		      strlen(FAILED_WITH));
	if (!tail || !copy_out(name, (size_t)(tail - name), file, file_len))
		return false;
	/* dev_warn's prefix: "<driver> <device>: " */
	if (at - msg < 3 || at[-2] != ':' || at[-1] != ' ' ||
	    !copy_out(msg, (size_t)(at - msg - 2), dev, dev_len))
		snprintf(dev, dev_len, "a driver");
	return true;
}

int firmware_watch_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return kmsg_fd < 0 ? -errno : 0;
}

int firmware_watch_fd(void)
{
	return kmsg_fd;
}

void firmware_watch_read(void)
{
	/* a record is at most about 1 KiB of text and its dictionary */
	static char rec[8192];
	char file[128], dev[96];

	while (kmsg_fd >= 0) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue; /* records overwritten before we read them */
		if (n <= 0)
			return;
		if (firmware_missing(rec, (size_t)n, file, sizeof(file), dev,
				     sizeof(dev)))
			log_err("unable to load firmware %s for %s: not in "
				"/lib/firmware (README.md, \"Firmware\", says "
				"how to add it)",
				file, dev);
	}
}

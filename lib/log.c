// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident = "keel";
static int console_fds[LOG_CONSOLES_MAX];
static char console_paths[LOG_CONSOLES_MAX][32];
static int consoles;
static int kmsg_fd = -1;
static int console_loglevel = 7;
static log_sink sink;
static char early[8192];
static size_t early_len;
static unsigned long early_lost;

void log_set_sink(log_sink s)
{
	char note[64];

	sink = s;
	if (!sink)
		return;
	if (early_len)
		sink(early, early_len);
	if (early_lost) {
		int n = snprintf(note, sizeof(note),
				 "[%lu early lines lost: buffer full]\n",
				 early_lost);
		sink(note, n);
	}
	early_len = 0;
	early_lost = 0;
}

static void keep(const char *line, size_t len)
{
	if (sink) {
		sink(line, len);
	} else if (early_len + len <= sizeof(early)) {
		memcpy(early + early_len, line, len);
		early_len += len;
	} else {
		early_lost++;
	}
}

void log_name(const char *ident)
{
	log_ident = ident;
}

/* a console stopped by ^S or flow control must not stall PID 1 */
static int console_open(const char *path)
{
	return open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
}

void log_open(const char *ident)
{
	static const char *const dev_console[] = { "/dev/console" };

	log_open_ttys(ident, dev_console, 1);
}

void log_open_ttys(const char *ident, const char *const *ttys, int n)
{
	log_ident = ident;
	log_close();
	for (int i = 0; i < n && consoles < LOG_CONSOLES_MAX; i++) {
		int fd = console_open(ttys[i]);
		if (fd >= 0) {
			snprintf(console_paths[consoles],
				 sizeof(console_paths[0]), "%s", ttys[i]);
			console_fds[consoles++] = fd;
		}
	}
	if (!consoles && n) {
		int fd = console_open("/dev/console");
		if (fd >= 0) {
			snprintf(console_paths[0], sizeof(console_paths[0]),
				 "/dev/console");
			console_fds[consoles++] = fd;
		}
	}
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	FILE *f = fopen("/proc/sys/kernel/printk", "re");
	if (f) {
		if (fscanf(f, "%d", &console_loglevel) != 1)
			console_loglevel = 7;
		fclose(f);
	}
}

void log_close(void)
{
	while (consoles > 0)
		close(console_fds[--consoles]);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

/*
 * The console is non-blocking (a console stopped by ^S must not stall PID
 * 1), but a slow serial line whose buffer is full for a moment must not
 * cost a line either: wait for room a few times, 100 ms at most in all.
 */
static int console_write(int fd, const char *buf, size_t len)
{
	int waits = 0;

	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN && waits++ < 5) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 20);
		} else {
			return w < 0 ? -errno : -EIO;
		}
	}
	return 0;
}

/*
 * A tty is hung up when the session it was the controlling tty of ends
 * (a console shell that exits): every descriptor of it then fails with
 * EIO, ours too, but a new open works. (/dev/console's are spared.)
 */
static void consoles_write(const char *buf, size_t len)
{
	for (int i = 0; i < consoles; i++) {
		if (console_write(console_fds[i], buf, len) != -EIO)
			continue;
		int fd = console_open(console_paths[i]);
		if (fd < 0)
			continue;
		close(console_fds[i]);
		console_fds[i] = fd;
		console_write(fd, buf, len);
	}
}

static void log_write(int prio, const char *ident, const char *fmt, va_list ap)
{
	char line[512];
	int n, m, saved = errno;

	n = snprintf(line, sizeof(line), "<%d>%s: ", prio, ident);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0) {
		errno = saved;
		return;
	}
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';

	/* "<N>" is for the kernel log only */
	int skip = strchr(line, '>') - line + 1;
	consoles_write(line + skip, n - skip);
	if (!consoles)
		console_write(STDERR_FILENO, line + skip, n - skip);
	keep(line + skip, n - skip);
	errno = saved; /* callers log, then report errno */
	/*
	 * The kernel echoes kmsg lines below its console loglevel to the
	 * console we just wrote to; those would show twice, so they stay out
	 * of kmsg. With "quiet" (the default command line) dmesg has them all.
	 */
	if (kmsg_fd >= 0 && prio >= console_loglevel &&
	    write(kmsg_fd, line, n) < 0) {
		/* kmsg is rate limited; losing a line there is acceptable */
	}
}

#define LOG_FN(name, prio, ident)                \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_write(prio, ident, fmt, ap); \
		va_end(ap);                      \
	}

LOG_FN(log_info, 6, log_ident)
LOG_FN(log_warn, 4, log_ident)
LOG_FN(log_err, 3, log_ident)
LOG_FN(log_keel, 5, "keel")

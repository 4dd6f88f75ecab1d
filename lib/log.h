/* SPDX-License-Identifier: MIT */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Messages go to the console and, where it is open, the kernel log, so a
 * headless box keeps them in dmesg. Format: "<ident>: <message>".
 */
void log_open(const char *ident);
/*
 * The same, writing to each of these ttys (the kernel's consoles: a
 * screen and a serial port) instead of /dev/console, which is only the
 * last of them; /dev/console when none of them opens.
 */
#define LOG_CONSOLES_MAX 4
void log_open_ttys(const char *ident, const char *const *ttys, int n);
/* Only the name: lines go to stderr (a service's log file). */
void log_name(const char *ident);
void log_close(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A second copy of every line, for a log file. Until a sink is set, lines
 * are kept in a small in-memory buffer (oldest first, the overflow is
 * counted); setting the sink replays them into it.
 */
typedef void (*log_sink)(const char *line, size_t len);
void log_set_sink(log_sink sink);

/* A milestone line for people watching the console: "keel: <message>". */
void log_keel(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

// SPDX-License-Identifier: MIT
#include "os/update.h"
#include "log.h"
#include "os/bundle.h"
#include "os/floor.h"
#include "os/revstate.h"
#include "os/slots.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

void update_last_get(char *buf, size_t len)
{
	char line[800];
	const char *p;

	buf[0] = '\0';
	if (read_text(UPDATE_LAST, line, sizeof(line)) <= 0)
		return;
	line[strcspn(line, "\n")] = '\0';
	p = strstr(line, " UTC: ");
	snprintf(buf, len, "%s", p ? p + 6 : line);
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

int update_rollback(char *msg, size_t len)
{
	char what[32];
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
	snprintf(what, sizeof(what), "slot %c's version", slot_name(other));
	if ((r = floor_check(VERSION_FLOOR, what,
			     sl.version[other][0] ? sl.version[other] : "?",
			     msg, len)))
		return r;
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

/*
 * The newest channel document believed here, the version floor, and the
 * workload revision that runs (and the last one rejected here).
 */
static void status_fleet(char *buf, size_t len)
{
	char serial[32] = "", expires[64] = "", floor[BUNDLE_VERSION_MAX + 2];
	size_t used = strlen(buf);
	struct rev_state st;

	if (read_text(CHANNEL_SERIAL, serial, sizeof(serial)) > 0) {
		read_text(CHANNEL_EXPIRES, expires, sizeof(expires));
		serial[strcspn(serial, "\n")] = '\0';
		expires[strcspn(expires, "\n")] = '\0';
		snprintf(buf + used, len - used,
			 "channel document: serial %s, expires %s\n", serial,
			 expires[0] ? expires : "never (format 1)");
		used = strlen(buf);
	}
	floor_read(VERSION_FLOOR, floor, sizeof(floor));
	rev_state_load(&st);
	snprintf(buf + used, len - used,
		 "version floor: %s\nworkloads: ", floor[0] ? floor : "none");
	used = strlen(buf);
	if (st.current)
		snprintf(buf + used, len - used, "revision %lld", st.current);
	else
		snprintf(buf + used, len - used, "revision none");
	used = strlen(buf);
	if (st.applying)
		snprintf(buf + used, len - used, ", applying %lld",
			 st.applying);
	used = strlen(buf);
	if (st.rejected)
		snprintf(buf + used, len - used, " (revision %lld %s here)",
			 st.rejected,
			 !strcmp(st.outcome, "refused") ? "refused"
							: "rejected");
	used = strlen(buf);
	snprintf(buf + used, len - used, "\n");
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
	status_fleet(buf, len);
}

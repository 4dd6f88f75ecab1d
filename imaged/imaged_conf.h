/* SPDX-License-Identifier: MIT */
#ifndef KEEL_IMAGED_CONF_H
#define KEEL_IMAGED_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* /etc/keel/imaged.conf; the keys are in imaged/README.md. */
struct imaged_conf {
	int update_tries; /* boots a new slot gets to pass the health gate */
	int health_timeout; /* seconds from imaged's start on a trial boot */
	char health_command[256]; /* run by sh -c; must exit 0 */
	bool update_reboot; /* reboot as soon as an update is committed */
	int window_start, window_end; /* reboot window, minutes of the UTC
					 day; start == end: any time */
	/* "" for no automatic updates; http(s):// or file:/// */
	char channel_url[2048];
	int poll_interval; /* seconds between channel polls, +-25% */
	char report_url[2048]; /* "" for no status reports; http(s):// */
	int report_interval; /* seconds between heartbeat reports */
	/* false: pods that need no host ids get a user namespace */
	bool default_host_users;
	/* an install that moves no data for this long (s) gives up */
	int update_stall_timeout;
	/* read the written slot back through the same checks */
	bool verify_after_write;
	/* seconds a workload revision's pods have to be ready */
	int workload_timeout;
};

void conf_defaults(struct imaged_conf *c);
/*
 * Parse the text of imaged.conf over the defaults. A bad line is an
 * error naming it ("line N: reason"); the caller keeps the defaults.
 */
int conf_parse(struct imaged_conf *c, const char *text, char *err,
	       size_t errlen);

/*
 * The image's settings (IMAGED_CONF), then the user's on the ESP
 * (ESP_UPDATE_CONF) over them; a file that cannot be read or has a bad
 * line is logged and ignored whole.
 */
void conf_load(struct imaged_conf *c);

/*
 * Seconds from now_s (seconds into the UTC day) until the reboot window
 * opens; 0 inside it. A window may wrap midnight (22:00-02:00).
 */
long window_wait_s(int start_min, int end_min, long now_s);

#endif

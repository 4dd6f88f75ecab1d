/* SPDX-License-Identifier: MIT */
#ifndef KEEL_IMAGED_H
#define KEEL_IMAGED_H

#include "file.h" /* read_text(), write_atomic() */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Where imaged keeps and finds things on a keel host. */
#define IMAGED_SOCKET "/run/imaged.sock"
#define IMAGED_CONF "/etc/keel/imaged.conf"
#define IMAGED_RUN_DIR "/run/imaged"
#define UPDATE_STATUS_FILE IMAGED_RUN_DIR "/update.status"
#define GATE_STATUS_FILE IMAGED_RUN_DIR "/gate.status"
#define CHANNEL_STATUS_FILE IMAGED_RUN_DIR "/channel.status"
#define MACHINE_ID_FILE "/var/lib/keel/machine-id"
/* The user's settings on the ESP, over IMAGED_CONF (README.md) */
#define ESP_UPDATE_CONF "/boot/config/update.conf"
#define UPDATE_STATE_DIR "/var/lib/keel/update"
#define UPDATE_KEYS_DIR "/etc/keel/update-keys"
#define ESP_DIR "/boot"
#define BOOTSTATE_DIR ESP_DIR "/EFI/keel"
#define OS_RELEASE "/etc/os-release"
/* Test images only (CONFIG_KEEL_IMAGED_FAULTS): the step to die at. */
#define FAULT_FILE "/run/imaged.fault"

/* /etc/keel/imaged.conf; the keys are in imaged/README.md. */
struct imaged_conf {
	int update_tries; /* boots a new slot gets to pass the health gate */
	int health_timeout; /* seconds from imaged's start on a trial boot */
	char health_command[256]; /* run by sh -c; must exit 0 */
	bool update_reboot; /* reboot as soon as an update is committed */
	int window_start, window_end; /* reboot window, minutes of the UTC
					 day; start == end: any time */
	char channel_url[2048]; /* "" for no automatic updates */
	int poll_interval; /* seconds between channel polls, +-25% */
	/* false: pods that need no host ids get a user namespace */
	bool default_host_users;
};

void conf_defaults(struct imaged_conf *c);
/*
 * Parse the text of imaged.conf over the defaults. A bad line is an
 * error naming it ("line N: reason"); the caller keeps the defaults.
 */
int conf_parse(struct imaged_conf *c, const char *text, char *err,
	       size_t errlen);

/* imaged's log lines go to stderr, which init keeps in imaged.log. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A progress line for whoever asked (an imagectl client) and for
 * `imagectl os status`; ctx is the client's fd or -1.
 */
struct progress {
	int fd; /* control socket of the client, or -1 */
	const char *status_file; /* rewritten with the latest line */
};
void progress(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A key from /etc/os-release ("VERSION_ID", "VARIANT_ID"), unquoted. */
int os_release_get(const char *key, char *val, size_t len);

/*
 * Seconds from now_s (seconds into the UTC day) until the reboot window
 * opens; 0 inside it. A window may wrap midnight (22:00-02:00).
 */
long window_wait_s(int start_min, int end_min, long now_s);

/*
 * Reboot for an installed update: at once, or once the reboot window
 * opens, saying which on the progress line.
 */
void reboot_when_allowed(const struct imaged_conf *c, struct progress *p);

/* Ask init (over /run/init.sock) to reboot. */
int request_reboot(void);

/* Test images: stop dead (no sync) when FAULT_FILE names this step. */
void fault_point(const char *step);

/* The imagectl client and the daemon. */
int imagectl_main(int argc, char **argv);
int imaged_main(int argc, char **argv);
/* imagectl logs and exec, which read the host directly */
int pod_logs_main(int argc, char **argv);
int pod_exec_main(int argc, char **argv);

#endif

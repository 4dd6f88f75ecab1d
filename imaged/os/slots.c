// SPDX-License-Identifier: MIT
#include "os/slots.h"
#include "os/bootstate_file.h"
#include "log.h"
#include "imaged.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int slot_from_cmdline(const char *cmdline)
{
	for (const char *p = cmdline; (p = strstr(p, "keel.slot=")); p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		char c = p[10], end = p[11];
		if ((c == 'a' || c == 'b') &&
		    (end == '\0' || end == ' ' || end == '\n'))
			return c - 'a';
		return -1;
	}
	return -1;
}

int esp_writable(bool rw)
{
	/* the flags and options hostsetup.c mounts it with */
	unsigned long flags = MS_REMOUNT | MS_NODEV | MS_NOSUID | MS_NOEXEC |
			      (rw ? 0 : MS_RDONLY);

	if (mount(NULL, ESP_DIR, NULL, flags, "umask=0077,shortname=mixed"))
		return -errno;
	return 0;
}

/*
 * The boot state's files: a U-Boot board's boot.scr reads a redundant
 * U-Boot environment, one copy a file (uboot.env, uboot.env.bak);
 * GRUB reads grubenv and its copy. Which one is there says which.
 */
static const struct ubootenv_loc uboot_loc = {
	.path = { BOOTSTATE_DIR "/uboot.env", BOOTSTATE_DIR "/uboot.env.bak" },
	.size = UBOOTENV_FILE_SIZE,
};

static bool uboot(void)
{
	return !access(uboot_loc.path[0], F_OK) ||
	       !access(uboot_loc.path[1], F_OK);
}

static int state_read(struct env *env, char *err, size_t errlen)
{
	static struct ubootenv u;

	if (!uboot())
		return grubenv_read_pair(BOOTSTATE_DIR, env, NULL, err, errlen);
	int r = ubootenv_read(&uboot_loc, &u, err, errlen);
	if (!r)
		*env = u.env;
	return r;
}

static int state_write(const struct env *env, char *err, size_t errlen)
{
	static struct ubootenv u;

	if (!uboot())
		return grubenv_write_pair(BOOTSTATE_DIR, env, err, errlen);
	/* the copy to write is the one not current: read them first */
	if (ubootenv_read(&uboot_loc, &u, err, errlen) &&
	    ubootenv_init(&u, uboot_loc.size, true, err, errlen))
		return -EINVAL;
	u.env = *env;
	return ubootenv_write(&uboot_loc, &u, err, errlen);
}

int slots_read(struct slots *s, char *err, size_t errlen)
{
	char cmdline[4096], path[128];
	struct env *env = malloc(sizeof(*env));
	int r;

	memset(s, 0, sizeof(*s));
	s->booted = -1;
	if (read_text("/proc/cmdline", cmdline, sizeof(cmdline)) >= 0)
		s->booted = slot_from_cmdline(cmdline);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), ESP_DIR "/%c/version",
			 slot_name(i));
		if (read_text(path, s->version[i], sizeof(s->version[i])) < 0)
			s->version[i][0] = '\0';
		s->version[i][strcspn(s->version[i], "\n")] = '\0';
	}
	if (!env) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = state_read(env, err, errlen);
	if (!r)
		r = boot_state_from_env(env, &s->bs, err, errlen);
	free(env);
	return r;
}

int slots_write_state(const struct boot_state *bs, char *err, size_t errlen)
{
	struct env *env = malloc(sizeof(*env));
	int r, w;

	if (!env) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = state_read(env, err, errlen);
	if (r) /* start over: our five variables are all the loader needs */
		env_init(env);
	r = boot_state_to_env(bs, env, err, errlen);
	if (!r && (r = esp_writable(true)))
		snprintf(err, errlen, "unable to make %s writable: %s", ESP_DIR,
			 strerror(-r));
	else if (!r) {
		r = state_write(env, err, errlen);
		if ((w = esp_writable(false)))
			log_err("unable to make %s read-only again: %s",
				ESP_DIR, strerror(-w));
	}
	free(env);
	return r;
}

int slots_next_boot(const struct boot_state *bs)
{
	for (int k = 0; k < 2; k++) {
		int i = bs->order[k] - 'a';
		if (bs->ok[i] || bs->tries[i] > 0)
			return i;
	}
	return bs->ok[1] && !bs->ok[0] ? 1 : 0;
}

void slots_describe(const struct slots *s, char *buf, size_t len)
{
	size_t used = 0;
	int next = slots_next_boot(&s->bs);

	for (int k = 0; k < 2; k++) {
		int i = s->bs.order[k] - 'a';
		char state[48];
		if (s->bs.ok[i])
			snprintf(state, sizeof(state), "good");
		else if (s->bs.tries[i] > 0)
			snprintf(state, sizeof(state), "on trial, %d %s left",
				 s->bs.tries[i],
				 s->bs.tries[i] == 1 ? "try" : "tries");
		else
			snprintf(state, sizeof(state), "not bootable");
		int n = snprintf(buf + used, len - used,
				 "slot %c: %-10s %s%s%s\n", slot_name(i),
				 s->version[i][0] ? s->version[i] : "-", state,
				 i == s->booted ? ", booted" : "",
				 i == next ? ", boots next" : "");
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += n;
	}
}

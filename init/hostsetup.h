/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HOSTSETUP_H
#define KEEL_HOSTSETUP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The root is read-only; the few /etc files that differ per machine are
 * symlinks into /run/keel, written here at boot. What must persist lives
 * in /var/lib/keel.
 */
#define KEEL_RUN "/run/keel"
#define KEEL_STATE "/var/lib/keel"
#define BOOT_CONFIG "/boot/config"

/* Mount the ESP read-only on /boot; its config/ is the user's. */
int boot_mount(int wait_s);

/* /var/lib/keel/machine-id, made once; copied to /run/keel/machine-id. */
int machine_id_setup(char *id, size_t len);

/* From /boot/config/hostname, else keel-<first 8 of the machine id>. */
void hostname_setup(const char *machine_id);

/* Feed the saved seed to the kernel and save a fresh one. */
void random_seed_load(void);
void random_seed_save(void);

/* Files in /etc/sysctl.d by name, then /boot/config/sysctl.conf. */
void sysctl_apply_all(void);

/* Pure helpers, unit tested. */
bool machine_id_valid(const char *id);
/*
 * One sysctl.conf line: "net.ipv4.ip_forward = 1". Returns 1 with the
 * /proc/sys path and value filled, 0 for a blank or comment line, -EINVAL
 * for a malformed one.
 */
int sysctl_parse_line(char *line, char *path, size_t len, char **value);

#endif

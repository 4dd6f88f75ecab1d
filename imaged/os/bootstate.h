/* SPDX-License-Identifier: MIT */
#ifndef KEEL_BOOTSTATE_H
#define KEEL_BOOTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Boot state: the slot order and the tries left per slot, kept where the
 * bootloader reads it. GRUB (x86_64) keeps it in a grubenv block, U-Boot
 * (aarch64) in its binary environment; imaged reads and writes both
 * formats itself. See imaged/README.md, "Boot state", for the formats and
 * the rules that make a torn write harmless.
 *
 * bootstate.c is pure (bytes in, bytes out) so all of it runs in unit
 * tests and under the fuzzer; bootstate_file.c does the I/O and the order
 * of the writes. Functions return 0 or -errno and put a short reason in
 * err; nothing here allocates.
 */

/* The largest U-Boot environment we handle (CONFIG_ENV_SIZE 0x20000). */
#define ENV_SIZE_MAX 0x20000
/* Every grubenv GRUB and grub-editenv make is exactly this big. */
#define GRUBENV_SIZE 1024
#define GRUBENV_NAME "grubenv"
#define GRUBENV_BACKUP_NAME "grubenv.bak"

/*
 * A bootloader environment as variables: "name=value\0" entries packed
 * in data, in file order (GRUB and U-Boot ignore the order; keeping it
 * makes a rewrite touch only what changed). Values may hold any byte but
 * NUL; names are not empty and hold no '='.
 */
struct env {
	size_t len;
	char data[ENV_SIZE_MAX];
};

void env_init(struct env *env);
/* The value of name, or NULL; valid until env changes. */
const char *env_get(const struct env *env, const char *name);
/* Replaces the value in place, or appends a new variable. */
int env_set(struct env *env, const char *name, const char *value, char *err,
	    size_t errlen);
/* Nothing to do when name is not set. */
void env_unset(struct env *env, const char *name);
/*
 * Walks the entries: pass NULL for the first; returns "name=value", or
 * NULL after the last.
 */
const char *env_next(const struct env *env, const char *prev);
unsigned int env_count(const struct env *env);

/*
 * grubenv (grub-core/lib/envblk.c): GRUBENV_SIZE bytes, the signature
 * line "# GRUB Environment Block\n", then lines. A line starting with '#'
 * is a comment; any other is name=value with '\\' and newline in the
 * value escaped by a '\\'; '#' pads the block to its size.
 */
int grubenv_parse(struct env *env, const void *buf, size_t len, char *err,
		  size_t errlen);
/*
 * Writes the block grub-editenv would make for env: the signature, the
 * warning comment grub-editenv create writes, the variables, '#' up to
 * GRUBENV_SIZE. -ENOSPC when env does not fit; -EINVAL for a name GRUB
 * cannot read back (newline, '\\', a leading '#').
 */
int grubenv_serialize(const struct env *env, void *buf, char *err,
		      size_t errlen);

/*
 * U-Boot environment (include/env_internal.h, tools/env/fw_env.c,
 * libubootenv): each copy is size bytes: a little-endian CRC-32 of the
 * data area, for the redundant layout one flags byte, then the data area:
 * "name=value\0" entries, an empty one ending the list, padding.
 *
 * With two copies the current one is the valid copy whose flags byte is
 * newer, as U-Boot's env_import_redund() decides: 0 is newer than 255,
 * otherwise the higher one is, and on a tie copy 0 wins. A rewrite goes
 * into the other copy with flags + 1, so a torn write leaves the current
 * copy as it was.
 */
#define UBOOTENV_SIZE_MIN 64
/* keel's U-Boot boards keep each copy in a file of this size (Makefile) */
#define UBOOTENV_FILE_SIZE 4096

struct ubootenv {
	size_t size; /* of one copy */
	bool redundant;
	int current; /* the copy env came from; the next write goes to !current */
	uint8_t flags; /* current's flags byte */
	struct env env;
};

/*
 * An empty environment: the first write goes to copy 0 with flags 1,
 * which U-Boot takes over a copy 1 that is still blank.
 */
int ubootenv_init(struct ubootenv *u, size_t size, bool redundant, char *err,
		  size_t errlen);
/*
 * Reads copy0 (and copy1 for the redundant layout; NULL otherwise), each
 * u->size bytes as set by ubootenv_init(). Falls back to the other copy
 * when the current one has a bad CRC or does not parse; -EBADMSG when no
 * copy is good, err naming the reason for each.
 */
int ubootenv_parse(struct ubootenv *u, const void *copy0, const void *copy1,
		   char *err, size_t errlen);
/*
 * The bytes of the next copy to write: into copy *which, with flags
 * u->flags + 1. Call ubootenv_written() once they are safely on disk.
 */
int ubootenv_serialize(const struct ubootenv *u, void *buf, int *which,
		       char *err, size_t errlen);
void ubootenv_written(struct ubootenv *u);

/*
 * The typed record. order[0] is tried first; tries[i] and ok[i] belong
 * to slot 'a' + i. The variables, the same in both formats:
 *   KEEL_ORDER   "a b" or "b a"
 *   KEEL_A_TRIES, KEEL_B_TRIES   "0".."9"
 *   KEEL_A_OK, KEEL_B_OK         "0" or "1": marked good
 */
#define BOOT_TRIES_MAX 9

struct boot_state {
	char order[2];
	int tries[2];
	bool ok[2];
};

int boot_state_check(const struct boot_state *bs, char *err, size_t errlen);
/* Every variable must be set and valid. */
int boot_state_from_env(const struct env *env, struct boot_state *bs, char *err,
			size_t errlen);
/*
 * Sets the five variables, first in the environment and in a fixed order,
 * leaving every other variable as it was.
 */
int boot_state_to_env(const struct boot_state *bs, struct env *env, char *err,
		      size_t errlen);

#endif

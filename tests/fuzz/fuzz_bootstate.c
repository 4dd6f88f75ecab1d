// SPDX-License-Identifier: MIT
/*
 * Boot state comes off a FAT partition a power cut may have torn, or
 * that anyone with the SD card in hand may have edited.
 *
 * Input: a flags byte, then the bytes. Flags bit 0 clear: the bytes are a
 * grubenv block (any length). Bit 0 set: a U-Boot environment; bit 1 the
 * redundant layout (the bytes split into two copies of equal size),
 * bit 2 the CRCs made right first so the fuzzer gets past them without
 * a seed.
 *
 * Whatever parses must come back as itself through our writer, and a
 * boot state read from it must too.
 */
#include "os/bootstate.h"
#include "crc32.h"

#include <errno.h>

#include <stdint.h>
#include <string.h>

static struct env back;
static struct ubootenv u, u2;
static uint8_t copy[2][ENV_SIZE_MAX];
static uint8_t out[ENV_SIZE_MAX];

static bool env_same(const struct env *a, const struct env *b)
{
	return a->len == b->len && !memcmp(a->data, b->data, a->len);
}

static void state_round_trip(const struct env *env)
{
	struct boot_state bs, bs2;
	char err[160];

	if (boot_state_from_env(env, &bs, err, sizeof(err)))
		return;
	if (boot_state_check(&bs, err, sizeof(err)))
		__builtin_trap();
	back = *env;
	if (boot_state_to_env(&bs, &back, err, sizeof(err)) ||
	    boot_state_from_env(&back, &bs2, err, sizeof(err)) ||
	    memcmp(bs.order, bs2.order, 2) || bs.tries[0] != bs2.tries[0] ||
	    bs.tries[1] != bs2.tries[1] || bs.ok[0] != bs2.ok[0] ||
	    bs.ok[1] != bs2.ok[1] || env_count(&back) != env_count(env))
		__builtin_trap();
}

static void grub(const uint8_t *data, size_t size)
{
	static uint8_t blk[GRUBENV_SIZE];
	struct env *env = &u.env;
	char err[160];
	int r;

	if (grubenv_parse(env, data, size, err, sizeof(err)))
		return;
	r = grubenv_serialize(env, blk, err, sizeof(err));
	/* escapes and comments we drop may leave too little room: only that */
	if (r == -ENOSPC)
		return;
	if (r || grubenv_parse(&back, blk, sizeof(blk), err, sizeof(err)) ||
	    !env_same(env, &back))
		__builtin_trap();
	state_round_trip(env);
}

static void fix_crc(uint8_t *b, size_t size, size_t hdr)
{
	uint32_t crc = crc32_ieee(0, b + hdr, size - hdr);

	for (int i = 0; i < 4; i++)
		b[i] = crc >> (8 * i);
}

static void uboot(int flags, const uint8_t *data, size_t size)
{
	bool redundant = flags & 2;
	size_t each = redundant ? size / 2 : size, hdr = redundant ? 5 : 4;
	char err[256];
	int which;

	if (each < UBOOTENV_SIZE_MIN || each > ENV_SIZE_MAX)
		return;
	for (int i = 0; i < 1 + redundant; i++) {
		memcpy(copy[i], data + i * each, each);
		if (flags & 4)
			fix_crc(copy[i], each, hdr);
	}
	if (ubootenv_init(&u, each, redundant, err, sizeof(err)))
		__builtin_trap();
	if (ubootenv_parse(&u, copy[0], redundant ? copy[1] : NULL, err,
			   sizeof(err)))
		return;
	if (u.current < 0 || u.current > (int)redundant)
		__builtin_trap();
	/* it came from a copy that size: it fits again */
	if (ubootenv_serialize(&u, out, &which, err, sizeof(err)) ||
	    which != (redundant ? !u.current : 0))
		__builtin_trap();
	memcpy(copy[which], out, each);
	if (ubootenv_init(&u2, each, redundant, err, sizeof(err)) ||
	    ubootenv_parse(&u2, copy[0], redundant ? copy[1] : NULL, err,
			   sizeof(err)) ||
	    !env_same(&u.env, &u2.env))
		__builtin_trap();
	/* the copy just written is the current one now */
	if (redundant &&
	    (u2.current != which || u2.flags != (uint8_t)(u.flags + 1)))
		__builtin_trap();
	state_round_trip(&u.env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flags;

	if (size < 1)
		return 0;
	flags = data[0];
	if (flags & 1)
		uboot(flags, data + 1, size - 1);
	else
		grub(data + 1, size - 1);
	return 0;
}

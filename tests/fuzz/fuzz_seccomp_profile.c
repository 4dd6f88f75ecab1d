// SPDX-License-Identifier: MIT
/*
 * seccomp profiles (seccompProfile Localhost) are files in the image a
 * pod names. Whatever the bytes, the reader returns: a program the
 * kernel would take (at most BPF_MAXINSNS instructions, each one seccomp
 * allows, every jump forward and inside, ending in a return) on which
 * every path ends in a return, or an error saying why.
 */
#include "run/seccompprofile.h"

#include <assert.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>

static struct seccomp_filter flt;

static void well_formed(void)
{
	assert(flt.n > 0 && flt.n <= BPF_MAXINSNS);
	assert(flt.f[flt.n - 1].code == (BPF_RET | BPF_K));
	for (size_t i = 0; i < flt.n; i++) {
		const struct sock_filter *f = &flt.f[i];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert(f->k % 4 == 0 &&
			       f->k < sizeof(struct seccomp_data));
			break;
		case BPF_JMP | BPF_JA:
			assert(i + 1 + f->k < flt.n);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
			assert(i + 1 + f->jt < flt.n && i + 1 + f->jf < flt.n);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_RET | BPF_K:
			break;
		default:
			assert(!"an instruction seccomp does not take");
		}
	}
}

/* Run it on one call: it returns, within n steps (jumps go forward) */
static void run(uint32_t arch, int nr, uint64_t arg)
{
	struct seccomp_data d = { .nr = nr, .arch = arch };
	uint32_t a = 0;
	size_t pc = 0;

	for (int i = 0; i < 6; i++)
		d.args[i] = arg << i;
	while (pc < flt.n) {
		const struct sock_filter *f = &flt.f[pc++];
		if (f->code == (BPF_RET | BPF_K))
			return;
		if (f->code == (BPF_LD | BPF_W | BPF_ABS))
			memcpy(&a, (const char *)&d + f->k, sizeof(a));
		else if (f->code == (BPF_ALU | BPF_AND | BPF_K))
			a &= f->k;
		else if (f->code == (BPF_JMP | BPF_JA))
			pc += f->k;
		else if (f->code == (BPF_JMP | BPF_JEQ | BPF_K))
			pc += a == f->k ? f->jt : f->jf;
		else if (f->code == (BPF_JMP | BPF_JGT | BPF_K))
			pc += a > f->k ? f->jt : f->jf;
		else
			pc += a >= f->k ? f->jt : f->jf;
	}
	assert(!"ran off the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int r;

	err[0] = '\0';
	r = seccomp_profile_compile((const char *)data, size, &flt, err,
				    sizeof(err));
	if (r) {
		assert(r == -EINVAL || r == -E2BIG || r == -EFBIG);
		assert(err[0] && strlen(err) < sizeof(err));
		return 0;
	}
	well_formed();
	for (int nr = 0; nr < 470; nr += 7)
		run(AUDIT_ARCH_X86_64, nr, (uint64_t)nr * 0x100000001ULL);
	run(AUDIT_ARCH_AARCH64, 1, 1);
	run(AUDIT_ARCH_I386, 1, 1);
	return 0;
}

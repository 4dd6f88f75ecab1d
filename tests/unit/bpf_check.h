/* SPDX-License-Identifier: MIT */
/*
 * Classic BPF as seccomp runs it, for the unit tests of keel's filters
 * (the default one and Localhost profiles): a check that a program is one
 * the kernel takes and that every path ends in a return, and an
 * interpreter of the instructions keel's builder emits. Include after
 * cmocka.h.
 */
#ifndef KEEL_TESTS_BPF_CHECK_H
#define KEEL_TESTS_BPF_CHECK_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Loads of seccomp_data words; jumps forward and inside; a return last */
static inline void bpf_check_well_formed(const struct sock_filter *prog,
					 size_t n)
{
	assert_true(n > 0 && n <= BPF_MAXINSNS);
	assert_int_equal(prog[n - 1].code, BPF_RET | BPF_K);
	for (size_t i = 0; i < n; i++) {
		const struct sock_filter *f = &prog[i];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k % 4 == 0 &&
				    f->k < sizeof(struct seccomp_data));
			break;
		case BPF_JMP | BPF_JA:
			assert_true(i + 1 + f->k < n);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			assert_true(i + 1 + f->jt < n);
			assert_true(i + 1 + f->jf < n);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_RET | BPF_K:
			break;
		default:
			fail_msg("instruction %zu: code %#x", i, f->code);
		}
	}
}

/* The verdict prog gives for the call d */
static inline uint32_t bpf_run(const struct sock_filter *prog, size_t n,
			       const struct seccomp_data *d)
{
	uint32_t a = 0;
	size_t pc = 0;

	while (pc < n) {
		const struct sock_filter *f = &prog[pc++];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, (const char *)d + f->k, sizeof(a));
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += a & f->k ? f->jt : f->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fail_msg("instruction %zu: code %#x", pc - 1, f->code);
		}
	}
	fail_msg("ran off the end");
	return 0;
}

#endif

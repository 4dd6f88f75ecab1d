/* SPDX-License-Identifier: MIT */
#ifndef KEEL_BPF_H
#define KEEL_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A classic BPF program written in two passes, for seccomp filters: the
 * first (f NULL) only counts and learns where each label falls, the
 * second writes the instructions with the jumps resolved. A jump is a
 * count of instructions to skip, or BPF_L(label), always forward; a jump
 * past 255 instructions is an error (-ERANGE), a program past max is
 * -E2BIG. The first error is kept in err.
 */

/*
 * The architecture a filter is for: its numbers are this build's. Only
 * little-endian ABIs: BPF_OFF_LO is the low half of an argument.
 */
#include <linux/audit.h>
#if defined(__x86_64__)
#define BPF_NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BPF_NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "bpf.h: no seccomp filter for this architecture"
#endif

#define BPF_LABELS 8
#define BPF_L(label) (~(int)(label))

/* seccomp_data's fields; a 64-bit argument is read a 32-bit half at a time */
#define BPF_OFF_NR offsetof(struct seccomp_data, nr)
#define BPF_OFF_ARCH offsetof(struct seccomp_data, arch)
#define BPF_OFF_LO(i) offsetof(struct seccomp_data, args[i])
#define BPF_OFF_HI(i) (offsetof(struct seccomp_data, args[i]) + 4)

struct bpf_prog {
	struct sock_filter *f; /* NULL in the first pass */
	size_t n, max;
	size_t at[BPF_LABELS];
	int err;
};

void bpf_put(struct bpf_prog *p, uint16_t code, uint32_t k, int jt, int jf);
/* A = the 32-bit word of seccomp_data at off */
void bpf_load(struct bpf_prog *p, uint32_t off);
/* if (A op k) skip jt else skip jf; op BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET */
void bpf_jump(struct bpf_prog *p, uint16_t op, uint32_t k, int jt, int jf);
void bpf_ret(struct bpf_prog *p, uint32_t action);
/* the next instruction is where label l falls */
void bpf_label(struct bpf_prog *p, unsigned l);

#endif

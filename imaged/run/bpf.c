// SPDX-License-Identifier: MIT
#include "run/bpf.h"

#include <errno.h>

static uint8_t offset(struct bpf_prog *p, int to)
{
	long off = to;

	if (to < 0)
		off = (long)p->at[~to] - (long)p->n - 1;
	if (off < 0 || off > 255) {
		/* (the first pass does not know forward labels yet) */
		if (p->f || to >= 0)
			p->err = -ERANGE;
		return 0;
	}
	return (uint8_t)off;
}

void bpf_put(struct bpf_prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
	uint8_t t = offset(p, jt), f = offset(p, jf);

	if (p->n == p->max) {
		if (!p->err)
			p->err = -E2BIG;
		return;
	}
	if (p->f)
		p->f[p->n] = (struct sock_filter){ code, t, f, k };
	p->n++;
}

void bpf_load(struct bpf_prog *p, uint32_t off)
{
	bpf_put(p, BPF_LD | BPF_W | BPF_ABS, off, 0, 0);
}

void bpf_jump(struct bpf_prog *p, uint16_t op, uint32_t k, int jt, int jf)
{
	bpf_put(p, BPF_JMP | op | BPF_K, k, jt, jf);
}

void bpf_ret(struct bpf_prog *p, uint32_t action)
{
	bpf_put(p, BPF_RET | BPF_K, action, 0, 0);
}

void bpf_label(struct bpf_prog *p, unsigned l)
{
	if (l < BPF_LABELS)
		p->at[l] = p->n;
}

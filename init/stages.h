/* SPDX-License-Identifier: MIT */
#ifndef KEEL_STAGES_H
#define KEEL_STAGES_H

/* Neither returns: PID 1 has nowhere to return to. */
void stage1(void) __attribute__((noreturn));
void stage2(void) __attribute__((noreturn));

#endif

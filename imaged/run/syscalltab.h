/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SYSCALLTAB_H
#define KEEL_SYSCALLTAB_H

/*
 * A system call's number by its name ("mkdirat"), on the architecture
 * this is built for, or -1 when it has no such call. The table
 * (syscalltab.c) is written by scripts/mksyscalltab.
 */
int syscalltab_number(const char *name);

#endif

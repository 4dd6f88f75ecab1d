/* SPDX-License-Identifier: MIT */
#ifndef KEEL_IMAGECTL_H
#define KEEL_IMAGECTL_H

/* The imagectl client: argv as the user typed it; its exit code. */
int imagectl_main(int argc, char **argv);

#endif

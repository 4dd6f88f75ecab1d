/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DAEMON_H
#define KEEL_DAEMON_H

/* The daemon: argv as init started it; returns only on failure. */
int imaged_main(int argc, char **argv);

#endif

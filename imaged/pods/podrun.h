/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODRUN_H
#define KEEL_PODRUN_H

/*
 * imagectl run [--net=host] [--host-users=BOOL] IMAGE [COMMAND [ARG]...]:
 * one container, run to its end and removed, its output in the answer
 * (docker run --rm). A child of the daemon waits for it.
 */
void pods_run_once(int fd, int argc, char **argv);

#endif

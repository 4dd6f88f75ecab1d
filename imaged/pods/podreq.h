/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODREQ_H
#define KEEL_PODREQ_H

#include <stdbool.h>

/* apply, delete, pods/ps, stop, start. false when argv is none of them. */
bool pods_handle(int fd, int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODEXEC_H
#define KEEL_PODEXEC_H

/* imagectl logs and exec, which read the host directly */
int pod_logs_main(int argc, char **argv);
int pod_exec_main(int argc, char **argv);

#endif

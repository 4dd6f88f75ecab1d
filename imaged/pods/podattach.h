/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PODATTACH_H
#define KEEL_PODATTACH_H

/*
 * imagectl attach [-n NS] POD [-c CONTAINER]: to a running container's
 * stdin and output through its shim's socket (run/attach.h), as kubectl
 * attach -i (-t for a tty container) and podman attach. Done by imagectl
 * itself, as exec is: imaged is not needed.
 */
int pod_attach_main(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PAUSE_H
#define KEEL_PAUSE_H

/*
 * keel-pause: pid 1 of a pod's shared PID namespace
 * (shareProcessNamespace), reaping what ends there until it is killed
 * with the pod (the kubelet's pause container, without an image).
 */
int pods_pause_main(void) __attribute__((noreturn));

#endif

/* SPDX-License-Identifier: MIT */
#ifndef KEEL_IMAGED_H
#define KEEL_IMAGED_H

#include "file.h" /* read_text(), write_atomic() */

/* Where imaged keeps and finds things on a keel host. */
#define IMAGED_SOCKET "/run/imaged.sock"
#define IMAGED_CONF "/etc/keel/imaged.conf"
#define IMAGED_RUN_DIR "/run/imaged"
#define UPDATE_STATUS_FILE IMAGED_RUN_DIR "/update.status"
#define GATE_STATUS_FILE IMAGED_RUN_DIR "/gate.status"
#define CHANNEL_STATUS_FILE IMAGED_RUN_DIR "/channel.status"
#define WORKLOADS_STATUS_FILE IMAGED_RUN_DIR "/workloads.status"
#define MACHINE_ID_FILE "/var/lib/keel/machine-id"
/* The user's settings on the ESP, over IMAGED_CONF (README.md) */
#define ESP_UPDATE_CONF "/boot/config/update.conf"
#define UPDATE_STATE_DIR "/var/lib/keel/update"
#define UPDATE_KEYS_DIR "/etc/keel/update-keys"
#define ESP_DIR "/boot"
#define BOOTSTATE_DIR ESP_DIR "/EFI/keel"
#define OS_RELEASE "/etc/os-release"
/* Test images only (CONFIG_KEEL_IMAGED_FAULTS): the step to die at. */
#define FAULT_FILE "/run/imaged.fault"

#endif

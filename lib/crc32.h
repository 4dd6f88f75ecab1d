/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32 as IEEE 802.3, zlib, GPT (UEFI 2.x section 5.3) and U-Boot's
 * environment use it: reflected polynomial 0xEDB88320, initial and final
 * inversion. Chain calls by passing the previous result; start with 0.
 */
uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of
 * zlib, gzip, PNG and Python's zlib.crc32, so host tools and tests can
 * compute the same value. It detects corruption, not tampering.
 * Pure logic: built into the kernel and into host programs.
 */
#ifndef SLUICE_CRC32_H
#define SLUICE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue @crc (0 to start) over @len bytes at @buf, like zlib's crc32():
 * crc32_update(crc32_update(0, a, n), b, m) is the CRC of a then b.
 */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Table-driven CRC-32, one byte per step. The table is built on first use
 * rather than spelled out: 256 entries of constants are easy to get wrong
 * and hard to review, the loop below is the definition. Callers run in the
 * event loop or at start-up (one thread), so the lazy build needs no lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/crc32.h"

#define CRC32_POLY 0xedb88320u /* bit-reversed 0x04C11DB7 */

static uint32_t table[256];
static bool table_ready;

static void build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32_POLY : c >> 1;
		table[i] = c;
	}
	table_ready = true;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!table_ready)
		build_table();
	crc = ~crc; /* zlib's convention: pre- and post-inverted */
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

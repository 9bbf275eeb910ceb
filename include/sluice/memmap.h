/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Physical memory map: what the boot loader (Xen toolstack or QEMU's pvh.bin)
 * tells us about guest-physical memory, turned into something the page
 * allocator can trust. Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_MEMMAP_H
#define SLUICE_MEMMAP_H

#include <stdint.h>

/* E820 / hvm_memmap_table_entry types (Xen public arch-x86/hvm/start_info.h). */
enum memmap_type {
	MEMMAP_RAM = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI = 3,
	MEMMAP_NVS = 4,
	MEMMAP_UNUSABLE = 5,
	MEMMAP_DISABLED = 6,
	MEMMAP_PMEM = 7,
};

/* pvh.bin passes at most 128 entries; Xen's e820 is far smaller. */
#define MEMMAP_MAX 128

struct memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct memmap {
	unsigned int n;
	struct memmap_entry e[MEMMAP_MAX];
};

/*
 * Append an entry as received (untrusted). Entries with size 0 are ignored;
 * addr + size is clipped at 2^64. Returns 0, or -E2BIG when full.
 */
int memmap_add(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type);

/*
 * Make the map trustworthy: sort by address, resolve overlaps (any non-RAM
 * type wins over RAM; among non-RAM types the higher type number wins),
 * treat unknown types as RESERVED, merge adjacent entries of the same type,
 * and shrink RAM entries inwards to 4 KiB boundaries (dropping those that
 * become empty). The result is sorted and non-overlapping.
 * Returns 0, or -E2BIG if splitting would exceed MEMMAP_MAX (the map is
 * then left unchanged).
 */
int memmap_sanitize(struct memmap *m);

/*
 * Mark [addr, addr + size) as @type on a sanitized map (e.g. the kernel
 * image or boot structures as RESERVED), splitting RAM entries as needed.
 * Overlaps resolve as in memmap_sanitize(), so a stronger existing type
 * (e.g. NVS) is kept. The map stays sanitized; on error it is unchanged.
 * Returns 0, -EINVAL (size 0 / overflow) or -E2BIG.
 */
int memmap_reserve(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type);

/* Total bytes of RAM in a sanitized map. */
uint64_t memmap_ram_bytes(const struct memmap *m);

/*
 * Find a page-aligned range of @size bytes, aligned to @align (a power of two
 * >= 4096), that no entry describes at all (a hole: neither RAM nor
 * reserved), lying entirely within [@min, @max). Searches from the top
 * down, so that holes just below @max are preferred (Xen's special pages sit
 * just below 4 GiB and the highest free hole is the customary choice).
 * @size is rounded up to whole pages. Returns 0 and sets *@addr, or
 * -ENOSPC / -EINVAL.
 */
int memmap_find_hole(const struct memmap *m, uint64_t size, uint64_t align, uint64_t min,
		     uint64_t max, uint64_t *addr);

/* Human-readable name of a type ("RAM", "reserved", ..., "unknown"). */
const char *memmap_type_name(uint32_t type);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The first C code: copy what the loader handed us out of loader memory
 * before anything can overwrite it (docs/boot.md §2, §5 step 2), and validate it.
 * start_info comes from the toolstack or firmware: every pointer and count
 * is checked against what the boot page tables map before it is followed.
 */
#include <string.h>

#include "sluice/boot.h"
#include "sluice/kernel.h"
#include "sluice/random.h"
#include "sluice/x86.h"

#define BOOT_MAP_LIMIT (1ULL << 30) /* what boot.S identity-maps */

struct boot_info boot_info;
uint64_t boot_tsc_entry;

void kernel_main(void);

static bool in_boot_map(uint64_t pa, uint64_t len)
{
	return pa != 0 && len <= BOOT_MAP_LIMIT && pa <= BOOT_MAP_LIMIT - len;
}

static void copy_cmdline(uint64_t pa)
{
	const char *src = (const char *)pa;
	size_t i;

	if (!pa)
		return;
	if (!in_boot_map(pa, CMDLINE_MAX)) {
		boot_info.error = "command line outside the boot map";
		return;
	}
	for (i = 0; i < CMDLINE_MAX - 1 && src[i]; i++)
		boot_info.cmdline[i] = src[i];
	boot_info.cmdline[i] = '\0';
	if (src[i] != '\0')
		boot_info.error = "command line longer than 4095 bytes";
}

static void copy_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e = (const void *)si->memmap_paddr;
	uint32_t n = si->memmap_entries;

	if (si->version < 1 || n == 0) {
		/* Xen's XENMEM_memory_map fallback is the Xen platform layer's job. */
		boot_info.error = "no memory map in start_info";
		return;
	}
	if (n > MEMMAP_MAX || !in_boot_map(si->memmap_paddr, (uint64_t)n * sizeof(*e))) {
		boot_info.error = "memory map too large or outside the boot map";
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		memmap_add(&boot_info.raw_memmap, e[i].addr, e[i].size, e[i].type);
}

/* Entered from boot.S with the physical address of hvm_start_info. */
__attribute__((noreturn, no_stack_protector)) void kernel_entry(uint64_t start_info)
{
	const struct hvm_start_info *si = (const void *)start_info;

	boot_tsc_entry = rdtsc();
	ssp_init(); /* before any function with a canary is entered */

	if (!in_boot_map(start_info, sizeof(*si)) || si->magic != XEN_HVM_START_MAGIC) {
		boot_info.error = "bad hvm_start_info (magic or address)";
	} else {
		boot_info.si = *si;
		copy_cmdline(si->cmdline_paddr);
		copy_memmap(si);
	}
	kernel_main();
	cpu_halt_forever();
}

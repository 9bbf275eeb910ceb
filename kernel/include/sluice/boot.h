/* SPDX-License-Identifier: BSD-2-Clause */
/* What the boot loader told us, copied out of loader memory before anything else. */
#ifndef SLUICE_BOOT_H
#define SLUICE_BOOT_H

#include <stdint.h>

#include "sluice/cmdline.h"
#include "sluice/memmap.h"

#define XEN_HVM_START_MAGIC 0x336ec578

/* xen/include/public/arch-x86/hvm/start_info.h, 56 bytes. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct boot_info {
	struct hvm_start_info si; /* copy */
	char cmdline[CMDLINE_MAX];
	struct memmap raw_memmap; /* as received, unsanitized */
	const char *error;	  /* set when start_info was unusable */
};

extern struct boot_info boot_info;

#endif

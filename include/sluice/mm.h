/* SPDX-License-Identifier: BSD-2-Clause */
/* Memory management: boot memory map, page allocator, page tables, heap. */
#ifndef SLUICE_MM_H
#define SLUICE_MM_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/memmap.h"
#include "sluice/pagealloc.h"

/* Mapping attributes for paging_map(). */
enum pg_attr {
	PG_RW = 1 << 0,	  /* writable (otherwise read-only) */
	PG_EXEC = 1 << 1, /* executable (otherwise NX, when the CPU has NX) */
	PG_UC = 1 << 2,	  /* uncached: device MMIO */
};

/* The sanitized boot memory map (RAM, reserved ranges, the kernel image). */
extern struct memmap boot_memmap;
extern struct pagealloc page_allocator;

/*
 * Build the sanitized memory map from start_info's, set up the page
 * allocator and switch to the kernel's own page tables. Called once, early.
 */
void mm_init(void);

/*
 * Identity-map [@paddr, @paddr + @size) with @attr (rounded out to pages).
 * Ranges already mapped are remapped with the new attributes. Page-table
 * pages come from the page allocator. Returns 0 or -ENOMEM / -EINVAL.
 */
int paging_map(uint64_t paddr, uint64_t size, unsigned int attr);

/* Remove the mapping of [@paddr, @paddr + @size) (page granular). */
int paging_unmap(uint64_t paddr, uint64_t size);

/* Allocate/free zeroed, identity-mapped pages (RW, NX). NULL on exhaustion. */
void *page_alloc(size_t npages);
void page_free(void *p, size_t npages);

/* Is @addr inside one of the stack guard pages? Sets *@name if so. */
int mm_is_guard_page(uint64_t addr, const char **name);

/* Heap statistics for the boot banner and benchmarks. */
uint64_t mm_heap_size(void);
uint64_t mm_heap_used(void);
uint64_t mm_ram_bytes(void);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Physical memory: the sanitized boot map, the page allocator over its RAM,
 * and the heap behind picolibc's malloc (sbrk), sized from the RAM present.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sluice/boot.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/x86.h"

void paging_init(void);

#define LOW_MEMORY (1ULL << 20)	  /* BIOS data, EBDA, option ROMs: never allocated */
#define BITMAP_LIMIT (1ULL << 30) /* bitmaps must be reachable through the boot map */
/*
 * Share of free RAM given to the heap; the rest stays with the page
 * allocator for page-granular users (rings, DMA buffers, page tables).
 */
#define HEAP_SHARE_NUM 3
#define HEAP_SHARE_DEN 4

extern char _kernel_start[], _kernel_end[];

struct memmap boot_memmap;
struct pagealloc page_allocator;

static uint8_t *heap_start, *heap_brk, *heap_end;

/* Find room for the allocator bitmaps: RAM above the kernel, in the boot map. */
static uint64_t place_bitmaps(uint64_t bytes)
{
	uint64_t kend = ALIGN_UP((uint64_t)_kernel_end, PAGE_SIZE);

	for (unsigned int i = 0; i < boot_memmap.n; i++) {
		const struct memmap_entry *e = &boot_memmap.e[i];
		uint64_t start = MAX(e->addr, kend), end = MIN(e->addr + e->size, BITMAP_LIMIT);

		if (e->type == MEMMAP_RAM && start < end && end - start >= bytes)
			return start;
	}
	return 0;
}

static void pagealloc_setup(void)
{
	uint64_t bytes = 0, at, off = 0;

	for (unsigned int i = 0; i < boot_memmap.n; i++)
		if (boot_memmap.e[i].type == MEMMAP_RAM)
			bytes += pagealloc_bitmap_bytes(boot_memmap.e[i].size / PAGE_SIZE);
	bytes = ALIGN_UP(bytes, PAGE_SIZE);
	at = place_bitmaps(bytes);
	if (!at)
		panic("mm: no room for %llu bytes of page bitmaps", (unsigned long long)bytes);
	memset((void *)at, 0, bytes);

	pagealloc_init(&page_allocator);
	for (unsigned int i = 0; i < boot_memmap.n; i++) {
		const struct memmap_entry *e = &boot_memmap.e[i];
		uint64_t npages = e->size / PAGE_SIZE;

		if (e->type != MEMMAP_RAM)
			continue;
		if (pagealloc_add_region(&page_allocator, e->addr, npages, (uint64_t *)(at + off)) <
		    0) {
			kprintf("mm: ignoring RAM at %#llx (too many regions)\n",
				(unsigned long long)e->addr);
			continue;
		}
		off += pagealloc_bitmap_bytes(npages);
	}
	/* The kernel image and the bitmaps themselves are in use. */
	pagealloc_reserve(&page_allocator, (uint64_t)_kernel_start,
			  (ALIGN_UP((uint64_t)_kernel_end, PAGE_SIZE) - (uint64_t)_kernel_start) /
				  PAGE_SIZE);
	pagealloc_reserve(&page_allocator, at, bytes / PAGE_SIZE);
}

static void heap_setup(void)
{
	uint64_t want = page_allocator.free_pages * HEAP_SHARE_NUM / HEAP_SHARE_DEN, pa;

	/* RAM may be fragmented: settle for the largest contiguous run we get. */
	while (want >= 16 && pagealloc_alloc(&page_allocator, want, 1, &pa) < 0)
		want = want * 7 / 8;
	if (want < 16)
		panic("mm: not enough memory for a heap (%llu pages free)",
		      (unsigned long long)page_allocator.free_pages);
	heap_start = heap_brk = (uint8_t *)pa;
	heap_end = heap_start + want * PAGE_SIZE;
}

void mm_init(void)
{
	int rc;

	boot_memmap = boot_info.raw_memmap;
	rc = memmap_sanitize(&boot_memmap);
	if (rc == 0)
		rc = memmap_reserve(&boot_memmap, 0, LOW_MEMORY, MEMMAP_RESERVED);
	if (rc < 0)
		panic("mm: unusable memory map (%d)", rc);
	if (memmap_ram_bytes(&boot_memmap) == 0)
		panic("mm: the memory map has no RAM");

	pagealloc_setup();
	paging_init();
	heap_setup();
}

void *page_alloc(size_t npages)
{
	uint64_t flags = irq_save(), pa;
	int rc = pagealloc_alloc(&page_allocator, npages, 1, &pa);

	irq_restore(flags);
	if (rc < 0)
		return NULL;
	memset((void *)pa, 0, npages * PAGE_SIZE);
	return (void *)pa;
}

void page_free(void *p, size_t npages)
{
	uint64_t flags = irq_save();
	int rc = pagealloc_free(&page_allocator, (uint64_t)p, npages);

	irq_restore(flags);
	if (rc < 0)
		panic("page_free(%p, %zu): not allocated", p, npages);
}

/* picolibc's malloc grows its arena through sbrk(). */
void *sbrk(ptrdiff_t incr)
{
	uint8_t *old = heap_brk;

	if (!heap_start || (incr > 0 && (uint64_t)incr > (uint64_t)(heap_end - heap_brk)) ||
	    (incr < 0 && (uint64_t)-incr > (uint64_t)(heap_brk - heap_start))) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_brk += incr;
	return old;
}

uint64_t mm_heap_size(void)
{
	return (uint64_t)(heap_end - heap_start);
}

uint64_t mm_heap_used(void)
{
	return (uint64_t)(heap_brk - heap_start);
}

uint64_t mm_ram_bytes(void)
{
	return memmap_ram_bytes(&boot_memmap);
}

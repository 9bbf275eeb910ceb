/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Physical page allocator: one bitmap per RAM region, first fit with a
 * next-fit hint, contiguous and aligned multi-page allocations. It deals in
 * physical addresses only and never touches the pages themselves, so the
 * same code runs in host unit tests.
 */
#ifndef SLUICE_PAGEALLOC_H
#define SLUICE_PAGEALLOC_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGEALLOC_MAX_REGIONS 16

struct pa_region {
	uint64_t base;	  /* physical address of the first page, page aligned */
	uint64_t npages;  /* pages in the region */
	uint64_t nfree;	  /* free pages in the region */
	uint64_t hint;	  /* page index where the next search starts */
	uint64_t *bitmap; /* 1 bit per page, set = in use */
};

struct pagealloc {
	unsigned int nregions;
	uint64_t total_pages;
	uint64_t free_pages;
	struct pa_region r[PAGEALLOC_MAX_REGIONS];
};

/* Bytes of bitmap storage a region of @npages needs (a multiple of 8). */
size_t pagealloc_bitmap_bytes(uint64_t npages);

void pagealloc_init(struct pagealloc *pa);

/*
 * Add a region [@base, @base + @npages pages), all pages free. @bitmap must
 * hold pagealloc_bitmap_bytes(@npages) bytes and stay valid for the life of
 * the allocator. Regions must not overlap. Returns 0, -EINVAL (unaligned
 * base, 0 pages, overlap, overflow) or -E2BIG (too many regions).
 */
int pagealloc_add_region(struct pagealloc *pa, uint64_t base, uint64_t npages, uint64_t *bitmap);

/*
 * Mark [@addr, @addr + @npages pages) in use (pages outside every region are
 * ignored, so callers can reserve ranges without knowing region bounds).
 * Returns the number of pages newly marked.
 */
uint64_t pagealloc_reserve(struct pagealloc *pa, uint64_t addr, uint64_t npages);

/*
 * Allocate @npages contiguous pages whose address is a multiple of
 * @align_pages pages (0 or 1 = no constraint; otherwise a power of two).
 * Returns 0 and sets *@addr, -EINVAL, or -ENOMEM.
 */
int pagealloc_alloc(struct pagealloc *pa, uint64_t npages, uint64_t align_pages, uint64_t *addr);

/*
 * Free pages previously allocated. Freeing a page that is not in use or not
 * in any region is refused as a whole (nothing is freed) with -EINVAL:
 * double frees are bugs and must be reported, not absorbed.
 */
int pagealloc_free(struct pagealloc *pa, uint64_t addr, uint64_t npages);

/* Is the page at @addr in use? (-EINVAL if not in any region.) */
int pagealloc_in_use(const struct pagealloc *pa, uint64_t addr);

#endif

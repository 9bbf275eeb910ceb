// SPDX-License-Identifier: BSD-2-Clause
/*
 * Physical page allocator: one bitmap per region, bit set = page in use.
 *
 * Allocation is first fit (lowest address) over regions sorted by base.
 * Each region's hint keeps first fit cheap: every page below the hint is in
 * use, so searches start there and never miss a free page. Allocating page
 * after page therefore costs O(1) each instead of rescanning the region.
 * Scans step a whole 64-bit word at a time and skip full words (all ones)
 * with a single compare, so large mostly-used regions are cheap to cross.
 *
 * Bits past the end of a region in its last bitmap word are kept set, so a
 * "free" bit always names a real page and scans need no tail special case.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice/pagealloc.h"

#define PA_PAGE_MASK (PAGE_SIZE - 1)
/* Page frame numbers of 64-bit physical addresses are below 2^52. */
#define PA_PFN_LIMIT (1ULL << (64 - PAGE_SHIFT))

static uint64_t region_pfn(const struct pa_region *r)
{
	return r->base >> PAGE_SHIFT;
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned int lo, unsigned int hi)
{
	uint64_t m = ~0ULL << lo;

	if (hi < 64)
		m &= ~(~0ULL << hi);
	return m;
}

/* Portable popcount: __builtin_popcountll would call libgcc without -mpopcnt. */
static unsigned int popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((x * 0x0101010101010101ULL) >> 56);
}

/* First index in [from, limit) whose bit equals @val, or @limit if none. */
static uint64_t find_next(const uint64_t *bm, uint64_t from, uint64_t limit, bool val)
{
	uint64_t flip = val ? 0 : ~0ULL;

	while (from < limit) {
		uint64_t w = from >> 6;
		/* Searching for zeros, a full word flips to 0 and is skipped here. */
		uint64_t bits = (bm[w] ^ flip) & (~0ULL << (from & 63));

		if (bits) {
			uint64_t i = (w << 6) + (uint64_t)__builtin_ctzll(bits);

			return i < limit ? i : limit;
		}
		from = (w + 1) << 6;
	}
	return limit;
}

/*
 * Set (@set) or clear bits [from, to), a word at a time. Returns how many
 * bits actually changed.
 */
static uint64_t change_bits(uint64_t *bm, uint64_t from, uint64_t to, bool set)
{
	uint64_t changed = 0;

	while (from < to) {
		uint64_t w = from >> 6;
		uint64_t span = to - (w << 6);
		unsigned int hi = span >= 64 ? 64 : (unsigned int)span;
		uint64_t mask = word_mask((unsigned int)(from & 63), hi);

		if (set) {
			changed += popcount64(mask & ~bm[w]);
			bm[w] |= mask;
		} else {
			changed += popcount64(mask & bm[w]);
			bm[w] &= ~mask;
		}
		from = (w << 6) + hi;
	}
	return changed;
}

static struct pa_region *find_region(struct pagealloc *pa, uint64_t pfn)
{
	for (unsigned int i = 0; i < pa->nregions; i++) {
		struct pa_region *r = &pa->r[i];

		if (pfn >= region_pfn(r) && pfn - region_pfn(r) < r->npages)
			return r;
	}
	return NULL;
}

size_t pagealloc_bitmap_bytes(uint64_t npages)
{
	return (size_t)((npages >> 6) + ((npages & 63) ? 1 : 0)) * sizeof(uint64_t);
}

void pagealloc_init(struct pagealloc *pa)
{
	memset(pa, 0, sizeof(*pa));
}

/* Region sanity: the memory map is sanitized, but a bad caller must not corrupt us. */
static int region_check(const struct pagealloc *pa, uint64_t base, uint64_t npages,
			const uint64_t *bitmap)
{
	uint64_t pfn = base >> PAGE_SHIFT;

	if (!bitmap || npages == 0 || (base & PA_PAGE_MASK))
		return -EINVAL;
	if (npages > PA_PFN_LIMIT - pfn)
		return -EINVAL;
	for (unsigned int i = 0; i < pa->nregions; i++) {
		const struct pa_region *r = &pa->r[i];

		if (pfn < region_pfn(r) + r->npages && region_pfn(r) < pfn + npages)
			return -EINVAL;
	}
	if (pa->nregions >= PAGEALLOC_MAX_REGIONS)
		return -E2BIG;
	return 0;
}

int pagealloc_add_region(struct pagealloc *pa, uint64_t base, uint64_t npages, uint64_t *bitmap)
{
	size_t words = pagealloc_bitmap_bytes(npages) / sizeof(uint64_t);
	unsigned int pos = 0;
	int rc;

	rc = region_check(pa, base, npages, bitmap);
	if (rc)
		return rc;
	memset(bitmap, 0, words * sizeof(uint64_t));
	if (npages & 63)
		bitmap[words - 1] = ~0ULL << (npages & 63);

	/* Keep regions sorted by base so that first fit means lowest address. */
	while (pos < pa->nregions && pa->r[pos].base < base)
		pos++;
	memmove(&pa->r[pos + 1], &pa->r[pos], (pa->nregions - pos) * sizeof(pa->r[0]));
	pa->r[pos].base = base;
	pa->r[pos].npages = npages;
	pa->r[pos].nfree = npages;
	pa->r[pos].hint = 0;
	pa->r[pos].bitmap = bitmap;
	pa->nregions++;
	pa->total_pages += npages;
	pa->free_pages += npages;
	return 0;
}

uint64_t pagealloc_reserve(struct pagealloc *pa, uint64_t addr, uint64_t npages)
{
	uint64_t first = addr >> PAGE_SHIFT, end, marked = 0;

	/*
	 * Reserve every page the byte range touches (an unaligned start spills
	 * into one more page), clipping at the top instead of wrapping.
	 */
	end = npages > PA_PFN_LIMIT - first ? PA_PFN_LIMIT : first + npages;
	if ((addr & PA_PAGE_MASK) && npages && end < PA_PFN_LIMIT)
		end++;
	for (unsigned int i = 0; i < pa->nregions; i++) {
		struct pa_region *r = &pa->r[i];
		uint64_t lo = region_pfn(r), hi = region_pfn(r) + r->npages, n;

		lo = first > lo ? first : lo;
		hi = end < hi ? end : hi;
		if (lo >= hi)
			continue;
		n = change_bits(r->bitmap, lo - region_pfn(r), hi - region_pfn(r), true);
		r->nfree -= n;
		pa->free_pages -= n;
		marked += n;
	}
	return marked;
}

/* Smallest index >= @i whose pfn is a multiple of @align, if it fits @n pages. */
static bool fit_at(const struct pa_region *r, uint64_t i, uint64_t n, uint64_t align, uint64_t *out)
{
	uint64_t mis = (region_pfn(r) + i) & (align - 1);

	if (mis) {
		if (align - mis >= r->npages - i)
			return false;
		i += align - mis;
	}
	if (n > r->npages - i)
		return false;
	*out = i;
	return true;
}

/*
 * First fit inside one region, starting at the hint. Each round finds the
 * next free page, aligns up, and looks for a used page inside the candidate
 * run; if there is one the search resumes just after it.
 */
static int region_alloc(struct pa_region *r, uint64_t n, uint64_t align, uint64_t *idx)
{
	uint64_t from = r->hint, first_free = r->npages;

	for (;;) {
		uint64_t i = find_next(r->bitmap, from, r->npages, false), c, used;

		if (i == r->npages)
			break;
		if (first_free == r->npages)
			first_free = i;
		if (!fit_at(r, i, n, align, &c))
			break;
		used = find_next(r->bitmap, c, c + n, true);
		if (used == c + n) {
			change_bits(r->bitmap, c, c + n, true);
			r->nfree -= n;
			/* Pages below the hint must all be in use. */
			r->hint = c == first_free ? c + n : first_free;
			*idx = c;
			return 0;
		}
		from = used + 1;
	}
	r->hint = first_free;
	return -ENOMEM;
}

int pagealloc_alloc(struct pagealloc *pa, uint64_t npages, uint64_t align_pages, uint64_t *addr)
{
	uint64_t idx;

	if (align_pages == 0)
		align_pages = 1;
	if (npages == 0 || (align_pages & (align_pages - 1)))
		return -EINVAL;
	for (unsigned int i = 0; i < pa->nregions; i++) {
		struct pa_region *r = &pa->r[i];

		if (r->nfree < npages)
			continue;
		if (region_alloc(r, npages, align_pages, &idx) == 0) {
			pa->free_pages -= npages;
			*addr = r->base + (idx << PAGE_SHIFT);
			return 0;
		}
	}
	return -ENOMEM;
}

/*
 * Walk [pfn, end) region by region. Without @apply only check that every
 * page is inside a region and in use; with @apply clear the pages.
 */
static int free_walk(struct pagealloc *pa, uint64_t pfn, uint64_t end, bool apply)
{
	while (pfn < end) {
		struct pa_region *r = find_region(pa, pfn);
		uint64_t idx, cnt;

		if (!r)
			return -EINVAL;
		idx = pfn - region_pfn(r);
		cnt = end - pfn < r->npages - idx ? end - pfn : r->npages - idx;
		if (!apply) {
			if (find_next(r->bitmap, idx, idx + cnt, false) != idx + cnt)
				return -EINVAL;
		} else {
			change_bits(r->bitmap, idx, idx + cnt, false);
			r->nfree += cnt;
			pa->free_pages += cnt;
			if (idx < r->hint)
				r->hint = idx;
		}
		pfn += cnt;
	}
	return 0;
}

int pagealloc_free(struct pagealloc *pa, uint64_t addr, uint64_t npages)
{
	uint64_t pfn = addr >> PAGE_SHIFT;
	int rc;

	if (npages == 0 || (addr & PA_PAGE_MASK) || npages > PA_PFN_LIMIT - pfn)
		return -EINVAL;
	/* Validate the whole range first: a refused free must change nothing. */
	rc = free_walk(pa, pfn, pfn + npages, false);
	if (rc)
		return rc;
	return free_walk(pa, pfn, pfn + npages, true);
}

int pagealloc_in_use(const struct pagealloc *pa, uint64_t addr)
{
	uint64_t pfn = addr >> PAGE_SHIFT;

	for (unsigned int i = 0; i < pa->nregions; i++) {
		const struct pa_region *r = &pa->r[i];
		uint64_t idx = pfn - region_pfn(r);

		if (pfn >= region_pfn(r) && idx < r->npages)
			return (r->bitmap[idx >> 6] >> (idx & 63)) & 1;
	}
	return -EINVAL;
}

// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/pagealloc.c. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/pagealloc.h"

#define MiB (1ULL << 20)

/*
 * Every ck_assert sends a message to the parent process; loops running
 * hundreds of thousands of checks use this instead (same failure report).
 */
#define FAST_EQ(a, b)                                                                              \
	do {                                                                                       \
		long long fa_ = (long long)(a), fb_ = (long long)(b);                              \
		if (fa_ != fb_)                                                                    \
			ck_abort_msg("%s == %s failed: %lld != %lld", #a, #b, fa_, fb_);           \
	} while (0)
#define PG(n) ((uint64_t)(n)*PAGE_SIZE)

/* Bitmaps for up to 2^20 pages (128 KiB each). */
static uint64_t bm_a[(1 << 20) / 64], bm_b[(1 << 20) / 64], bm_c[(1 << 20) / 64];

static uint64_t sum_nfree(const struct pagealloc *pa)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < pa->nregions; i++)
		n += pa->r[i].nfree;
	return n;
}

/* Free counters must agree with each other and with the bitmaps. */
static void assert_counts(const struct pagealloc *pa)
{
	uint64_t total = 0;

	ck_assert_uint_eq(sum_nfree(pa), pa->free_pages);
	for (unsigned int i = 0; i < pa->nregions; i++) {
		const struct pa_region *r = &pa->r[i];
		uint64_t used = 0;

		for (uint64_t p = 0; p < r->npages; p++)
			used += (r->bitmap[p / 64] >> (p % 64)) & 1;
		ck_assert_uint_eq(r->npages - used, r->nfree);
		total += r->npages;
	}
	ck_assert_uint_eq(total, pa->total_pages);
}

START_TEST(test_bitmap_bytes)
{
	ck_assert_uint_eq(pagealloc_bitmap_bytes(0), 0);
	ck_assert_uint_eq(pagealloc_bitmap_bytes(1), 8);
	ck_assert_uint_eq(pagealloc_bitmap_bytes(64), 8);
	ck_assert_uint_eq(pagealloc_bitmap_bytes(65), 16);
	ck_assert_uint_eq(pagealloc_bitmap_bytes(1 << 20), 1 << 17);
	ck_assert_uint_eq(pagealloc_bitmap_bytes(1ULL << 52), 1ULL << 49);
}
END_TEST

START_TEST(test_add_region_errors)
{
	struct pagealloc pa;
	static uint64_t bms[PAGEALLOC_MAX_REGIONS + 1][1];

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x1800, 4, bm_a), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x1000, 0, bm_a), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x1000, 4, NULL), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0xffffffffffffe000ULL, 3, bm_a), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0xffffffffffffe000ULL, 2, bm_a), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x10000, 16, bm_b), 0);
	/* Overlaps: identical, inside, straddling either end. */
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x10000, 16, bm_c), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x12000, 1, bm_c), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0xf000, 2, bm_c), -EINVAL);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x1f000, 2, bm_c), -EINVAL);
	ck_assert_uint_eq(pa.nregions, 2);
	/* Touching is fine. */
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x20000, 1, bms[0]), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0xf000, 1, bms[1]), 0);
	for (unsigned int i = 4; i < PAGEALLOC_MAX_REGIONS; i++)
		ck_assert_int_eq(pagealloc_add_region(&pa, PG(i) << 20, 1, bms[i]), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, PG(99) << 20, 1, bms[PAGEALLOC_MAX_REGIONS]),
			 -E2BIG);
	ck_assert_uint_eq(pa.total_pages, 2 + 16 + 1 + 1 + (PAGEALLOC_MAX_REGIONS - 4));
	/* Kept sorted by base. */
	for (unsigned int i = 1; i < pa.nregions; i++)
		ck_assert_uint_lt(pa.r[i - 1].base, pa.r[i].base);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_alloc_basic)
{
	struct pagealloc pa;
	uint64_t a;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, MiB, 100, bm_a), 0);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 0, &a), 0);
	ck_assert_uint_eq(a, MiB);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB), 1);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB + 0xfff), 1);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB + PAGE_SIZE), 0);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB - 1), -EINVAL);
	ck_assert_int_eq(pagealloc_in_use(&pa, MiB + PG(100)), -EINVAL);
	ck_assert_int_eq(pagealloc_alloc(&pa, 3, 1, &a), 0);
	ck_assert_uint_eq(a, MiB + PG(1));
	ck_assert_uint_eq(pa.free_pages, 96);
	ck_assert_int_eq(pagealloc_alloc(&pa, 0, 1, &a), -EINVAL);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_alloc_alignment)
{
	struct pagealloc pa;
	uint64_t a;

	pagealloc_init(&pa);
	/* Base at pfn 1: alignment is of the physical address, not the index. */
	ck_assert_int_eq(pagealloc_add_region(&pa, PG(1), 1000, bm_a), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 4, &a), 0);
	ck_assert_uint_eq(a, PG(4));
	ck_assert_int_eq(pagealloc_alloc(&pa, 8, 8, &a), 0);
	ck_assert_uint_eq(a, PG(8));
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 512, &a), 0); /* 2 MiB aligned */
	ck_assert_uint_eq(a, 2 * MiB);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), 0); /* first fit: lowest free */
	ck_assert_uint_eq(a, PG(1));
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 2, &a), 0);
	ck_assert_uint_eq(a, PG(2));
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 3, &a), -EINVAL);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1024, &a), -ENOMEM); /* no 4 MiB boundary */
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1ULL << 63, &a), -ENOMEM);
	ck_assert_uint_eq(pa.free_pages, 1000 - 1 - 8 - 1 - 1 - 2);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct pagealloc pa;
	uint64_t a, before;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0, 10, bm_a), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, MiB, 5, bm_b), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 11, 1, &a), -ENOMEM); /* never spans regions */
	for (unsigned int i = 0; i < 15; i++)
		ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), 0);
	ck_assert_uint_eq(a, MiB + PG(4));
	ck_assert_uint_eq(pa.free_pages, 0);
	before = 0x5a5a;
	a = before;
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), -ENOMEM);
	ck_assert_uint_eq(a, before);
	ck_assert_int_eq(pagealloc_free(&pa, PG(3), 1), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), 0);
	ck_assert_uint_eq(a, PG(3));
	assert_counts(&pa);
}
END_TEST

START_TEST(test_fragmentation)
{
	struct pagealloc pa;
	uint64_t a;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0, 128, bm_a), 0);
	for (unsigned int i = 0; i < 128; i++)
		ck_assert_int_eq(pagealloc_alloc(&pa, 1, 0, &a), 0);
	for (unsigned int i = 0; i < 128; i += 2)
		ck_assert_int_eq(pagealloc_free(&pa, PG(i), 1), 0);
	ck_assert_uint_eq(pa.free_pages, 64);
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 1, &a), -ENOMEM);
	/* Make one pair free, high up, across a bitmap word boundary. */
	ck_assert_int_eq(pagealloc_free(&pa, PG(63), 1), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 1, &a), 0);
	ck_assert_uint_eq(a, PG(62));
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 2, &a), -ENOMEM);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), 0);
	ck_assert_uint_eq(a, 0);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_double_free_refused)
{
	struct pagealloc pa;
	uint64_t a, b, snap[2];
	struct pagealloc before;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x100000, 64, bm_a), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 1, &a), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 2, 1, &b), 0);
	ck_assert_uint_eq(b, a + PG(2));
	ck_assert_int_eq(pagealloc_free(&pa, a, 2), 0);

	memcpy(&before, &pa, sizeof(pa));
	memcpy(snap, bm_a, sizeof(snap));
	ck_assert_int_eq(pagealloc_free(&pa, a, 2), -EINVAL);	  /* plain double free */
	ck_assert_int_eq(pagealloc_free(&pa, a, 4), -EINVAL);	  /* half freed already */
	ck_assert_int_eq(pagealloc_free(&pa, b, 3), -EINVAL);	  /* runs into free pages */
	ck_assert_int_eq(pagealloc_free(&pa, b + 1, 1), -EINVAL); /* unaligned */
	ck_assert_int_eq(pagealloc_free(&pa, b, 0), -EINVAL);
	ck_assert_int_eq(pagealloc_free(&pa, 0x200000, 1), -EINVAL); /* no region */
	ck_assert_int_eq(pagealloc_free(&pa, 0xfffffffffffff000ULL, 2), -EINVAL);
	/* Nothing changed: counters, hints and bitmap. */
	ck_assert_mem_eq(&pa, &before, sizeof(pa));
	ck_assert_mem_eq(snap, bm_a, sizeof(snap));
	ck_assert_int_eq(pagealloc_in_use(&pa, b), 1);
	ck_assert_int_eq(pagealloc_free(&pa, b, 2), 0);
	ck_assert_uint_eq(pa.free_pages, 64);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_free_past_region_end)
{
	struct pagealloc pa;
	uint64_t a;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0, 4, bm_a), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 4, 1, &a), 0);
	ck_assert_int_eq(pagealloc_free(&pa, PG(2), 3), -EINVAL);
	ck_assert_uint_eq(pa.free_pages, 0);
	ck_assert_int_eq(pagealloc_free(&pa, PG(2), 2), 0);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_reserve_across_regions)
{
	struct pagealloc pa;
	uint64_t a;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x200000, 16, bm_b), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0x100000, 16, bm_a), 0);
	/* 0x108000..0x208000 covers the top half of one and the bottom half of the other. */
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0x108000, 0x100), 16);
	ck_assert_uint_eq(pa.free_pages, 16);
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0x108000, 0x100), 0); /* already marked */
	ck_assert_int_eq(pagealloc_in_use(&pa, 0x107000), 0);
	ck_assert_int_eq(pagealloc_in_use(&pa, 0x108000), 1);
	ck_assert_int_eq(pagealloc_in_use(&pa, 0x207000), 1);
	ck_assert_int_eq(pagealloc_in_use(&pa, 0x208000), 0);
	/* Outside every region: ignored. */
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0x300000, 10), 0);
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0xfffffffffffff000ULL, UINT64_MAX), 0);
	/* An unaligned start reserves every page the bytes touch: 0x100000 and 0x101000. */
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0x100800, 1), 2);
	ck_assert_int_eq(pagealloc_in_use(&pa, 0x101000), 1);
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0x102000, 0), 0);
	ck_assert_int_eq(pagealloc_alloc(&pa, 6, 1, &a), 0);
	ck_assert_uint_eq(a, 0x102000);
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), 0);
	ck_assert_uint_eq(a, 0x208000);
	/* Reserved pages can be freed like allocated ones. */
	ck_assert_int_eq(pagealloc_free(&pa, 0x108000, 8), 0);
	assert_counts(&pa);
}
END_TEST

START_TEST(test_adjacent_regions_free_span)
{
	struct pagealloc pa;

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0, 70, bm_a), 0);
	ck_assert_int_eq(pagealloc_add_region(&pa, PG(70), 30, bm_b), 0);
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0, 100), 100);
	ck_assert_uint_eq(pa.free_pages, 0);
	/* One free across the boundary between two regions. */
	ck_assert_int_eq(pagealloc_free(&pa, PG(60), 20), 0);
	ck_assert_uint_eq(pa.r[0].nfree, 10);
	ck_assert_uint_eq(pa.r[1].nfree, 10);
	ck_assert_int_eq(pagealloc_free(&pa, PG(79), 2), -EINVAL);
	ck_assert_uint_eq(pa.free_pages, 20);
	assert_counts(&pa);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_big_region_page_by_page)
{
	struct pagealloc pa;
	const uint64_t n = 1 << 20, base = 1ULL << 32;
	uint64_t a;
	double t0 = now_s();

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, base, n, bm_a), 0);
	/* Plain ifs in the hot loops: every ck_assert is a message to the parent. */
	for (uint64_t i = 0; i < n; i++) {
		if (pagealloc_alloc(&pa, 1, 1, &a) != 0 || a != base + PG(i))
			ck_abort_msg("page %llu at %#llx", (unsigned long long)i,
				     (unsigned long long)a);
	}
	ck_assert_int_eq(pagealloc_alloc(&pa, 1, 1, &a), -ENOMEM);
	for (uint64_t i = 0; i < n; i += 2) {
		if (pagealloc_free(&pa, base + PG(i), 1) != 0)
			ck_abort_msg("free of page %llu failed", (unsigned long long)i);
	}
	ck_assert_uint_eq(pa.free_pages, n / 2);
	/* Rescan from the bottom: all 2^20 / 2 holes again, still fast. */
	for (uint64_t i = 0; i < n; i += 2) {
		if (pagealloc_alloc(&pa, 1, 1, &a) != 0 || a != base + PG(i))
			ck_abort_msg("page %llu at %#llx", (unsigned long long)i,
				     (unsigned long long)a);
	}
	ck_assert_uint_eq(pa.free_pages, 0);
	/*
	 * A quadratic allocator needs minutes here (2^20 x 16k words); a linear
	 * one milliseconds. Generous for slow, sanitized CI machines.
	 */
	ck_assert_msg(now_s() - t0 < 3.0, "took %.2f s", now_s() - t0);
}
END_TEST

START_TEST(test_skips_full_words)
{
	struct pagealloc pa;
	const uint64_t n = 1 << 20;
	uint64_t a;
	double t0 = now_s();

	pagealloc_init(&pa);
	ck_assert_int_eq(pagealloc_add_region(&pa, 0, n, bm_a), 0);
	ck_assert_uint_eq(pagealloc_reserve(&pa, 0, n), n);
	/* Free scattered single pages; a 2-page request must cross 16k full words. */
	for (int round = 0; round < 1000; round++) {
		uint64_t b = 0;

		if (pagealloc_free(&pa, PG(n - 1), 1) || pagealloc_free(&pa, PG(1000), 1))
			ck_abort_msg("round %d: free failed", round);
		if (pagealloc_alloc(&pa, 2, 1, &a) != -ENOMEM)
			ck_abort_msg("round %d: found 2 contiguous pages", round);
		if (pagealloc_alloc(&pa, 1, 1, &a) || pagealloc_alloc(&pa, 1, 1, &b) ||
		    a != PG(1000) || b != PG(n - 1))
			ck_abort_msg("round %d: got %#llx and %#llx", round, (unsigned long long)a,
				     (unsigned long long)b);
	}
	ck_assert_msg(now_s() - t0 < 3.0, "took %.2f s", now_s() - t0);
	assert_counts(&pa);
}
END_TEST

/*
 * Randomized test against a shadow model: one byte per page, alloc checked
 * against an exhaustive first-fit search, frees and reservations checked
 * page by page, counters checked after every operation.
 */
#define RSEED 0x2545f4914f6cdd1dULL

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct shadow_region {
	uint64_t base, npages;
	unsigned char *used;
};

struct live {
	uint64_t addr, n;
};

static struct shadow_region shadow[3];
static unsigned char shadow_mem[3][3000];
static struct live lives[4096];
static unsigned int nlive;

/* Exhaustive first fit over regions in address order (shadow[] is sorted). */
static int model_alloc(uint64_t n, uint64_t align, uint64_t *addr)
{
	/* runlen[i]: free pages from i upwards, computed from the top down. */
	static uint64_t runlen[3001];

	for (unsigned int r = 0; r < 3; r++) {
		runlen[shadow[r].npages] = 0;
		for (uint64_t i = shadow[r].npages; i-- > 0;)
			runlen[i] = shadow[r].used[i] ? 0 : runlen[i + 1] + 1;
		for (uint64_t i = 0; i < shadow[r].npages; i++) {
			if ((shadow[r].base / PAGE_SIZE + i) % align == 0 && runlen[i] >= n) {
				*addr = shadow[r].base + PG(i);
				return 0;
			}
		}
	}
	return -ENOMEM;
}

static unsigned char *shadow_page(uint64_t addr)
{
	for (unsigned int r = 0; r < 3; r++)
		if (addr >= shadow[r].base && addr < shadow[r].base + PG(shadow[r].npages))
			return &shadow[r].used[(addr - shadow[r].base) / PAGE_SIZE];
	return NULL;
}

static uint64_t shadow_free(void)
{
	uint64_t n = 0;

	for (unsigned int r = 0; r < 3; r++)
		for (uint64_t i = 0; i < shadow[r].npages; i++)
			n += !shadow[r].used[i];
	return n;
}

static void op_alloc(struct pagealloc *pa)
{
	static const uint64_t aligns[] = {0, 1, 1, 1, 2, 4, 8, 16, 64};
	uint64_t n = rng() % 8 == 0 ? 1 + rng() % 200 : 1 + rng() % 8;
	uint64_t align = aligns[rng() % 9], a = 0, want = 0;
	int rc = pagealloc_alloc(pa, n, align, &a);

	FAST_EQ(rc, model_alloc(n, align ? align : 1, &want));
	if (rc)
		return;
	FAST_EQ(a, want);
	for (uint64_t i = 0; i < n; i++)
		*shadow_page(a + PG(i)) = 1;
	if (nlive < 4096)
		lives[nlive++] = (struct live){a, n};
}

static void op_free(struct pagealloc *pa)
{
	unsigned int k;
	struct live l;

	if (nlive == 0)
		return;
	k = (unsigned int)(rng() % nlive);
	l = lives[k];
	lives[k] = lives[--nlive];
	FAST_EQ(pagealloc_free(pa, l.addr, l.n), 0);
	for (uint64_t i = 0; i < l.n; i++)
		*shadow_page(l.addr + PG(i)) = 0;
	/* Freeing it again must be refused and change nothing. */
	uint64_t before = pa->free_pages;

	FAST_EQ(pagealloc_free(pa, l.addr, l.n), -EINVAL);
	FAST_EQ(pa->free_pages, before);
}

static void op_reserve(struct pagealloc *pa)
{
	uint64_t addr = rng() % (PG(3000) * 3), n = rng() % 6, newly = 0;
	uint64_t first = addr / PAGE_SIZE, last = (addr + PG(n) + PAGE_SIZE - 1) / PAGE_SIZE;

	if (n == 0)
		last = first;
	for (uint64_t p = first; p < last; p++) {
		unsigned char *s = shadow_page(PG(p));

		if (s && !*s) {
			*s = 1;
			newly++;
		}
	}
	FAST_EQ(pagealloc_reserve(pa, addr, n), newly);
}

START_TEST(test_random_shadow)
{
	struct pagealloc pa;
	static const uint64_t bases[3] = {PG(3), PG(3000) + PG(5), PG(6000) + PG(64)};
	static const uint64_t sizes[3] = {1000, 77, 2999};

	rng_state = RSEED;
	nlive = 0;
	pagealloc_init(&pa);
	for (int r = 2; r >= 0; r--) {
		shadow[r] = (struct shadow_region){bases[r], sizes[r], shadow_mem[r]};
		memset(shadow_mem[r], 0, sizeof(shadow_mem[r]));
		ck_assert_int_eq(pagealloc_add_region(&pa, bases[r], sizes[r], bm_a + 100 * r), 0);
	}
	for (int step = 0; step < 20000; step++) {
		uint64_t r = rng() % 100;

		if (r < 55)
			op_alloc(&pa);
		else if (r < 98)
			op_free(&pa);
		else
			op_reserve(&pa);
		FAST_EQ(pa.free_pages, shadow_free());
		FAST_EQ(sum_nfree(&pa), pa.free_pages);
		if (step % 500 == 0) {
			for (uint64_t p = 0; p < 9000; p++) {
				unsigned char *s = shadow_page(PG(p));

				FAST_EQ(pagealloc_in_use(&pa, PG(p)), s ? *s : -EINVAL);
			}
		}
	}
	assert_counts(&pa);
}
END_TEST

static Suite *pagealloc_suite(void)
{
	Suite *s = suite_create("pagealloc");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bitmap_bytes);
	tcase_add_test(tc, test_add_region_errors);
	tcase_add_test(tc, test_alloc_basic);
	tcase_add_test(tc, test_alloc_alignment);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_fragmentation);
	tcase_add_test(tc, test_double_free_refused);
	tcase_add_test(tc, test_free_past_region_end);
	tcase_add_test(tc, test_reserve_across_regions);
	tcase_add_test(tc, test_adjacent_regions_free_span);
	tcase_add_test(tc, test_big_region_page_by_page);
	tcase_add_test(tc, test_skips_full_words);
	tcase_add_test(tc, test_random_shadow);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pagealloc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

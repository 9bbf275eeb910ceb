// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for kernel/lib/memmap.c. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/memmap.h"

struct exp {
	uint64_t addr, size;
	uint32_t type;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define G4 0x100000000ULL

static void add_all(struct memmap *m, const struct exp *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_eq(memmap_add(m, in[i].addr, in[i].size, in[i].type), 0);
}

/* Field-wise comparison (the entries' padding bytes are unspecified). */
static void assert_same(const struct memmap *a, const struct memmap *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (unsigned int i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->e[i].addr, b->e[i].addr);
		ck_assert_uint_eq(a->e[i].size, b->e[i].size);
		ck_assert_uint_eq(a->e[i].type, b->e[i].type);
	}
}

static void assert_map(const struct memmap *m, const struct exp *want, unsigned int n)
{
	for (unsigned int i = 0; i < m->n && i < n; i++) {
		ck_assert_msg(m->e[i].addr == want[i].addr && m->e[i].size == want[i].size &&
				      m->e[i].type == want[i].type,
			      "entry %u: got [%#llx +%#llx type %u], want [%#llx +%#llx type %u]",
			      i, (unsigned long long)m->e[i].addr, (unsigned long long)m->e[i].size,
			      m->e[i].type, (unsigned long long)want[i].addr,
			      (unsigned long long)want[i].size, want[i].type);
	}
	ck_assert_uint_eq(m->n, n);
}

/*
 * Properties every sanitized map must have, whatever the input. Called in a
 * hot loop, so plain ifs: every ck_assert is a message to the parent process.
 */
static void assert_sane(const struct memmap *m)
{
	if (m->n > MEMMAP_MAX)
		ck_abort_msg("n = %u", m->n);
	for (unsigned int i = 0; i < m->n; i++) {
		const struct memmap_entry *e = &m->e[i], *p = i ? &m->e[i - 1] : NULL;

		if (e->size == 0 || e->size - 1 > UINT64_MAX - e->addr)
			ck_abort_msg("entry %u: bad size %#llx", i, (unsigned long long)e->size);
		if (e->type < MEMMAP_RAM || e->type > MEMMAP_PMEM)
			ck_abort_msg("entry %u: bad type %u", i, e->type);
		if (e->type == MEMMAP_RAM && ((e->addr | e->size) & 0xfff))
			ck_abort_msg("entry %u: RAM not page aligned", i);
		if (p && p->addr + p->size - 1 >= e->addr)
			ck_abort_msg("entries %u and %u overlap or are unsorted", i - 1, i);
		/* Adjacent entries of one type must have been merged. */
		if (p && p->addr + p->size == e->addr && p->type == e->type)
			ck_abort_msg("entries %u and %u not merged", i - 1, i);
	}
}

/* QEMU 8.x pvh.bin map of a q35 machine with 128 MiB. */
static const struct exp q35_in[] = {
	{0x0, 0x9fc00, MEMMAP_RAM},
	{0x9fc00, 0x400, MEMMAP_RESERVED},
	{0xf0000, 0x10000, MEMMAP_RESERVED},
	{0x100000, 0x7ee0000, MEMMAP_RAM},
	{0x7fe0000, 0x20000, MEMMAP_RESERVED},
	{0xb0000000, 0x10000000, MEMMAP_RESERVED},
	{0xfffc0000, 0x40000, MEMMAP_RESERVED},
};

static const struct exp q35_out[] = {
	{0x0, 0x9f000, MEMMAP_RAM}, /* shrunk to whole pages */
	{0x9fc00, 0x400, MEMMAP_RESERVED},
	{0xf0000, 0x10000, MEMMAP_RESERVED},
	{0x100000, 0x7ee0000, MEMMAP_RAM},
	{0x7fe0000, 0x20000, MEMMAP_RESERVED},
	{0xb0000000, 0x10000000, MEMMAP_RESERVED},
	{0xfffc0000, 0x40000, MEMMAP_RESERVED},
};

/* A Xen 4.17 PVH guest with memory=6144 (RAM split around the MMIO hole). */
static const struct exp xen_in[] = {
	{0x0, 0xf0000000, MEMMAP_RAM},
	{0xfc000000, 0x8040, MEMMAP_ACPI},
	{0xfeff8000, 0x8000, MEMMAP_RESERVED},
	{0x100000000, 0x90000000, MEMMAP_RAM},
};

static void load_q35(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
	add_all(m, q35_in, NELEM(q35_in));
	ck_assert_int_eq(memmap_sanitize(m), 0);
}

START_TEST(test_add_basic)
{
	struct memmap m = {0};

	ck_assert_int_eq(memmap_add(&m, 0x1000, 0, MEMMAP_RAM), 0);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_int_eq(memmap_add(&m, 0x1000, 0x2000, 99), 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_uint_eq(m.e[0].addr, 0x1000);
	ck_assert_uint_eq(m.e[0].size, 0x2000);
	ck_assert_uint_eq(m.e[0].type, 99); /* kept as received until sanitize */
}
END_TEST

START_TEST(test_add_clips_at_2_64)
{
	struct memmap m = {0};

	ck_assert_int_eq(memmap_add(&m, 0xfffffffffffff000ULL, 0x2000, MEMMAP_RAM), 0);
	ck_assert_uint_eq(m.e[0].size, 0x1000);
	ck_assert_int_eq(memmap_add(&m, UINT64_MAX, UINT64_MAX, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.e[1].size, 1);
	ck_assert_int_eq(memmap_add(&m, 0, UINT64_MAX, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.e[2].size, UINT64_MAX); /* fits exactly, nothing to clip */
}
END_TEST

START_TEST(test_add_full)
{
	struct memmap m = {0};

	for (unsigned int i = 0; i < MEMMAP_MAX; i++)
		ck_assert_int_eq(memmap_add(&m, (uint64_t)i << 20, 0x1000, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_add(&m, 1ULL << 40, 0x1000, MEMMAP_RAM), -E2BIG);
	ck_assert_uint_eq(m.n, MEMMAP_MAX);
	/* Zero-size entries are ignored even when full. */
	ck_assert_int_eq(memmap_add(&m, 1ULL << 40, 0, MEMMAP_RAM), 0);
}
END_TEST

START_TEST(test_q35)
{
	struct memmap m;

	load_q35(&m);
	assert_map(&m, q35_out, NELEM(q35_out));
	assert_sane(&m);
	ck_assert_uint_eq(memmap_ram_bytes(&m), 0x9f000 + 0x7ee0000);
}
END_TEST

START_TEST(test_q35_unsorted)
{
	static const unsigned int order[] = {6, 3, 0, 5, 1, 4, 2};
	struct memmap m = {0};

	for (unsigned int i = 0; i < NELEM(order); i++)
		add_all(&m, &q35_in[order[i]], 1);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, q35_out, NELEM(q35_out));
}
END_TEST

START_TEST(test_xen_pvh)
{
	struct memmap m = {0};
	uint64_t a;

	add_all(&m, xen_in, NELEM(xen_in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	/* Already clean: unchanged, and the odd-sized ACPI entry is kept exactly. */
	assert_map(&m, xen_in, NELEM(xen_in));
	ck_assert_uint_eq(memmap_ram_bytes(&m), 0xf0000000ULL + 0x90000000ULL);
	/* The customary spot for grant table / shared info: highest hole below 4 GiB. */
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0, G4, &a), 0);
	ck_assert_uint_eq(a, 0xfffff000);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0, 0xfeff8000, &a), 0);
	ck_assert_uint_eq(a, 0xfeff7000);
	ck_assert_int_eq(memmap_find_hole(&m, 0x10000, 0x1000, 0xfc000000, 0xfc010000, &a),
			 -ENOSPC);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0xfc000000, 0xfc010000, &a), 0);
	ck_assert_uint_eq(a, 0xfc00f000);
	/* The ACPI entry ends at 0xfc008040: its last partial page is not a hole. */
	ck_assert_int_eq(memmap_find_hole(&m, 0x8000, 0x1000, 0xfc000000, 0xfc011000, &a), 0);
	ck_assert_uint_eq(a, 0xfc009000);
}
END_TEST

START_TEST(test_overlap_ram_reserved)
{
	struct memmap m = {0};
	static const struct exp in[] = {
		{0x0, 0x10000000, MEMMAP_RAM},
		{0x1000000, 0x100000, MEMMAP_RESERVED}, /* inside RAM */
		{0xff00800, 0x200000, MEMMAP_RESERVED}, /* straddles the RAM end */
	};
	static const struct exp out[] = {
		{0x0, 0x1000000, MEMMAP_RAM},
		{0x1000000, 0x100000, MEMMAP_RESERVED},
		{0x1100000, 0xee00000, MEMMAP_RAM}, /* 0x1100000..0xff00000, shrunk */
		{0xff00800, 0x200000, MEMMAP_RESERVED},
	};

	add_all(&m, in, NELEM(in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
	assert_sane(&m);
}
END_TEST

START_TEST(test_overlap_priorities)
{
	struct memmap m = {0};
	static const struct exp in[] = {
		{0x1000, 0x2000, MEMMAP_ACPI},	   /* 0x1000-0x3000 */
		{0x2000, 0x2000, MEMMAP_NVS},	   /* 0x2000-0x4000: NVS (4) beats ACPI (3) */
		{0x3800, 0x1000, MEMMAP_RESERVED}, /* loses to NVS, keeps 0x4000-0x4800 */
		{0x0, 0x10000, MEMMAP_RAM},	   /* loses to everything */
		{0x8000, 0x1000, MEMMAP_PMEM},
		{0x8800, 0x1000, MEMMAP_UNUSABLE}, /* PMEM (7) beats UNUSABLE (5) */
	};
	static const struct exp out[] = {
		{0x0, 0x1000, MEMMAP_RAM},	  {0x1000, 0x1000, MEMMAP_ACPI},
		{0x2000, 0x2000, MEMMAP_NVS},	  {0x4000, 0x800, MEMMAP_RESERVED},
		{0x5000, 0x3000, MEMMAP_RAM},	  {0x8000, 0x1000, MEMMAP_PMEM},
		{0x9000, 0x800, MEMMAP_UNUSABLE}, {0xa000, 0x6000, MEMMAP_RAM},
	};

	add_all(&m, in, NELEM(in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
	assert_sane(&m);
}
END_TEST

START_TEST(test_byte_granular)
{
	struct memmap m = {0};
	static const struct exp in[] = {
		{0x1001, 1, MEMMAP_NVS},
		{0x1000, 1, MEMMAP_ACPI},
		{0x1002, 2, MEMMAP_ACPI},
		{0x1003, 1, MEMMAP_NVS}, /* over the last byte of the previous one */
	};
	static const struct exp out[] = {
		{0x1000, 1, MEMMAP_ACPI},
		{0x1001, 1, MEMMAP_NVS},
		{0x1002, 1, MEMMAP_ACPI},
		{0x1003, 1, MEMMAP_NVS},
	};

	add_all(&m, in, NELEM(in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
}
END_TEST

START_TEST(test_unknown_type)
{
	struct memmap m = {0};
	static const struct exp in[] = {
		{0x0, 0x8000, MEMMAP_RAM},
		{0x2000, 0x1000, 99},		   /* unknown over RAM: reserved */
		{0x3000, 0x1000, MEMMAP_RESERVED}, /* adjacent reserved: merged with it */
		{0x10000, 0x1000, 0},		   /* type 0 is not valid either */
	};
	static const struct exp out[] = {
		{0x0, 0x2000, MEMMAP_RAM},
		{0x2000, 0x2000, MEMMAP_RESERVED},
		{0x4000, 0x4000, MEMMAP_RAM},
		{0x10000, 0x1000, MEMMAP_RESERVED},
	};

	add_all(&m, in, NELEM(in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
}
END_TEST

START_TEST(test_merge_and_shrink)
{
	struct memmap m = {0};
	static const struct exp in[] = {
		{0x0, 0x1800, MEMMAP_RAM},	/* adjacent RAM split mid-page: merged first, */
		{0x1800, 0x1800, MEMMAP_RAM},	/* so no page is lost */
		{0x2000, 0x800, MEMMAP_RAM},	/* duplicate inside */
		{0x10100, 0x2000, MEMMAP_RAM},	/* unaligned both ends: 0x11000-0x12000 */
		{0x20100, 0x800, MEMMAP_RAM},	/* less than a page: dropped */
		{0x30800, 0x1000, MEMMAP_RAM},	/* spans a page boundary, no whole page */
		{0x40000, 0x1000, MEMMAP_ACPI}, /* non-RAM is never shrunk */
		{0x41000, 0x10, MEMMAP_ACPI},
	};
	static const struct exp out[] = {
		{0x0, 0x3000, MEMMAP_RAM},
		{0x11000, 0x1000, MEMMAP_RAM},
		{0x40000, 0x1010, MEMMAP_ACPI},
	};

	add_all(&m, in, NELEM(in));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
	assert_sane(&m);
}
END_TEST

START_TEST(test_zero_size_and_raw_entries)
{
	struct memmap m = {0};

	/* Entries written directly (bypassing memmap_add) are not trusted either. */
	m.e[0] = (struct memmap_entry){0x5000, 0, MEMMAP_RESERVED};
	m.e[1] = (struct memmap_entry){0x0, 0x10000, MEMMAP_RAM};
	m.e[2] = (struct memmap_entry){0xffffffffffffe000ULL, 0x10000, MEMMAP_RESERVED};
	m.n = 3;
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	static const struct exp out[] = {
		{0x0, 0x10000, MEMMAP_RAM},
		{0xffffffffffffe000ULL, 0x2000, MEMMAP_RESERVED},
	};
	assert_map(&m, out, NELEM(out));

	m.n = MEMMAP_MAX + 1; /* corrupted count: refused, nothing read past the array */
	ck_assert_int_eq(memmap_sanitize(&m), -E2BIG);

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_uint_eq(memmap_ram_bytes(&m), 0);
}
END_TEST

START_TEST(test_top_of_address_space)
{
	struct memmap m = {0};
	static const struct exp out[] = {
		{0x0, 0x1000, MEMMAP_RAM},
		{0xffffffffffffd000ULL, 0x1000, MEMMAP_RESERVED},
		{0xffffffffffffe000ULL, 0x2000, MEMMAP_RAM},
	};

	ck_assert_int_eq(memmap_add(&m, 0xffffffffffffe000ULL, 0x5000, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_add(&m, 0xffffffffffffd000ULL, 0x1000, 42), 0);
	ck_assert_int_eq(memmap_add(&m, 0x0, 0x1000, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	assert_map(&m, out, NELEM(out));
	ck_assert_uint_eq(memmap_ram_bytes(&m), 0x3000);
}
END_TEST

START_TEST(test_whole_space_ram)
{
	struct memmap m = {0};

	/* Merged, this would be 2^64 bytes, which a size field cannot hold. */
	ck_assert_int_eq(memmap_add(&m, 0, 1ULL << 63, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_add(&m, 1ULL << 63, 1ULL << 63, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_uint_eq(m.e[0].addr + m.e[0].size, m.e[1].addr);
	ck_assert_uint_eq(m.e[1].addr + m.e[1].size, 0);     /* wraps: ends at 2^64 */
	ck_assert_uint_eq(memmap_ram_bytes(&m), UINT64_MAX); /* saturated */
	ck_assert_int_eq(memmap_sanitize(&m), 0);	     /* and stable */
	ck_assert_uint_eq(m.n, 2);
}
END_TEST

START_TEST(test_exactly_max_entries)
{
	struct memmap m = {0};

	/* 128 separate entries of alternating type: all survive. */
	for (unsigned int i = 0; i < MEMMAP_MAX; i++)
		ck_assert_int_eq(memmap_add(&m, (uint64_t)(MEMMAP_MAX - i) << 16, 0x2000,
					    i % 2 ? MEMMAP_RAM : MEMMAP_ACPI),
				 0);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	ck_assert_uint_eq(m.n, MEMMAP_MAX);
	assert_sane(&m);
	ck_assert_uint_eq(m.e[0].addr, 1ULL << 16);
	ck_assert_uint_eq(m.e[MEMMAP_MAX - 1].addr, (uint64_t)MEMMAP_MAX << 16);
}
END_TEST

START_TEST(test_sanitize_too_many_unchanged)
{
	struct memmap m = {0}, before;

	/* One RAM range punched 127 times needs 255 entries: refused, map intact. */
	ck_assert_int_eq(memmap_add(&m, 0, 1ULL << 32, MEMMAP_RAM), 0);
	for (unsigned int i = 1; i < MEMMAP_MAX; i++)
		ck_assert_int_eq(memmap_add(&m, (uint64_t)i << 20, 0x1000, MEMMAP_RESERVED), 0);
	memcpy(&before, &m, sizeof(m));
	ck_assert_int_eq(memmap_sanitize(&m), -E2BIG);
	ck_assert_mem_eq(&m, &before, sizeof(m));
}
END_TEST

START_TEST(test_sanitize_idempotent)
{
	struct memmap m, again;

	load_q35(&m);
	ck_assert_int_eq(memmap_reserve(&m, 0x200000, 0x12345, MEMMAP_RESERVED), 0);
	memcpy(&again, &m, sizeof(m));
	ck_assert_int_eq(memmap_sanitize(&again), 0);
	assert_same(&again, &m);
}
END_TEST

START_TEST(test_reserve_split)
{
	struct memmap m;
	static const struct exp out[] = {
		{0x0, 0x9f000, MEMMAP_RAM},
		{0x9fc00, 0x400, MEMMAP_RESERVED},
		{0xf0000, 0x10000, MEMMAP_RESERVED},
		{0x100000, 0x100000, MEMMAP_RAM},
		{0x200000, 0x123456, MEMMAP_RESERVED}, /* kernel image, unaligned end */
		{0x324000, 0x7cbc000, MEMMAP_RAM},     /* RAM resumes at the next page */
		{0x7fe0000, 0x20000, MEMMAP_RESERVED},
		{0xb0000000, 0x10000000, MEMMAP_RESERVED},
		{0xfffc0000, 0x40000, MEMMAP_RESERVED},
	};

	load_q35(&m);
	ck_assert_int_eq(memmap_reserve(&m, 0x200000, 0x123456, MEMMAP_RESERVED), 0);
	assert_map(&m, out, NELEM(out));
	assert_sane(&m);
	ck_assert_uint_eq(memmap_ram_bytes(&m), 0x9f000 + 0x100000 + 0x7cbc000);
}
END_TEST

START_TEST(test_reserve_edges)
{
	struct memmap m;

	load_q35(&m);
	/* Reserving the start of a RAM entry trims it and merges with the
	 * reserved entry just below (0xf0000-0x100000). */
	ck_assert_int_eq(memmap_reserve(&m, 0x100000, 0x1000, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.n, 7);
	ck_assert_uint_eq(m.e[2].addr, 0xf0000);
	ck_assert_uint_eq(m.e[2].size, 0x11000);
	ck_assert_uint_eq(m.e[2].type, MEMMAP_RESERVED);
	ck_assert_uint_eq(m.e[3].addr, 0x101000);
	ck_assert_uint_eq(m.e[3].size, 0x7fe0000 - 0x101000);
	ck_assert_uint_eq(m.e[3].type, MEMMAP_RAM);
	/* Reserving the end of the RAM merges with the reserved entry after it. */
	ck_assert_int_eq(memmap_reserve(&m, 0x7fd0000, 0x10000, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.n, 7);
	ck_assert_uint_eq(m.e[3].size, 0x7fd0000 - 0x101000);
	ck_assert_uint_eq(m.e[4].addr, 0x7fd0000);
	ck_assert_uint_eq(m.e[4].size, 0x30000);
	/* Over a hole: the hole becomes reserved. */
	ck_assert_int_eq(memmap_reserve(&m, 0xfee00000, 0x1000, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.n, 8);
	ck_assert_uint_eq(m.e[6].addr, 0xfee00000);
	/* A reservation reaching exactly 2^64 is fine. */
	ck_assert_int_eq(memmap_reserve(&m, 0xfffffffffffff000ULL, 0x1000, MEMMAP_RESERVED), 0);
	ck_assert_uint_eq(m.n, 9);
	assert_sane(&m);
}
END_TEST

START_TEST(test_reserve_keeps_stronger_type)
{
	struct memmap m = {0};
	static const struct exp out[] = {
		{0x0, 0x1000, MEMMAP_RAM},    {0x1000, 0x1000, MEMMAP_RESERVED},
		{0x2000, 0x1000, MEMMAP_NVS}, {0x3000, 0x1000, MEMMAP_RESERVED},
		{0x4000, 0x4000, MEMMAP_RAM},
	};

	ck_assert_int_eq(memmap_add(&m, 0, 0x8000, MEMMAP_RAM), 0);
	ck_assert_int_eq(memmap_add(&m, 0x2000, 0x1000, MEMMAP_NVS), 0);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	ck_assert_int_eq(memmap_reserve(&m, 0x1000, 0x3000, MEMMAP_RESERVED), 0);
	assert_map(&m, out, NELEM(out));
}
END_TEST

START_TEST(test_reserve_errors)
{
	struct memmap m, before;

	load_q35(&m);
	memcpy(&before, &m, sizeof(m));
	ck_assert_int_eq(memmap_reserve(&m, 0x1000, 0, MEMMAP_RESERVED), -EINVAL);
	ck_assert_int_eq(memmap_reserve(&m, 0xfffffffffffff000ULL, 0x2000, MEMMAP_RESERVED),
			 -EINVAL);
	ck_assert_int_eq(memmap_reserve(&m, 2, UINT64_MAX, MEMMAP_RESERVED), -EINVAL);
	ck_assert_mem_eq(&m, &before, sizeof(m));

	/* A full map that a reservation would split further: refused, unchanged. */
	memset(&m, 0, sizeof(m));
	for (unsigned int i = 0; i < MEMMAP_MAX; i++)
		ck_assert_int_eq(memmap_add(&m, (uint64_t)i << 20, 0x10000,
					    i % 2 ? MEMMAP_RAM : MEMMAP_RESERVED),
				 0);
	ck_assert_int_eq(memmap_sanitize(&m), 0);
	ck_assert_uint_eq(m.n, MEMMAP_MAX);
	memcpy(&before, &m, sizeof(m));
	ck_assert_int_eq(memmap_reserve(&m, (1ULL << 20) + 0x4000, 0x1000, MEMMAP_RESERVED),
			 -E2BIG);
	ck_assert_mem_eq(&m, &before, sizeof(m));
	/* ... but one that does not add entries still works on a full map. */
	ck_assert_int_eq(memmap_reserve(&m, 0x4000, 0x1000, MEMMAP_RESERVED), 0);
	assert_same(&m, &before);
}
END_TEST

START_TEST(test_find_hole_q35)
{
	struct memmap m;
	uint64_t a = 0;

	load_q35(&m);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0, G4, &a), 0);
	ck_assert_uint_eq(a, 0xfffbf000); /* just below the BIOS ROM */
	ck_assert_int_eq(memmap_find_hole(&m, 0x100000, 0x100000, 0, G4, &a), 0);
	ck_assert_uint_eq(a, 0xffe00000);
	/* Legacy VGA/option ROM hole below 1 MiB. */
	ck_assert_int_eq(memmap_find_hole(&m, 0x10000, 0x10000, 0x80000, 0x100000, &a), 0);
	ck_assert_uint_eq(a, 0xe0000);
	ck_assert_int_eq(memmap_find_hole(&m, 0x50000, 0x1000, 0x80000, 0x100000, &a), 0);
	ck_assert_uint_eq(a, 0xa0000); /* exactly the whole hole */
	ck_assert_int_eq(memmap_find_hole(&m, 0x51000, 0x1000, 0x80000, 0x100000, &a), -ENOSPC);
	/* Size is rounded up to pages: 0x1001 bytes need two free pages. */
	ck_assert_int_eq(memmap_find_hole(&m, 0x1001, 0x1000, 0xa0000, 0xa2000, &a), 0);
	ck_assert_uint_eq(a, 0xa0000);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1001, 0x1000, 0xa0000, 0xa1fff, &a), -ENOSPC);
	/* Above 4 GiB nothing is described: the top of the range wins. */
	ck_assert_int_eq(memmap_find_hole(&m, 0x200000, 0x200000, G4, 1ULL << 46, &a), 0);
	ck_assert_uint_eq(a, (1ULL << 46) - 0x200000);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0, UINT64_MAX, &a), 0);
	ck_assert_uint_eq(a, 0xffffffffffffe000ULL);
}
END_TEST

START_TEST(test_find_hole_none)
{
	struct memmap m;
	uint64_t a = 0x1234;

	load_q35(&m);
	ck_assert_int_eq(memmap_find_hole(&m, 0x40000000, 0x1000, 0xc0000000, G4, &a), -ENOSPC);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, 0, 0x9f000, &a), -ENOSPC);
	ck_assert_int_eq(memmap_find_hole(&m, 0x2000, 0x1000, 0, 0x1000, &a), -ENOSPC);
	ck_assert_uint_eq(a, 0x1234); /* untouched on failure */
	ck_assert_int_eq(memmap_find_hole(&m, 0, 0x1000, 0, G4, &a), -EINVAL);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x800, 0, G4, &a), -EINVAL);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x3000, 0, G4, &a), -EINVAL);
	ck_assert_int_eq(memmap_find_hole(&m, 0x1000, 0x1000, G4, G4, &a), -EINVAL);
	ck_assert_int_eq(memmap_find_hole(&m, UINT64_MAX, 0x1000, 0, G4, &a), -EINVAL);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(memmap_type_name(MEMMAP_RAM), "RAM");
	ck_assert_str_eq(memmap_type_name(MEMMAP_RESERVED), "reserved");
	ck_assert_str_eq(memmap_type_name(MEMMAP_ACPI), "ACPI data");
	ck_assert_str_eq(memmap_type_name(MEMMAP_NVS), "ACPI NVS");
	ck_assert_str_eq(memmap_type_name(MEMMAP_UNUSABLE), "unusable");
	ck_assert_str_eq(memmap_type_name(MEMMAP_DISABLED), "disabled");
	ck_assert_str_eq(memmap_type_name(MEMMAP_PMEM), "persistent");
	ck_assert_str_eq(memmap_type_name(0), "unknown");
	ck_assert_str_eq(memmap_type_name(99), "unknown");
}
END_TEST

/*
 * Randomized check against a brute-force model on a grid of 1 KiB granules
 * over 128 KiB: random entries, then every granule of the sanitized map must
 * have the type the priority rules give it, RAM only where its whole page is
 * RAM, and find_hole must agree with an exhaustive search.
 */
#define GRAN 0x400
#define NGRAN 128 /* 128 KiB: entries start below 96 KiB and span < 24 KiB */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t prio(uint32_t t)
{
	if (t < MEMMAP_RAM || t > MEMMAP_PMEM)
		t = MEMMAP_RESERVED;
	return t == MEMMAP_RAM ? 0 : t;
}

static uint32_t map_type_at(const struct memmap *m, uint64_t a)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (a >= m->e[i].addr && a - m->e[i].addr < m->e[i].size)
			return m->e[i].type;
	return 0;
}

static void model(const struct memmap *raw, uint32_t *want)
{
	for (unsigned int g = 0; g < NGRAN; g++) {
		uint32_t best = 0;

		for (unsigned int i = 0; i < raw->n; i++) {
			uint64_t a = (uint64_t)g * GRAN;

			if (a < raw->e[i].addr || a - raw->e[i].addr >= raw->e[i].size)
				continue;
			uint32_t t = raw->e[i].type;

			t = (t < MEMMAP_RAM || t > MEMMAP_PMEM) ? MEMMAP_RESERVED : t;
			if (!best || prio(t) > prio(best))
				best = t;
		}
		want[g] = best;
	}
	for (unsigned int g = 0; g < NGRAN; g += 4) {
		bool full = true;

		for (unsigned int k = 0; k < 4; k++)
			full = full && want[g + k] == MEMMAP_RAM;
		for (unsigned int k = 0; k < 4 && !full; k++)
			if (want[g + k] == MEMMAP_RAM)
				want[g + k] = 0;
	}
}

/* Exhaustive reference for memmap_find_hole: the highest aligned free start. */
static void check_hole(const struct memmap *m, const uint32_t *want)
{
	uint64_t size = (1 + rng() % 4) * 0x1000, align = 0x1000ULL << (rng() % 3);
	uint64_t min = (rng() % 16) * 0x1000, max = min + (1 + rng() % 16) * 0x1000;
	uint64_t a = 0, exp = 0;
	bool found = false;
	int rc = memmap_find_hole(m, size, align, min, max, &a);

	for (uint64_t s = 0; s + size <= max; s += align) {
		bool free = s >= min;

		for (uint64_t g = s / GRAN; free && g < (s + size) / GRAN; g++)
			free = want[g] == 0;
		if (free) {
			found = true;
			exp = s;
		}
	}
	if (rc != (found ? 0 : -ENOSPC) || (found && a != exp))
		ck_abort_msg(
			"find_hole(%#llx, %#llx, [%#llx, %#llx)): rc %d addr %#llx, want %#llx",
			(unsigned long long)size, (unsigned long long)align,
			(unsigned long long)min, (unsigned long long)max, rc, (unsigned long long)a,
			found ? (unsigned long long)exp : 0ULL);
}

START_TEST(test_random_vs_model)
{
	static const uint32_t types[] = {MEMMAP_RAM,  MEMMAP_RAM, MEMMAP_RAM, MEMMAP_RESERVED,
					 MEMMAP_ACPI, MEMMAP_NVS, 0,	      99};

	for (unsigned int iter = 0; iter < 5000; iter++) {
		struct memmap m = {0}, raw;
		uint32_t want[NGRAN];
		unsigned int n = 1 + rng() % 12;

		for (unsigned int i = 0; i < n; i++) {
			uint64_t g = rng() % 96, len = rng() % 24;

			if (memmap_add(&m, g * GRAN, len * GRAN, types[rng() % 8]))
				ck_abort_msg("memmap_add failed");
		}
		memcpy(&raw, &m, sizeof(m));
		if (memmap_sanitize(&m))
			ck_abort_msg("iteration %u: sanitize failed", iter);
		assert_sane(&m);
		model(&raw, want);
		for (unsigned int g = 0; g < NGRAN; g++) {
			if (map_type_at(&m, (uint64_t)g * GRAN) != want[g] ||
			    map_type_at(&m, (uint64_t)g * GRAN + GRAN - 1) != want[g])
				ck_abort_msg("iteration %u granule %u: want type %u", iter, g,
					     want[g]);
		}
		if (map_type_at(&m, NGRAN * GRAN))
			ck_abort_msg("iteration %u: entry beyond the model", iter);
		check_hole(&m, want);
	}
}
END_TEST

static Suite *memmap_suite(void)
{
	Suite *s = suite_create("memmap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_add_basic);
	tcase_add_test(tc, test_add_clips_at_2_64);
	tcase_add_test(tc, test_add_full);
	tcase_add_test(tc, test_q35);
	tcase_add_test(tc, test_q35_unsorted);
	tcase_add_test(tc, test_xen_pvh);
	tcase_add_test(tc, test_overlap_ram_reserved);
	tcase_add_test(tc, test_overlap_priorities);
	tcase_add_test(tc, test_byte_granular);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_merge_and_shrink);
	tcase_add_test(tc, test_zero_size_and_raw_entries);
	tcase_add_test(tc, test_top_of_address_space);
	tcase_add_test(tc, test_whole_space_ram);
	tcase_add_test(tc, test_exactly_max_entries);
	tcase_add_test(tc, test_sanitize_too_many_unchanged);
	tcase_add_test(tc, test_sanitize_idempotent);
	tcase_add_test(tc, test_reserve_split);
	tcase_add_test(tc, test_reserve_edges);
	tcase_add_test(tc, test_reserve_keeps_stronger_type);
	tcase_add_test(tc, test_reserve_errors);
	tcase_add_test(tc, test_find_hole_q35);
	tcase_add_test(tc, test_find_hole_none);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_random_vs_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(memmap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

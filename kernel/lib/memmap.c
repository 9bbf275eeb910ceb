// SPDX-License-Identifier: BSD-2-Clause
/*
 * Physical memory map sanitizing.
 *
 * The map arrives from the Xen toolstack (hvm_start_info memmap) or QEMU's
 * pvh.bin (e820). Neither is trusted to be sorted, non-overlapping, page
 * aligned or free of wrap-around, so memmap_sanitize() rebuilds it from
 * scratch with a boundary sweep instead of patching special cases:
 *
 *   every entry start and every entry end is a boundary; between two
 *   consecutive boundaries (an "elementary interval") the set of covering
 *   entries is constant, so the winning type is decided once per interval;
 *   consecutive intervals of the same type are merged into runs.
 *
 * The next boundary is found by a linear scan over the entries rather than
 * by sorting a boundary array: n <= 128, so the O(n^2) cost is ~65k compares
 * once at boot, and it saves a 2 KiB array on the boot stack.
 *
 * Ranges are handled as inclusive [addr, last] internally because the end of
 * a range touching the top of the address space (2^64) does not fit in 64
 * bits, while its last byte does.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice/memmap.h"

#define MM_PAGE_SIZE 4096ULL
#define MM_PAGE_MASK (MM_PAGE_SIZE - 1)

/* Input of a sweep: the map's entries plus an optional extra one (reserve). */
struct sweep_src {
	const struct memmap_entry *e;
	unsigned int n;
	const struct memmap_entry *extra;
};

/* Output of a sweep: finished entries plus the run being accumulated. */
struct sweep_out {
	struct memmap_entry *e;
	unsigned int n;
	bool open;
	uint64_t addr, last;
	uint32_t type;
};

/* Last byte of an entry of nonzero size; ranges running past 2^64 are clipped. */
static uint64_t ent_last(const struct memmap_entry *e)
{
	if (e->size - 1 > UINT64_MAX - e->addr)
		return UINT64_MAX;
	return e->addr + e->size - 1;
}

/* Types we do not know cannot be used safely, so they are treated as reserved. */
static uint32_t norm_type(uint32_t type)
{
	if (type >= MEMMAP_RAM && type <= MEMMAP_PMEM)
		return type;
	return MEMMAP_RESERVED;
}

/*
 * Overlap priority. Anything that says "not RAM" beats RAM: using memory that
 * firmware wanted kept is far worse than losing some RAM. Among the non-RAM
 * types the higher number wins (e.g. NVS over ACPI: NVS must also survive).
 */
static uint32_t type_prio(uint32_t type)
{
	return type == MEMMAP_RAM ? 0 : type;
}

static unsigned int src_count(const struct sweep_src *src)
{
	return src->n + (src->extra ? 1 : 0);
}

static const struct memmap_entry *src_get(const struct sweep_src *src, unsigned int i)
{
	return i < src->n ? &src->e[i] : src->extra;
}

/*
 * Describe the elementary interval starting at @cur: it ends at *@ilast,
 * the byte before the next boundary (the next entry start above @cur, or
 * the end of a covering entry, whichever comes first). Returns false if no
 * entry covers @cur (a gap), else sets *@type to the winning type.
 */
static bool cover_at(const struct sweep_src *src, uint64_t cur, uint32_t *type, uint64_t *ilast)
{
	uint64_t lim = UINT64_MAX;
	uint32_t best = 0;
	bool covered = false;

	for (unsigned int i = 0; i < src_count(src); i++) {
		const struct memmap_entry *e = src_get(src, i);
		uint64_t last;

		if (e->size == 0)
			continue;
		last = ent_last(e);
		if (e->addr > cur) {
			if (e->addr - 1 < lim)
				lim = e->addr - 1;
		} else if (last >= cur) {
			uint32_t t = norm_type(e->type);

			if (!covered || type_prio(t) > type_prio(best))
				best = t;
			covered = true;
			if (last < lim)
				lim = last;
		}
	}
	*type = best;
	*ilast = lim;
	return covered;
}

/*
 * Shrink an inclusive RAM range inwards to page boundaries: a partial page
 * cannot be handed to the page allocator, since its other part belongs to
 * something else. Returns false if no whole page remains.
 */
static bool ram_shrink(uint64_t *addr, uint64_t *last)
{
	uint64_t a = *addr, l = *last;

	if (a & MM_PAGE_MASK) {
		if (a > UINT64_MAX - MM_PAGE_MASK)
			return false;
		a = (a | MM_PAGE_MASK) + 1;
	}
	if ((l & MM_PAGE_MASK) != MM_PAGE_MASK) {
		if (l < MM_PAGE_SIZE)
			return false;
		l = (l & ~MM_PAGE_MASK) - 1;
	}
	if (a > l)
		return false;
	*addr = a;
	*last = l;
	return true;
}

/* Finish the pending run (if any) and append it to the output. */
static int run_close(struct sweep_out *o)
{
	uint64_t addr = o->addr, last = o->last;

	if (!o->open)
		return 0;
	o->open = false;
	if (o->type == MEMMAP_RAM && !ram_shrink(&addr, &last))
		return 0;
	if (o->n >= MEMMAP_MAX)
		return -E2BIG;
	o->e[o->n].addr = addr;
	o->e[o->n].size = last - addr + 1;
	o->e[o->n].type = o->type;
	o->n++;
	return 0;
}

/*
 * Add the interval [addr, last] of @type: extend the pending run if it is
 * adjacent and of the same type, else start a new run. A run spanning the
 * whole 2^64 space would have a size that does not fit in 64 bits, so such a
 * merge is declined and the map simply keeps two adjacent entries.
 */
static int run_extend(struct sweep_out *o, uint64_t addr, uint64_t last, uint32_t type)
{
	int rc;

	if (o->open && o->type == type && o->last + 1 == addr &&
	    !(o->addr == 0 && last == UINT64_MAX)) {
		o->last = last;
		return 0;
	}
	rc = run_close(o);
	if (rc)
		return rc;
	o->open = true;
	o->addr = addr;
	o->last = last;
	o->type = type;
	return 0;
}

/*
 * The boundary sweep: walk the elementary intervals from address 0 upwards
 * and emit merged runs into @out (MEMMAP_MAX entries). At most 2n + 1
 * intervals exist, each examined in O(n).
 */
static int sweep(const struct sweep_src *src, struct memmap_entry *out, unsigned int *nout)
{
	struct sweep_out o = {.e = out};
	uint64_t cur = 0, last;
	uint32_t type;
	int rc;

	for (;;) {
		if (cover_at(src, cur, &type, &last))
			rc = run_extend(&o, cur, last, type);
		else
			rc = run_close(&o);
		if (rc)
			return rc;
		if (last == UINT64_MAX)
			break;
		cur = last + 1;
	}
	rc = run_close(&o);
	if (rc)
		return rc;
	*nout = o.n;
	return 0;
}

/*
 * Sweep and, only on success, replace the map's entries: on -E2BIG the
 * caller's map is left exactly as it was. The temporary costs 3 KiB of stack.
 */
static int sweep_into(struct memmap *m, const struct memmap_entry *extra)
{
	struct memmap_entry tmp[MEMMAP_MAX];
	struct sweep_src src = {.e = m->e, .n = m->n, .extra = extra};
	unsigned int n;
	int rc;

	/* A count beyond the array means a corrupted struct; do not read past it. */
	if (m->n > MEMMAP_MAX)
		return -E2BIG;
	rc = sweep(&src, tmp, &n);
	if (rc)
		return rc;
	memcpy(m->e, tmp, n * sizeof(tmp[0]));
	m->n = n;
	return 0;
}

int memmap_add(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (m->n >= MEMMAP_MAX)
		return -E2BIG;
	/* Untrusted: a range running past 2^64 is clipped rather than wrapped. */
	if (size - 1 > UINT64_MAX - addr)
		size = 0 - addr; /* 2^64 - addr; addr != 0 here */
	m->e[m->n].addr = addr;
	m->e[m->n].size = size;
	m->e[m->n].type = type;
	m->n++;
	return 0;
}

int memmap_sanitize(struct memmap *m)
{
	return sweep_into(m, NULL);
}

/*
 * The new range goes through the same sweep as everything else, so the usual
 * priorities apply: it replaces RAM, but a RESERVED range does not downgrade
 * e.g. an NVS entry it overlaps, and it fills holes. Marking RAM this way
 * only adds RAM where there was a hole.
 */
int memmap_reserve(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type)
{
	struct memmap_entry extra = {.addr = addr, .size = size, .type = type};

	if (size == 0 || size - 1 > UINT64_MAX - addr)
		return -EINVAL;
	return sweep_into(m, &extra);
}

/* Entry count, never beyond the array even if the struct is corrupted. */
static unsigned int map_count(const struct memmap *m)
{
	return m->n < MEMMAP_MAX ? m->n : MEMMAP_MAX;
}

uint64_t memmap_ram_bytes(const struct memmap *m)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < map_count(m); i++) {
		if (m->e[i].type != MEMMAP_RAM)
			continue;
		/* Saturate: only a map covering nearly all of 2^64 could overflow. */
		if (m->e[i].size > UINT64_MAX - total)
			return UINT64_MAX;
		total += m->e[i].size;
	}
	return total;
}

/* Lowest start among entries overlapping [start, last], or false if none. */
static bool lowest_overlap(const struct memmap *m, uint64_t start, uint64_t last, uint64_t *low)
{
	uint64_t lowest = UINT64_MAX;
	bool found = false;

	for (unsigned int i = 0; i < map_count(m); i++) {
		const struct memmap_entry *e = &m->e[i];

		if (e->size == 0 || e->addr > last || ent_last(e) < start)
			continue;
		if (e->addr < lowest)
			lowest = e->addr;
		found = true;
	}
	*low = lowest;
	return found;
}

/*
 * Top-down search. Invariant: no valid hole ends above @top. The candidate
 * is the highest aligned range ending at or below @top; if some entries
 * overlap it, every aligned range ending above the lowest of their starts
 * overlaps that same entry, so @top can drop to that start. @top strictly
 * decreases to an entry start each time, so this ends after <= n + 1 rounds.
 * The map need not be sanitized. @size is rounded up to whole pages so that
 * every page the caller maps is inside the hole.
 */
int memmap_find_hole(const struct memmap *m, uint64_t size, uint64_t align, uint64_t min,
		     uint64_t max, uint64_t *addr)
{
	uint64_t top = max, start, low;

	if (size == 0 || align < MM_PAGE_SIZE || (align & (align - 1)) || min >= max)
		return -EINVAL;
	if (size > UINT64_MAX - MM_PAGE_MASK)
		return -EINVAL;
	size = (size + MM_PAGE_MASK) & ~MM_PAGE_MASK;

	for (;;) {
		if (top < size)
			return -ENOSPC;
		start = (top - size) & ~(align - 1);
		if (start < min)
			return -ENOSPC;
		if (!lowest_overlap(m, start, start + size - 1, &low))
			break;
		top = low;
	}
	*addr = start;
	return 0;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_RAM:
		return "RAM";
	case MEMMAP_RESERVED:
		return "reserved";
	case MEMMAP_ACPI:
		return "ACPI data";
	case MEMMAP_NVS:
		return "ACPI NVS";
	case MEMMAP_UNUSABLE:
		return "unusable";
	case MEMMAP_DISABLED:
		return "disabled";
	case MEMMAP_PMEM:
		return "persistent";
	default:
		return "unknown";
	}
}

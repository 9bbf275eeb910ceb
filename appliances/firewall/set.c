// SPDX-License-Identifier: BSD-2-Clause
/*
 * Hash tables and sets for the classifier: exact keys (ports, interfaces,
 * VLAN ids, full-length addresses) in open-addressing tables, scalar ranges
 * in a sorted array searched by bisection, address prefixes in the LPM trie
 * (lpm.c).
 *
 * Tables are built once, at compile time, at most half full, so a lookup
 * always ends at an empty slot. The keys come from the rule text; a rule
 * author who picks colliding keys can only slow their own lookups down
 * (probe sequences stay bounded by the table size), never break them, and
 * the hash is a full-avalanche mix so ordinary key sets spread well.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

uint32_t fw_hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

uint32_t fw_hash_addr(const struct pkt_addr *a)
{
	uint32_t w[4];

	memcpy(w, a->b, sizeof(w));
	return fw_hash32(w[0] ^ fw_hash32(w[1] ^ fw_hash32(w[2] ^ fw_hash32(w[3]))));
}

/* Smallest power of two >= 2n (at least 2). n is bounded by the limits (< 2^30). */
static uint32_t table_size(uint32_t n)
{
	uint32_t cap = 2;

	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

int fw_u32map_build(struct fw_arena *a, struct fw_u32map *h, const uint32_t *keys,
		    const uint32_t *vals, uint32_t n)
{
	uint32_t cap = table_size(n);

	memset(h, 0, sizeof(*h));
	if (n == 0)
		return 0;
	h->keys = fw_arena_alloc(a, (size_t)cap * sizeof(*h->keys));
	h->vals = vals ? fw_arena_alloc(a, (size_t)cap * sizeof(*h->vals)) : NULL;
	if (!h->keys || (vals && !h->vals))
		return -ENOMEM;
	memset(h->keys, 0xff, (size_t)cap * sizeof(*h->keys));
	h->mask = cap - 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = fw_hash32(keys[i]) & h->mask;

		while (h->keys[s] != FW_NOKEY && h->keys[s] != keys[i])
			s = (s + 1) & h->mask;
		if (h->keys[s] == keys[i])
			continue; /* duplicate: the first wins */
		h->keys[s] = keys[i];
		if (vals)
			h->vals[s] = vals[i];
	}
	return 0;
}

bool fw_u32map_get(const struct fw_u32map *h, uint32_t key, uint32_t *val)
{
	if (!h->keys)
		return false;
	for (uint32_t s = fw_hash32(key) & h->mask;; s = (s + 1) & h->mask) {
		if (h->keys[s] == key) {
			if (val && h->vals)
				*val = h->vals[s];
			return true;
		}
		if (h->keys[s] == FW_NOKEY)
			return false;
	}
}

int fw_addrmap_build(struct fw_arena *a, struct fw_addrmap *h, const struct pkt_addr *keys,
		     const uint32_t *vals, uint32_t n)
{
	uint32_t cap = table_size(n);

	memset(h, 0, sizeof(*h));
	if (n == 0)
		return 0;
	h->keys = fw_arena_alloc(a, (size_t)cap * sizeof(*h->keys));
	h->vals = fw_arena_alloc(a, (size_t)cap * sizeof(*h->vals));
	if (!h->keys || !h->vals)
		return -ENOMEM;
	memset(h->vals, 0xff, (size_t)cap * sizeof(*h->vals));
	h->mask = cap - 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = fw_hash_addr(&keys[i]) & h->mask;

		while (h->vals[s] != FW_NOKEY && memcmp(&h->keys[s], &keys[i], sizeof(keys[i])))
			s = (s + 1) & h->mask;
		if (h->vals[s] != FW_NOKEY)
			continue;
		h->keys[s] = keys[i];
		h->vals[s] = vals ? vals[i] : 0;
	}
	return 0;
}

bool fw_addrmap_get(const struct fw_addrmap *h, const struct pkt_addr *key, uint32_t *val)
{
	if (!h->vals)
		return false;
	for (uint32_t s = fw_hash_addr(key) & h->mask;; s = (s + 1) & h->mask) {
		if (h->vals[s] == FW_NOKEY)
			return false;
		if (memcmp(&h->keys[s], key, sizeof(*key)) == 0) {
			if (val)
				*val = h->vals[s];
			return true;
		}
	}
}

static int cmp_range(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sort and merge overlapping or adjacent ranges in place; returns the new count. */
static uint32_t merge_ranges(uint32_t (*r)[2], uint32_t n)
{
	uint32_t k = 0;

	if (n)
		qsort(r, n, sizeof(*r), cmp_range);
	for (uint32_t i = 0; i < n; i++) {
		if (k && (uint64_t)r[i][0] <= (uint64_t)r[k - 1][1] + 1) {
			if (r[i][1] > r[k - 1][1])
				r[k - 1][1] = r[i][1];
			continue;
		}
		r[k][0] = r[i][0];
		r[k][1] = r[i][1];
		k++;
	}
	return k;
}

int fw_sset_build(struct fw_arena *a, struct fw_sset *s, const struct ir_elem *e, uint32_t n)
{
	uint32_t(*ranges)[2] = fw_arena_alloc(a, (size_t)n * sizeof(*ranges));
	uint32_t *singles = fw_mem_alloc(a->mem, (size_t)n * sizeof(*singles));
	uint32_t ns = 0, nr = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!ranges || !singles) {
		fw_mem_free(a->mem, singles, (size_t)n * sizeof(*singles));
		return -ENOMEM;
	}
	/* Values are at most 65535 here, so FW_NOKEY never collides with a key. */
	for (uint32_t i = 0; i < n; i++) {
		if (e[i].lo == e[i].hi) {
			singles[ns++] = e[i].lo;
		} else {
			ranges[nr][0] = e[i].lo;
			ranges[nr][1] = e[i].hi;
			nr++;
		}
	}
	rc = fw_u32map_build(a, &s->singles, singles, NULL, ns);
	fw_mem_free(a->mem, singles, (size_t)n * sizeof(*singles));
	s->nranges = merge_ranges(ranges, nr);
	s->ranges = (const uint32_t(*)[2])ranges;
	return rc;
}

bool fw_sset_has(const struct fw_sset *s, uint32_t v)
{
	uint32_t lo = 0, hi = s->nranges;

	if (fw_u32map_get(&s->singles, v, NULL))
		return true;
	/* The last range starting at or before v is the only candidate. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->ranges[mid][0] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && v <= s->ranges[lo - 1][1];
}

/* The elements of family @fam: full-length ones into @exact, the others into @pfx. */
static void split_addrs(const struct ir_elem *e, uint32_t n, unsigned int fam,
			struct pkt_addr *exact, uint32_t *nexact, struct lpm_prefix *pfx,
			uint32_t *npfx)
{
	unsigned int width = fam == 4 ? 32 : 128;

	*nexact = *npfx = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (e[i].fam != fam)
			continue;
		if (e[i].plen == width) {
			exact[(*nexact)++] = e[i].addr;
		} else {
			pfx[*npfx].addr = e[i].addr;
			pfx[*npfx].len = e[i].plen;
			pfx[(*npfx)++].value = 0;
		}
	}
}

int fw_aset_build(struct fw_arena *a, struct fw_aset *s, const struct ir_elem *e, uint32_t n)
{
	struct pkt_addr *exact = fw_mem_alloc(a->mem, (size_t)n * sizeof(*exact));
	struct lpm_prefix *pfx = fw_mem_alloc(a->mem, (size_t)n * sizeof(*pfx));
	int rc = exact && pfx ? 0 : -ENOMEM;

	memset(s, 0, sizeof(*s));
	for (unsigned int f = 0; f < 2 && !rc; f++) {
		uint32_t ne, np;

		split_addrs(e, n, f ? 6 : 4, exact, &ne, pfx, &np);
		rc = fw_addrmap_build(a, &s->exact[f], exact, NULL, ne);
		if (!rc)
			rc = fw_lpm_build(a, &s->lpm[f], pfx, np, f ? 128 : 32);
	}
	fw_mem_free(a->mem, exact, (size_t)n * sizeof(*exact));
	fw_mem_free(a->mem, pfx, (size_t)n * sizeof(*pfx));
	return rc;
}

bool fw_aset_has(const struct fw_aset *s, const struct pkt_addr *addr, bool v6)
{
	uint32_t v;

	return fw_addrmap_get(&s->exact[v6], addr, NULL) || fw_lpm_lookup(&s->lpm[v6], addr, &v);
}

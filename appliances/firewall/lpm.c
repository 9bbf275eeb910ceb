// SPDX-License-Identifier: BSD-2-Clause
/*
 * Longest-prefix match over IPv4 or IPv6 prefixes: a multibit trie with
 * 6-bit strides in the Tree Bitmap layout (Eatherton et al.), the compact
 * cousin of poptrie.
 *
 * Each node covers 6 bits of the address. Its `internal` bitmap marks the
 * prefixes that end inside the node (lengths 0..5 relative to the node:
 * 1 + 2 + ... + 32 = 63 positions) and its `external` bitmap the 64
 * possible children. Children are stored contiguously from `child`, results
 * from `result`, so a node is 24 bytes and a popcount finds the slot.
 * A lookup is at most 6 node visits for IPv4 and 22 for IPv6, whatever the
 * number of prefixes. Memory is bounded by one node per 6 bits of each
 * prefix, checked when sizing the node array.
 *
 * The trie is built once from a sorted prefix list and never changes (the
 * ruleset is immutable), so there is no insert/delete path to get wrong.
 * The build recurses once per stride, so its depth is at most 22.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define STRIDE 6

/* Portable popcount: no POPCNT instruction is assumed in the kernel's -march. */
static inline unsigned int popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned int)((x * 0x0101010101010101ull) >> 56);
}

static inline uint64_t below(unsigned int bit)
{
	return (1ull << bit) - 1;
}

/* The 6 bits of @a from bit @d on (bits at or after @width read as 0). */
static inline unsigned int chunk(const uint8_t *a, unsigned int d, unsigned int width)
{
	unsigned int byte = d >> 3;
	uint32_t w = (uint32_t)a[byte] << 8 | (byte + 1 < 16 ? a[byte + 1] : 0);
	unsigned int v = (w >> (16 - STRIDE - (d & 7))) & 63;

	if (d + STRIDE > width)
		v &= ~(unsigned int)below(d + STRIDE - width);
	return v;
}

void fw_addr_mask(struct pkt_addr *a, unsigned int plen)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		a->b[i] &= plen > 8 * i ? (uint8_t)(0xff00 >> (plen - 8 * i)) : 0;
	}
}

bool fw_addr_in(const struct pkt_addr *a, const struct pkt_addr *net, unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(a->b, net->b, full) != 0)
		return false;
	return rest == 0 || ((a->b[full] ^ net->b[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* Internal-bitmap position of a prefix of relative length @l (0..5) given the node chunk. */
static inline unsigned int ipos(unsigned int l, unsigned int c)
{
	return (1u << l) - 1 + (c >> (STRIDE - l));
}

bool fw_lpm_lookup(const struct fw_lpm *t, const struct pkt_addr *addr, uint32_t *value)
{
	const struct lpm_node *n = t->nodes;
	bool found = false;

	for (unsigned int d = 0; n; d += STRIDE) {
		unsigned int c = chunk(addr->b, d, t->width);

		for (int l = STRIDE - 1; n->internal && l >= 0; l--) {
			unsigned int pos = ipos((unsigned int)l, c);

			if (n->internal >> pos & 1) {
				*value = t->results[n->result +
						    popcount64(n->internal & below(pos))];
				found = true;
				break;
			}
		}
		if (!(n->external >> c & 1))
			break;
		n = &t->nodes[n->child + popcount64(n->external & below(c))];
	}
	return found;
}

unsigned int fw_lpm_collect(const struct fw_lpm *t, const struct pkt_addr *addr, uint32_t *out,
			    unsigned int max)
{
	const struct lpm_node *n = t->nodes;
	unsigned int k = 0;

	for (unsigned int d = 0; n; d += STRIDE) {
		unsigned int c = chunk(addr->b, d, t->width);

		for (unsigned int l = 0; n->internal && l < STRIDE && k < max; l++) {
			unsigned int pos = ipos(l, c);

			if (n->internal >> pos & 1)
				out[k++] = t->results[n->result +
						      popcount64(n->internal & below(pos))];
		}
		if (!(n->external >> c & 1))
			break;
		n = &t->nodes[n->child + popcount64(n->external & below(c))];
	}
	return k;
}

struct build {
	struct lpm_node *nodes;
	uint32_t *results;
	uint32_t nnodes, nresults, cap;
	const struct lpm_prefix *p;
	unsigned int width;
};

static int cmp_prefix(const void *a, const void *b)
{
	const struct lpm_prefix *x = a, *y = b;
	int c = memcmp(x->addr.b, y->addr.b, sizeof(x->addr.b));

	return c ? c : (int)x->len - (int)y->len;
}

/* Fill node @ni from prefixes [lo, hi), which share their first @d bits and are >= @d long. */
static int build_node(struct build *b, uint32_t ni, uint32_t lo, uint32_t hi, unsigned int d)
{
	struct lpm_node n = {0};
	uint32_t i, j, next;

	for (i = lo; i < hi; i++) {
		unsigned int c = chunk(b->p[i].addr.b, d, b->width), l = b->p[i].len - d;

		if (l < STRIDE)
			n.internal |= 1ull << ipos(l, c);
		else
			n.external |= 1ull << c;
	}
	n.result = b->nresults;
	b->nresults += popcount64(n.internal);
	n.child = b->nnodes;
	b->nnodes += popcount64(n.external);
	if (b->nnodes > b->cap)
		return -EINVAL; /* cannot happen: cap counts one node per stride of each prefix */
	for (i = lo; i < hi; i++) {
		unsigned int c = chunk(b->p[i].addr.b, d, b->width), l = b->p[i].len - d;

		if (l < STRIDE)
			b->results[n.result + popcount64(n.internal & below(ipos(l, c)))] =
				b->p[i].value;
	}
	b->nodes[ni] = n;
	/* Sorted input: the prefixes under one child are contiguous (see cmp_prefix). */
	for (i = lo; i < hi; i = next) {
		unsigned int c = chunk(b->p[i].addr.b, d, b->width);
		int rc;

		next = i + 1;
		if (b->p[i].len - d < STRIDE)
			continue;
		for (j = i + 1;
		     j < hi && b->p[j].len - d >= STRIDE && chunk(b->p[j].addr.b, d, b->width) == c;
		     j++)
			;
		next = j;
		rc = build_node(b, n.child + popcount64(n.external & below(c)), i, j, d + STRIDE);
		if (rc)
			return rc;
	}
	return 0;
}

/* Sort, drop duplicates (the first value wins), and size the arrays. */
static uint32_t prepare(struct lpm_prefix *p, uint32_t n, unsigned int width, size_t *nodes)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		p[i].len = p[i].len > width ? (uint8_t)width : p[i].len;
		fw_addr_mask(&p[i].addr, p[i].len);
	}
	/* Stable for equal keys is not needed: equal prefixes keep the lowest value. */
	qsort(p, n, sizeof(*p), cmp_prefix);
	*nodes = 1;
	for (uint32_t i = 0; i < n; i++) {
		if (k && cmp_prefix(&p[k - 1], &p[i]) == 0) {
			if (p[i].value < p[k - 1].value)
				p[k - 1].value = p[i].value;
			continue;
		}
		p[k++] = p[i];
		*nodes += p[i].len / STRIDE;
	}
	return k;
}

int fw_lpm_build(struct fw_arena *a, struct fw_lpm *t, struct lpm_prefix *p, uint32_t n,
		 unsigned int width)
{
	struct build b = {.p = p, .width = width};
	size_t cap;

	memset(t, 0, sizeof(*t));
	t->width = width;
	if (n == 0)
		return 0;
	n = prepare(p, n, width, &cap);
	if (cap > UINT32_MAX / 2)
		return -ENOMEM;
	b.cap = (uint32_t)cap;
	b.nodes = fw_arena_alloc(a, cap * sizeof(*b.nodes));
	b.results = fw_arena_alloc(a, (size_t)n * sizeof(*b.results));
	if (!b.nodes || !b.results)
		return -ENOMEM;
	b.nnodes = 1;
	if (build_node(&b, 0, 0, n, 0))
		return -EINVAL;
	t->nodes = b.nodes;
	t->results = b.results;
	t->nnodes = b.nnodes;
	return 0;
}

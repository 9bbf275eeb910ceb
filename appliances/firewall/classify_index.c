// SPDX-License-Identifier: BSD-2-Clause
/*
 * The rule index: how a packet finds the few rules that can match it
 * without scanning the rule list.
 *
 * Each rule is filed under one "anchor": a non-negated match on a source or
 * destination port (a value, a small range or set), or on a source or
 * destination address (an address, a prefix, or a small address set). A
 * packet looks up its own ports (hash tables) and addresses (a hash table
 * for full-length addresses, the LPM trie for prefixes, which yields every
 * stored prefix containing the address) and gets one sorted list of rule
 * indices per hit, plus the fallback list of rules with no usable anchor.
 * The classifier merges these lists in rule order, so the first-match
 * semantics are exactly those of a linear scan.
 *
 * Which anchor? The one whose key is shared by the fewest rules: the
 * compiler counts, for every candidate key, how many rules could be filed
 * under it, and gives each rule the candidate with the smallest worst-case
 * list (ties: dport, daddr, saddr, sport). 10,000 rules `ip saddr
 * 10.x.y.0/24 tcp dport 22 accept` are filed by prefix (one per list);
 * 10,000 rules `tcp dport N accept` by port.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

enum { IX_SPORT, IX_DPORT, IX_SADDR4, IX_SADDR6, IX_DADDR4, IX_DADDR6, IX_COUNT };

/* Tie-break preference per index (lower is better). */
static const uint8_t ix_pref[IX_COUNT] = {3, 0, 2, 2, 1, 1};

struct cand {
	struct pkt_addr key; /* a port is in key.b[0..1], big-endian, so memcmp orders it */
	uint32_t rule, gm;   /* the rule and its IR match (global index) */
	uint8_t ix, plen;
};

struct ixb {
	struct fw_arena *a;
	struct fw_mem *mem;
	const struct fw_ir *ir;
	struct cand *c;
	uint32_t n, cap;
	uint32_t *mcost;  /* per IR match: FW_NOKEY if it cannot anchor, else its worst list */
	uint32_t *anchor; /* per rule: the chosen IR match, or FW_NOKEY */
	struct fw_vec lists, cands;
};

static int ix_of(unsigned int field)
{
	switch (field) {
	case FWF_SPORT:
		return IX_SPORT;
	case FWF_DPORT:
		return IX_DPORT;
	case FWF_SADDR4:
		return IX_SADDR4;
	case FWF_SADDR6:
		return IX_SADDR6;
	case FWF_DADDR4:
		return IX_DADDR4;
	case FWF_DADDR6:
		return IX_DADDR6;
	}
	return -1;
}

static int add(struct ixb *b, int ix, const struct pkt_addr *key, unsigned int plen, uint32_t rule,
	       uint32_t gm)
{
	struct cand *c;

	if (b->n == b->cap) {
		uint32_t ncap = b->cap ? b->cap * 2 : 256;
		void *q;

		if (b->cap >= UINT32_MAX / 4)
			return -ENOMEM;
		q = fw_mem_grow(b->mem, b->c, (size_t)b->cap * sizeof(*c),
				(size_t)ncap * sizeof(*c));
		if (!q)
			return -ENOMEM;
		b->c = q;
		b->cap = ncap;
	}
	c = &b->c[b->n++];
	memset(c, 0, sizeof(*c));
	if (key)
		c->key = *key;
	c->rule = rule;
	c->gm = gm;
	c->ix = (uint8_t)ix;
	c->plen = (uint8_t)plen;
	return 0;
}

static int add_port(struct ixb *b, int ix, uint32_t port, uint32_t rule, uint32_t gm)
{
	struct pkt_addr k = {{0}};

	k.b[0] = (uint8_t)(port >> 8);
	k.b[1] = (uint8_t)port;
	return add(b, ix, &k, 16, rule, gm);
}

/* Keys of a port match; 1 if it has too many to be an anchor. */
static int port_keys(struct ixb *b, const struct ir_match *m, int ix, uint32_t rule, uint32_t gm)
{
	const struct ir_set *s;
	const struct ir_elem *e;
	uint32_t total = 0;

	if (m->kind == FWM_RANGE) {
		if (m->hi - m->lo >= FW_INDEX_KEYS_MAX)
			return 1;
		for (uint32_t v = m->lo; v <= m->hi; v++)
			if (add_port(b, ix, v, rule, gm))
				return -ENOMEM;
		return 0;
	}
	if (m->kind != FWM_SET)
		return 1;
	/* m->lo is a set index only for FWM_SET. */
	s = FW_VEC_AT(&b->ir->sets, struct ir_set, m->lo);
	e = FW_VEC_AT(&b->ir->elems, struct ir_elem, s->first);
	for (uint32_t i = 0; i < s->n && total <= FW_INDEX_KEYS_MAX; i++)
		total += e[i].hi - e[i].lo + 1;
	if (total > FW_INDEX_KEYS_MAX)
		return 1;
	for (uint32_t i = 0; i < s->n; i++)
		for (uint32_t v = e[i].lo; v <= e[i].hi; v++)
			if (add_port(b, ix, v, rule, gm))
				return -ENOMEM;
	return 0;
}

/* Keys of an address match; 1 if it cannot be an anchor (/0, or too many). */
static int addr_keys(struct ixb *b, const struct ir_match *m, int ix, uint32_t rule, uint32_t gm)
{
	unsigned int fam = ix == IX_SADDR4 || ix == IX_DADDR4 ? 4 : 6;
	const struct ir_set *s;
	const struct ir_elem *e;
	uint32_t total = 0;

	if (m->kind == FWM_PREFIX)
		return m->plen == 0 ? 1 : add(b, ix, &m->addr, m->plen, rule, gm);
	if (m->kind != FWM_SET)
		return 1;
	s = FW_VEC_AT(&b->ir->sets, struct ir_set, m->lo);
	e = FW_VEC_AT(&b->ir->elems, struct ir_elem, s->first);
	/* Only this family's elements can match; none at all means never (an empty anchor). */
	for (uint32_t i = 0; i < s->n; i++) {
		if (e[i].fam != fam)
			continue;
		if (e[i].plen == 0 || ++total > FW_INDEX_KEYS_MAX)
			return 1;
	}
	for (uint32_t i = 0; i < s->n; i++)
		if (e[i].fam == fam && add(b, ix, &e[i].addr, e[i].plen, rule, gm))
			return -ENOMEM;
	return 0;
}

static int rule_candidates(struct ixb *b, uint32_t rule)
{
	const struct ir_rule *r = FW_VEC_AT(&b->ir->rules, struct ir_rule, rule);

	for (uint32_t gm = r->first; gm < r->first + r->n; gm++) {
		const struct ir_match *m = FW_VEC_AT(&b->ir->matches, struct ir_match, gm);
		int ix = ix_of(m->field), rc;

		b->mcost[gm] = FW_NOKEY;
		if (ix < 0 || m->neg)
			continue;
		rc = ix <= IX_DPORT ? port_keys(b, m, ix, rule, gm) : addr_keys(b, m, ix, rule, gm);
		if (rc < 0)
			return rc;
		if (rc == 0)
			b->mcost[gm] = 0;
	}
	return 0;
}

static int cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c;

	if (a->ix != b->ix)
		return a->ix < b->ix ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	c = memcmp(&a->key, &b->key, sizeof(a->key));
	if (c)
		return c;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static bool same_key(const struct cand *a, const struct cand *b)
{
	return a->ix == b->ix && a->plen == b->plen &&
	       memcmp(&a->key, &b->key, sizeof(a->key)) == 0;
}

/* Each candidate match costs the largest list it would join; each rule takes its cheapest. */
static void choose_anchors(struct ixb *b)
{
	for (uint32_t i = 0, j; i < b->n; i = j) {
		for (j = i + 1; j < b->n && same_key(&b->c[i], &b->c[j]); j++)
			;
		for (uint32_t k = i; k < j; k++)
			if (b->mcost[b->c[k].gm] < j - i)
				b->mcost[b->c[k].gm] = j - i;
	}
	for (uint32_t rule = 0; rule < b->ir->rules.n; rule++) {
		const struct ir_rule *r = FW_VEC_AT(&b->ir->rules, struct ir_rule, rule);
		uint64_t best = UINT64_MAX;

		b->anchor[rule] = FW_NOKEY;
		for (uint32_t gm = r->first; gm < r->first + r->n; gm++) {
			const struct ir_match *m = FW_VEC_AT(&b->ir->matches, struct ir_match, gm);
			uint64_t cost;

			if (b->mcost[gm] == FW_NOKEY)
				continue;
			cost = (uint64_t)b->mcost[gm] * 8 + ix_pref[ix_of(m->field)];
			if (cost < best) {
				best = cost;
				b->anchor[rule] = gm;
			}
		}
	}
}

static int push_u32(struct ixb *b, struct fw_vec *v, uint32_t x)
{
	uint32_t *slot = fw_vec_push(b->mem, v);

	if (!slot)
		return -ENOMEM;
	*slot = x;
	return 0;
}

/* The list of the rules anchored in key group [i, j): its index, or FW_NOKEY if none. */
static int emit_list(struct ixb *b, uint32_t i, uint32_t j, uint32_t *list)
{
	uint32_t off = b->cands.n, last = FW_NOKEY;
	struct fw_list *l;

	*list = FW_NOKEY;
	for (uint32_t k = i; k < j; k++) {
		const struct cand *c = &b->c[k];

		/* Sorted by rule within the group; a set may repeat a key. */
		if (b->anchor[c->rule] != c->gm || c->rule == last)
			continue;
		if (push_u32(b, &b->cands, c->rule))
			return -ENOMEM;
		last = c->rule;
	}
	if (b->cands.n == off)
		return 0;
	l = fw_vec_push(b->mem, &b->lists);
	if (!l)
		return -ENOMEM;
	l->off = off;
	l->n = b->cands.n - off;
	*list = b->lists.n - 1;
	return 0;
}

/* Lists for every key group; the groups' first entries are compacted to the front. */
static int emit_lists(struct ixb *b, uint32_t *nents)
{
	uint32_t w = 0;

	for (uint32_t i = 0, j; i < b->n; i = j) {
		uint32_t list;

		for (j = i + 1; j < b->n && same_key(&b->c[i], &b->c[j]); j++)
			;
		if (emit_list(b, i, j, &list))
			return -ENOMEM;
		if (list == FW_NOKEY)
			continue;
		b->c[w] = b->c[i];
		b->c[w++].rule = list; /* from here on: the list index */
	}
	*nents = w;
	return 0;
}

static int build_ports(struct ixb *b, struct fw_u32map *h, const struct cand *e, uint32_t n)
{
	uint32_t *keys = fw_mem_alloc(b->mem, (size_t)n * 2 * sizeof(*keys));
	int rc = -ENOMEM;

	if (keys) {
		for (uint32_t i = 0; i < n; i++) {
			keys[i] = (uint32_t)e[i].key.b[0] << 8 | e[i].key.b[1];
			keys[n + i] = e[i].rule;
		}
		rc = fw_u32map_build(b->a, h, keys, keys + n, n);
	}
	fw_mem_free(b->mem, keys, (size_t)n * 2 * sizeof(*keys));
	return rc;
}

static int build_addrs(struct ixb *b, struct fw_addrmap *h, struct fw_lpm *t, unsigned int width,
		       const struct cand *e, uint32_t n)
{
	struct pkt_addr *keys = fw_mem_alloc(b->mem, (size_t)n * sizeof(*keys));
	uint32_t *vals = fw_mem_alloc(b->mem, (size_t)n * sizeof(*vals));
	struct lpm_prefix *pfx = fw_mem_alloc(b->mem, (size_t)n * sizeof(*pfx));
	uint32_t ne = 0, np = 0;
	int rc = -ENOMEM;

	if (keys && vals && pfx) {
		for (uint32_t i = 0; i < n; i++) {
			if (e[i].plen == width) {
				keys[ne] = e[i].key;
				vals[ne++] = e[i].rule;
			} else {
				pfx[np].addr = e[i].key;
				pfx[np].len = e[i].plen;
				pfx[np++].value = e[i].rule;
			}
		}
		rc = fw_addrmap_build(b->a, h, keys, vals, ne);
		if (!rc)
			rc = fw_lpm_build(b->a, t, pfx, np, width);
	}
	fw_mem_free(b->mem, keys, (size_t)n * sizeof(*keys));
	fw_mem_free(b->mem, vals, (size_t)n * sizeof(*vals));
	fw_mem_free(b->mem, pfx, (size_t)n * sizeof(*pfx));
	return rc;
}

/* One lookup structure per index from the (sorted by index) entries. */
static int build_structures(struct ixb *b, struct fw_index *idx, uint32_t nents)
{
	for (uint32_t i = 0, j; i < nents; i = j) {
		int ix = b->c[i].ix, rc;
		int dir = ix == IX_SADDR4 || ix == IX_SADDR6 ? 0 : 1;
		int v6 = ix == IX_SADDR6 || ix == IX_DADDR6;

		for (j = i; j < nents && b->c[j].ix == ix; j++)
			;
		if (ix <= IX_DPORT)
			rc = build_ports(b, &idx->port[ix], b->c + i, j - i);
		else
			rc = build_addrs(b, &idx->exact[dir][v6], &idx->lpm[dir][v6], v6 ? 128 : 32,
					 b->c + i, j - i);
		if (rc)
			return rc;
	}
	return 0;
}

/* Fallback list, then everything moved from temporary vectors into the arena. */
static int finish(struct ixb *b, struct fw_index *idx)
{
	uint32_t *cand;
	struct fw_list *lists;

	idx->fallback.off = b->cands.n;
	for (uint32_t rule = 0; rule < b->ir->rules.n; rule++)
		if (b->anchor[rule] == FW_NOKEY && push_u32(b, &b->cands, rule))
			return -ENOMEM;
	idx->fallback.n = b->cands.n - idx->fallback.off;
	cand = fw_arena_alloc(b->a, (size_t)b->cands.n * sizeof(*cand));
	lists = fw_arena_alloc(b->a, (size_t)b->lists.n * sizeof(*lists));
	if (!cand || !lists)
		return -ENOMEM;
	if (b->cands.n)
		memcpy(cand, b->cands.data, (size_t)b->cands.n * sizeof(*cand));
	if (b->lists.n)
		memcpy(lists, b->lists.data, (size_t)b->lists.n * sizeof(*lists));
	idx->cand = cand;
	idx->lists = lists;
	idx->max_lists = FW_MAX_LISTS;
	return 0;
}

static int build(struct ixb *b, struct fw_index *idx)
{
	uint32_t nents;
	int rc = 0;

	for (uint32_t rule = 0; rule < b->ir->rules.n && !rc; rule++)
		rc = rule_candidates(b, rule);
	if (rc)
		return rc;
	if (b->n)
		qsort(b->c, b->n, sizeof(*b->c), cmp_cand);
	choose_anchors(b);
	rc = emit_lists(b, &nents);
	if (!rc)
		rc = build_structures(b, idx, nents);
	if (!rc)
		rc = finish(b, idx);
	return rc;
}

int fw_index_build(struct fw_arena *a, struct fw_ruleset *rs, const struct fw_ir *ir)
{
	struct ixb b = {.a = a, .mem = a->mem, .ir = ir};
	size_t nm = ir->matches.n, nr = ir->rules.n;
	int rc = -ENOMEM;

	memset(&rs->idx, 0, sizeof(rs->idx));
	fw_vec_init(&b.lists, sizeof(struct fw_list));
	fw_vec_init(&b.cands, sizeof(uint32_t));
	b.mcost = fw_mem_alloc(b.mem, nm * sizeof(*b.mcost));
	b.anchor = fw_mem_alloc(b.mem, nr * sizeof(*b.anchor));
	if (b.mcost && b.anchor)
		rc = build(&b, &rs->idx);
	fw_mem_free(b.mem, b.mcost, nm * sizeof(*b.mcost));
	fw_mem_free(b.mem, b.anchor, nr * sizeof(*b.anchor));
	fw_mem_free(b.mem, b.c, (size_t)b.cap * sizeof(*b.c));
	fw_vec_free(b.mem, &b.lists);
	fw_vec_free(b.mem, &b.cands);
	return rc;
}

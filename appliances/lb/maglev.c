// SPDX-License-Identifier: BSD-2-Clause
/*
 * Backend selection (lbcore.h): Maglev lookup tables (Eisenbud et al.,
 * "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI'16,
 * section 3.4), the flow hash, and the two alternatives a service may ask
 * for, weighted round robin and least connections.
 *
 * Maglev: backend i has a permutation of the M slots, offset_i + j * skip_i
 * (mod M) for j = 0, 1, ..., with offset and skip from two independent
 * hashes of its identity; M prime and 1 <= skip < M make it a permutation.
 * Backends take turns claiming the next free slot of their permutation
 * until the table is full. Because a backend's preferences depend only on
 * its own identity, removing one of N backends changes about 1/N of the
 * slots (its own, refilled by the others) and little else.
 *
 * Weights follow Envoy's variant: in turn t, backend i claims a slot only
 * if t * w_i has reached its target, which grows by max(w) per claim, so
 * the claims come in proportion to the weights.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbcore.h"

/* SplitMix64's finalizer: a fast bijective mix with good avalanche. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t lb_backend_id(const struct pkt_addr *a, bool v6, uint16_t port)
{
	uint64_t h = mix64(load64(a->b) ^ 0x6c62616c616e6365ull);

	h = mix64(h ^ load64(a->b + 8));
	return mix64(h ^ ((uint64_t)port << 8 | (v6 ? 6 : 4)));
}

uint64_t lb_flow_hash(const struct pkt_addr *saddr, const struct pkt_addr *daddr, uint16_t sport,
		      uint16_t dport, uint8_t proto, uint64_t seed)
{
	uint64_t h = mix64(seed ^ load64(saddr->b));

	h = mix64(h ^ load64(saddr->b + 8));
	h = mix64(h ^ load64(daddr->b));
	h = mix64(h ^ load64(daddr->b + 8));
	return mix64(h ^ ((uint64_t)sport << 24 | (uint64_t)dport << 8 | proto));
}

bool lb_is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

struct mg_walk {
	uint32_t idx; /* into the caller's list */
	uint32_t offset, skip, next;
	uint64_t target; /* turn * weight must reach it before the next claim */
};

/* The next free slot on @w's permutation (one exists: the table is not full). */
static uint32_t mg_claim(uint16_t *table, uint32_t m, struct mg_walk *w)
{
	uint32_t c;

	do {
		c = (uint32_t)(((uint64_t)w->offset + (uint64_t)w->next * w->skip) % m);
		w->next++;
	} while (table[c] != LB_MG_NONE);
	return c;
}

/*
 * Turns go in the order of the backends' ids, not of the list: the same
 * pool written in another order (a reordered file) gives the same table.
 */
static void mg_order(struct mg_walk *w, const struct lb_mg_in *in, unsigned int n, uint32_t m)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = i;

		while (k > 0 && in[w[k - 1].idx].id > in[i].id) {
			w[k] = w[k - 1];
			k--;
		}
		w[k] = (struct mg_walk){.idx = i};
	}
	for (unsigned int k = 0; k < n; k++) {
		uint64_t id = in[w[k].idx].id;

		w[k].offset = (uint32_t)(mix64(id ^ 0x9e3779b97f4a7c15ull) % m);
		w[k].skip = (uint32_t)(mix64(id ^ 0xc2b2ae3d27d4eb4full) % (m - 1)) + 1;
	}
}

int lb_maglev_build(uint16_t *table, uint32_t m, const struct lb_mg_in *in, unsigned int n)
{
	uint32_t maxw = 0, filled = 0;
	struct mg_walk *w;

	if (m < LB_TABLE_MIN || m > LB_TABLE_MAX || !lb_is_prime(m) || n >= LB_MG_NONE)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		maxw = in[i].weight > maxw ? in[i].weight : maxw;
	/* Allocate first: on failure the table in use stays as it was. */
	w = calloc(n ? n : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (uint32_t s = 0; s < m; s++)
		table[s] = LB_MG_NONE;
	if (maxw == 0) {
		free(w);
		return 0; /* nobody takes flows: every lookup says so */
	}
	mg_order(w, in, n, m);
	/* Every turn the heaviest backend claims a slot: at most m turns. */
	for (uint64_t turn = 1; filled < m; turn++) {
		for (unsigned int k = 0; k < n && filled < m; k++) {
			uint32_t i = w[k].idx;

			if (!in[i].weight || turn * in[i].weight < w[k].target)
				continue;
			w[k].target += maxw;
			table[mg_claim(table, m, &w[k])] = (uint16_t)i;
			filled++;
		}
	}
	free(w);
	return 0;
}

int lb_wrr_pick(const uint32_t *weight, int64_t *cur, unsigned int n)
{
	int64_t total = 0;
	int best = -1;

	/* Each pick raises everyone by their weight and lowers the winner by the total. */
	for (unsigned int i = 0; i < n; i++) {
		if (!weight[i])
			continue;
		cur[i] += weight[i];
		total += weight[i];
		if (best < 0 || cur[i] > cur[best])
			best = (int)i;
	}
	if (best >= 0)
		cur[best] -= total;
	return best;
}

int lb_lc_pick(const uint32_t *weight, const uint32_t *active, unsigned int n)
{
	int best = -1;

	/* active_i / w_i < active_b / w_b, compared without division. */
	for (unsigned int i = 0; i < n; i++) {
		if (!weight[i])
			continue;
		if (best < 0 ||
		    (uint64_t)active[i] * weight[best] < (uint64_t)active[best] * weight[i])
			best = (int)i;
	}
	return best;
}

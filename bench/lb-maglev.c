// SPDX-License-Identifier: BSD-2-Clause
/*
 * Maglev disruption for bench/lb, measured on the appliance's own table
 * builder and flow hash (appliances/lb/maglev.c, linked as it is): for N
 * equal backends and the default table size, each backend in turn (at
 * most 10 of them) is removed and the tables before and after compared.
 * Printed per N, averaged over the removals:
 *   slots   share of table slots whose backend changed (ideal: 1/N, the
 *           removed backend's own slots);
 *   others  share of slots that moved between surviving backends (the
 *           part of the disruption that Maglev trades for balance);
 *   flows   share of 200,000 random 5-tuples (a random key, as the
 *           appliance draws at boot) placed on another backend.
 * Usage: lb-maglev [N...] (default 3 10 100).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbcore.h"

#define M LB_TABLE_DEFAULT
#define FLOWS 200000u

/* xorshift64: reproducible 5-tuples and key. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint16_t *build(const struct lb_mg_in *in, unsigned int n)
{
	uint16_t *t = malloc(M * sizeof(*t));

	if (!t || lb_maglev_build(t, M, in, n) != 0) {
		fprintf(stderr, "lb-maglev: cannot build a table of %u backends\n", n);
		exit(1);
	}
	return t;
}

static void one_n(unsigned int n)
{
	struct lb_mg_in *all = calloc(n, sizeof(*all)), *less = calloc(n, sizeof(*less));
	double slots = 0, others = 0, flows = 0;
	unsigned int runs = n < 10 ? n : 10;
	uint64_t x = 0x9e3779b97f4a7c15ull, key = rnd(&x);
	uint16_t *t;

	if (!all || !less)
		exit(1);
	for (unsigned int i = 0; i < n; i++) {
		struct pkt_addr a = {{10, 1, (uint8_t)(i >> 8), (uint8_t)i}};

		all[i].id = lb_backend_id(&a, false, 80);
		all[i].weight = 1;
	}
	t = build(all, n);
	for (unsigned int r = 0; r < runs; r++) {
		unsigned int gone = r * n / runs;
		uint32_t ch = 0, oth = 0, fl = 0;
		uint16_t *u;

		memcpy(less, all, gone * sizeof(*all));
		memcpy(less + gone, all + gone + 1, (n - gone - 1) * sizeof(*all));
		u = build(less, n - 1);
		for (uint32_t s = 0; s < M; s++) {
			int moved = all[t[s]].id != less[u[s]].id;

			ch += moved;
			oth += moved && t[s] != gone;
		}
		for (uint32_t f = 0; f < FLOWS; f++) {
			uint64_t v = rnd(&x);
			struct pkt_addr sa = {{10, 0, (uint8_t)(v >> 8), (uint8_t)v}};
			struct pkt_addr da = {{10, 0, 0, 2}};
			uint64_t h = lb_flow_hash(&sa, &da, (uint16_t)(v >> 16), 80, 6, key);

			fl += all[t[h % M]].id != less[u[h % M]].id;
		}
		slots += (double)ch / M;
		others += (double)oth / M;
		flows += (double)fl / FLOWS;
		free(u);
	}
	printf("maglev: remove 1 of %u backends (M = %u, %u removals): slots %.2f%%, "
	       "others %.2f%%, flows %.2f%% (ideal 1/N = %.2f%%)\n",
	       n, M, runs, 100 * slots / runs, 100 * others / runs, 100 * flows / runs, 100.0 / n);
	free(t);
	free(all);
	free(less);
}

int main(int argc, char **argv)
{
	static const unsigned int def[] = {3, 10, 100};

	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			unsigned long n = strtoul(argv[i], NULL, 10);

			if (n < 2 || n > LB_SVC_BACKENDS_MAX) {
				fprintf(stderr, "lb-maglev: N from 2 to %u\n", LB_SVC_BACKENDS_MAX);
				return 2;
			}
			one_n((unsigned int)n);
		}
		return 0;
	}
	for (unsigned int i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		one_n(def[i]);
	return 0;
}

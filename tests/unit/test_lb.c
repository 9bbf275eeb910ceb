// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the load balancer's backend selection and health counter
 * (appliances/lb/maglev.c, lbhealth.c).
 *
 * Maglev figures asserted here (M = 65537), printed by the test too:
 *   balance, equal weights, N = 10 and N = 100: every backend's share
 *     within 1% of M/N (M > 100 N) and within 3% (M ~ 650 N / 65 N);
 *   balance, weights 1:2:3:4: each share within 1% of w/sum(w);
 *   disruption, one backend of N = 10 removed: at most 1.10 x 1/N of
 *     the slots change; one added (N = 10 -> 11): at most 1.10 x 1/(N+1);
 *   determinism: the same backends in any order give the same table.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbcore.h"

#define M LB_TABLE_DEFAULT
#define GOLDEN 0xe42a2233b177ed22ull /* test_determinism: the 7-backend table */

static void mk_backends(struct lb_mg_in *in, unsigned int n, const uint32_t *w)
{
	for (unsigned int i = 0; i < n; i++) {
		struct pkt_addr a = {{10, 1, (uint8_t)(i >> 8), (uint8_t)(i + 11)}};

		in[i].id = lb_backend_id(&a, false, 80);
		in[i].weight = w ? w[i] : 1;
	}
}

static uint16_t *build(const struct lb_mg_in *in, unsigned int n, uint32_t m)
{
	uint16_t *t = malloc(m * sizeof(*t));

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(lb_maglev_build(t, m, in, n), 0);
	return t;
}

/* Worst relative deviation of the shares from weight/sum(weight). */
static double worst_share(const uint16_t *t, uint32_t m, const struct lb_mg_in *in, unsigned int n)
{
	unsigned int cnt[LB_SVC_BACKENDS_MAX] = {0};
	double wsum = 0, worst = 0;

	for (uint32_t s = 0; s < m; s++) {
		ck_assert_uint_lt(t[s], n);
		cnt[t[s]]++;
	}
	for (unsigned int i = 0; i < n; i++)
		wsum += in[i].weight;
	for (unsigned int i = 0; i < n; i++) {
		double want = m * in[i].weight / wsum, d = (cnt[i] - want) / want;

		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
	}
	return worst;
}

START_TEST(test_balance_equal)
{
	static const struct {
		unsigned int n;
		uint32_t m;
		double tol;
	} cases[] = {{10, M, 0.01}, {100, M, 0.03}, {100, 16381, 0.03}, {3, 7, 0.51}};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct lb_mg_in in[100];
		uint16_t *t;
		double d;

		mk_backends(in, cases[c].n, NULL);
		t = build(in, cases[c].n, cases[c].m);
		d = worst_share(t, cases[c].m, in, cases[c].n);
		printf("maglev balance: N=%u M=%u worst share deviation %.3f%% (tolerance "
		       "%.0f%%)\n",
		       cases[c].n, cases[c].m, d * 100, cases[c].tol * 100);
		ck_assert_msg(d <= cases[c].tol, "N=%u: %.4f", cases[c].n, d);
		free(t);
	}
}
END_TEST

START_TEST(test_balance_weighted)
{
	static const uint32_t w[] = {1, 2, 3, 4}, w2[] = {1, 0, 256, 5, 5};
	struct lb_mg_in in[5];
	uint16_t *t;
	double d;

	mk_backends(in, 4, w);
	t = build(in, 4, M);
	d = worst_share(t, M, in, 4);
	printf("maglev balance: weights 1:2:3:4 worst share deviation %.3f%% (tolerance 1%%)\n",
	       d * 100);
	ck_assert(d <= 0.01);
	free(t);
	/* Weight 0 takes nothing; extreme ratios still come out in proportion. */
	mk_backends(in, 5, w2);
	t = build(in, 5, M);
	for (uint32_t s = 0; s < M; s++)
		ck_assert_uint_ne(t[s], 1);
	in[1].weight = 1; /* worst_share wants no zero weight: count it as absent */
	d = 0;
	{
		unsigned int c[5] = {0};

		for (uint32_t s = 0; s < M; s++)
			c[t[s]]++;
		d = (double)c[2] / M;
		ck_assert(d > 256.0 / 267 - 0.01 && d < 256.0 / 267 + 0.01);
		ck_assert(c[0] > 0 && c[3] > 0 && c[4] > 0);
	}
	free(t);
}
END_TEST

/* Fraction of slots whose backend identity differs between two tables. */
static double changed(const uint16_t *a, const struct lb_mg_in *ia, const uint16_t *b,
		      const struct lb_mg_in *ib, uint32_t m)
{
	uint32_t n = 0;

	for (uint32_t s = 0; s < m; s++)
		n += ia[a[s]].id != ib[b[s]].id;
	return (double)n / m;
}

START_TEST(test_disruption)
{
	struct lb_mg_in all[11], less[10];
	uint16_t *t10, *t9, *t11;
	double d;

	mk_backends(all, 11, NULL);
	t10 = build(all, 10, M);
	t11 = build(all, 11, M);
	/* Remove backend 4 of the first ten. */
	memcpy(less, all, 4 * sizeof(all[0]));
	memcpy(less + 4, all + 5, 5 * sizeof(all[0]));
	t9 = build(less, 9, M);
	d = changed(t10, all, t9, less, M);
	printf("maglev disruption: remove 1 of 10: %.2f%% of slots moved (1/N = 10.00%%, "
	       "bound 11.00%%)\n",
	       d * 100);
	ck_assert(d >= 0.099 && d <= 0.11);
	/* Every slot of a backend that stayed and did not move is the reason: count them. */
	{
		uint32_t kept_moved = 0;

		for (uint32_t s = 0; s < M; s++)
			kept_moved += t10[s] != 4 && all[t10[s]].id != less[t9[s]].id;
		printf("maglev disruption: slots of surviving backends moved: %.2f%%\n",
		       100.0 * kept_moved / M);
	}
	d = changed(t10, all, t11, all, M);
	printf("maglev disruption: add 1 to 10: %.2f%% of slots moved (1/(N+1) = 9.09%%, "
	       "bound 10.00%%)\n",
	       d * 100);
	ck_assert(d >= 0.09 && d <= 0.10);
	free(t10);
	free(t9);
	free(t11);
}
END_TEST

START_TEST(test_determinism)
{
	struct lb_mg_in in[7], rev[7];
	uint16_t *a, *b, *c;

	mk_backends(in, 7, NULL);
	for (unsigned int i = 0; i < 7; i++)
		rev[i] = in[6 - i];
	a = build(in, 7, 16381);
	b = build(in, 7, 16381);
	c = build(rev, 7, 16381);
	ck_assert_mem_eq(a, b, 16381 * sizeof(*a));
	ck_assert(changed(a, in, c, rev, 16381) == 0);
	/*
	 * A fixed input gives a fixed table on every build and host (no hidden
	 * state, no randomness, no host-dependent arithmetic): a golden digest.
	 */
	{
		uint64_t d = 1469598103934665603ull;

		for (unsigned int s = 0; s < 16381; s++)
			d = (d ^ a[s]) * 1099511628211ull;
		printf("maglev golden digest %016llx\n", (unsigned long long)d);
		ck_assert_uint_eq(d, GOLDEN);
	}
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_build_errors)
{
	uint16_t t[8];
	struct lb_mg_in in[2];

	mk_backends(in, 2, NULL);
	ck_assert_int_eq(lb_maglev_build(t, 8, in, 2), -EINVAL); /* not prime */
	ck_assert_int_eq(lb_maglev_build(t, 5, in, 2), -EINVAL); /* below the minimum */
	in[0].weight = in[1].weight = 0;
	ck_assert_int_eq(lb_maglev_build(t, 7, in, 2), 0);
	for (int i = 0; i < 7; i++)
		ck_assert_uint_eq(t[i], LB_MG_NONE);
	ck_assert_int_eq(lb_maglev_build(t, 7, in, 0), 0);
	ck_assert(lb_is_prime(65537) && lb_is_prime(16381) && !lb_is_prime(65535) &&
		  !lb_is_prime(1));
}
END_TEST

START_TEST(test_flow_hash)
{
	struct pkt_addr a = {{10, 0, 0, 1}}, b = {{10, 0, 0, 10}};
	uint64_t h = lb_flow_hash(&a, &b, 1000, 80, 6, 42);

	ck_assert_uint_eq(h, lb_flow_hash(&a, &b, 1000, 80, 6, 42));
	ck_assert_uint_ne(h, lb_flow_hash(&a, &b, 1001, 80, 6, 42));
	ck_assert_uint_ne(h, lb_flow_hash(&a, &b, 1000, 80, 17, 42));
	ck_assert_uint_ne(h, lb_flow_hash(&a, &b, 1000, 80, 6, 43));
}
END_TEST

START_TEST(test_wrr_lc)
{
	uint32_t w[3] = {5, 1, 0}, act[3] = {0, 0, 0}, cnt[3] = {0};
	int64_t cur[3] = {0};
	int prev = -1, runs = 0;

	for (int i = 0; i < 60; i++) {
		int k = lb_wrr_pick(w, cur, 3);

		ck_assert(k == 0 || k == 1);
		cnt[k]++;
		runs += k == prev;
		prev = k;
	}
	ck_assert_uint_eq(cnt[0], 50);
	ck_assert_uint_eq(cnt[1], 10);
	w[0] = w[1] = 0;
	ck_assert_int_eq(lb_wrr_pick(w, cur, 3), -1);
	/* Least connections: fewest active per weight; drained never. */
	w[0] = 2, w[1] = 1, w[2] = 0;
	act[0] = 3, act[1] = 1;
	ck_assert_int_eq(lb_lc_pick(w, act, 3), 1); /* 1/1 < 3/2 */
	act[1] = 2;
	ck_assert_int_eq(lb_lc_pick(w, act, 3), 0); /* 3/2 < 2/1 */
	w[0] = w[1] = 0;
	ck_assert_int_eq(lb_lc_pick(w, act, 3), -1);
}
END_TEST

START_TEST(test_health)
{
	struct lb_health h;

	/* Starts up (HAProxy's init-state up): the first failure marks it down. */
	lb_health_init(&h, 2, 3, true);
	ck_assert(h.up);
	ck_assert(lb_health_result(&h, false));
	ck_assert(!h.up);
	/* rise 2: one success is not enough, the second brings it up. */
	ck_assert(!lb_health_result(&h, true));
	ck_assert(!h.up);
	ck_assert(lb_health_result(&h, true));
	ck_assert(h.up);
	/* Fully up now: fall 3 failures in a row to go down. */
	ck_assert(!lb_health_result(&h, false));
	ck_assert(!lb_health_result(&h, false));
	ck_assert(h.up);
	ck_assert(lb_health_result(&h, false));
	ck_assert(!h.up);
	/* A success between failures resets nothing beyond one step. */
	lb_health_init(&h, 2, 3, false);
	ck_assert(!h.up);
	lb_health_result(&h, true);
	lb_health_result(&h, false); /* back to 0 */
	ck_assert(!lb_health_result(&h, true));
	ck_assert(lb_health_result(&h, true));
	ck_assert(!lb_health_result(&h, false)); /* 4 -> 3 */
	ck_assert(!lb_health_result(&h, true));	 /* 3 -> 4 */
	ck_assert(!lb_health_result(&h, false));
	ck_assert(!lb_health_result(&h, false));
	ck_assert(lb_health_result(&h, false));
	ck_assert_uint_eq(h.checks, 9);
	ck_assert_uint_eq(h.failed, 5);
	ck_assert_uint_eq(h.changes, 2);
	/* rise 1 fall 1: every result decides. */
	lb_health_init(&h, 1, 1, true);
	ck_assert(lb_health_result(&h, false));
	ck_assert(lb_health_result(&h, true));
	ck_assert(!lb_health_result(&h, true));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lb");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_balance_equal);
	tcase_add_test(tc, test_balance_weighted);
	tcase_add_test(tc, test_disruption);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_flow_hash);
	tcase_add_test(tc, test_wrr_lc);
	tcase_add_test(tc, test_health);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

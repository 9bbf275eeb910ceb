// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the load balancer's configuration swaps
 * (appliances/lb/lbstate.c): services and backends keep their slots (and
 * so their health, counters and flows) across a new configuration by
 * identity; one no longer listed is REMOVED, out of selection, and freed
 * once its flows are gone; a configuration needing more slots than are
 * free is refused and changes nothing; selection honours drain, weight 0
 * and health; a bad text leaves everything as it was.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

/* The kernel's clock and lbcheck.c's stop, as lbstate.c uses them. */
uint64_t now_ns(void)
{
	return 1000;
}

void lb_check_stop(struct lb_ctx *c, struct lb_be *b)
{
	(void)c;
	b->probe = -1;
}

static struct lb_ctx *new_ctx(void)
{
	struct lb_ctx *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->seed = 99;
	return c;
}

static void apply(struct lb_ctx *c, const char *text)
{
	struct lb_plan *pl;
	char msg[256], sum[96];

	ck_assert_msg(lb_plan_make(c, text, strlen(text), "t", &pl, msg, sizeof(msg)) == 0, "%s",
		      msg);
	lb_plan_apply(c, pl, sum, sizeof(sum));
}

static void free_ctx(struct lb_ctx *c)
{
	for (int i = 0; i < LB_SVC_SLOTS; i++)
		free(c->svc[i].table);
	free(c);
}

static struct pkt_meta pkt(uint16_t sport)
{
	struct pkt_meta m = {.l3 = PKT_L3_IPV4,
			     .proto = 6,
			     .sport = sport,
			     .dport = 80,
			     .flags = PKT_HAS_L4,
			     .saddr = {{192, 0, 2, 1}},
			     .daddr = {{10, 0, 0, 2}}};
	return m;
}

/* How many of 3000 new flows each backend slot gets. */
static void picks(struct lb_ctx *c, unsigned int *cnt)
{
	struct pkt_meta m = pkt(0);
	struct lb_svc *s = lb_svc_match(c, &m);

	memset(cnt, 0, LB_BE_SLOTS * sizeof(*cnt));
	ck_assert_ptr_nonnull(s);
	for (uint16_t p = 1; p <= 3000; p++) {
		uint16_t b;

		m = pkt(p);
		b = lb_svc_pick(c, s, &m);
		if (b != LB_NONE)
			cnt[b]++;
	}
}

static const char *three = "service 10.0.0.2:80 tcp\n"
			   "backend 10.1.0.11:80\nbackend 10.1.0.12:80\nbackend 10.1.0.13:80\n";

START_TEST(test_slots_kept)
{
	struct lb_ctx *c = new_ctx();
	unsigned int cnt[LB_BE_SLOTS];
	struct pkt_meta m = pkt(1);
	struct lb_svc *s;
	uint16_t b12;

	apply(c, three);
	s = lb_svc_match(c, &m);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nbe, 3);
	b12 = s->be[1];
	c->be[b12].c.new_flows = 7; /* counters and health survive a swap */
	c->be[b12].c.active = 2;
	c->be[b12].health.checks = 5;
	/* Reordered, one more, one weight changed: 12 keeps its slot. */
	apply(c, "service 10.0.0.2:80 tcp\nbackend 10.1.0.14:80\nbackend 10.1.0.13:80\n"
		 "backend 10.1.0.12:80 weight 3\nbackend 10.1.0.11:80\n");
	ck_assert_ptr_eq(lb_svc_match(c, &m), s);
	ck_assert_uint_eq(s->nbe, 4);
	ck_assert_uint_eq(s->be[2], b12);
	ck_assert_uint_eq(c->be[b12].c.new_flows, 7);
	ck_assert_uint_eq(c->be[b12].health.checks, 5);
	ck_assert_uint_eq(c->be[b12].weight, 3);
	picks(c, cnt);
	ck_assert(cnt[b12] > 3000 * 3 / 6 - 150 && cnt[b12] < 3000 * 3 / 6 + 150);
	/* 12 removed while it has flows: out of selection, slot kept until they end. */
	apply(c, "service 10.0.0.2:80 tcp\nbackend 10.1.0.11:80\nbackend 10.1.0.13:80\n");
	ck_assert_uint_eq(c->be[b12].state, LB_SLOT_REMOVED);
	picks(c, cnt);
	ck_assert_uint_eq(cnt[b12], 0);
	c->be[b12].c.active = 0;
	lb_slots_reap(c);
	ck_assert_uint_eq(c->be[b12].state, LB_SLOT_FREE);
	free_ctx(c);
}
END_TEST

START_TEST(test_selection_states)
{
	struct lb_ctx *c = new_ctx();
	unsigned int cnt[LB_BE_SLOTS];
	struct pkt_meta m = pkt(1);
	struct lb_svc *s;

	apply(c, "service 10.0.0.2:80 tcp\nbackend 10.1.0.11:80 drain\n"
		 "backend 10.1.0.12:80 weight 0\nbackend 10.1.0.13:80\n"
		 "check tcp interval 1s\n");
	s = lb_svc_match(c, &m);
	picks(c, cnt);
	ck_assert_uint_eq(cnt[s->be[0]], 0);
	ck_assert_uint_eq(cnt[s->be[1]], 0);
	ck_assert_uint_eq(cnt[s->be[2]], 3000);
	/* The only eligible one goes down: nobody takes flows. */
	lb_health_result(&c->be[s->be[2]].health, false);
	lb_svc_rebuild(c, s);
	ck_assert_uint_eq(lb_svc_pick(c, s, &m), LB_NONE);
	/* WRR and LC see the same eligibility. */
	apply(c, "service 10.0.0.2:80 tcp scheduler wrr\nbackend 10.1.0.11:80 weight 2\n"
		 "backend 10.1.0.12:80 drain\n");
	picks(c, cnt);
	ck_assert_uint_eq(cnt[s->be[0]], 3000);
	apply(c, "service 10.0.0.2:80 tcp scheduler lc\nbackend 10.1.0.11:80\n"
		 "backend 10.1.0.12:80\n");
	c->be[s->be[0]].c.active = 5;
	ck_assert_uint_eq(lb_svc_pick(c, s, &m), s->be[1]);
	free_ctx(c);
}
END_TEST

START_TEST(test_refusals_change_nothing)
{
	struct lb_ctx *c = new_ctx();
	struct lb_plan *pl;
	char msg[256], *big;
	size_t n = 0, cap = 200000;
	struct pkt_meta m = pkt(1);

	apply(c, three);
	ck_assert_int_eq(
		lb_plan_make(c, "service 1.2.3.4 tcp\n", 20, "rules", &pl, msg, sizeof(msg)),
		-EINVAL);
	ck_assert_str_eq(msg, "rules:1:9: expected ':PORT' after the address");
	ck_assert_ptr_null(pl);
	ck_assert_ptr_nonnull(lb_svc_match(c, &m));
	/* Every backend slot held by removed backends with flows: no room for new ones. */
	big = malloc(cap);
	for (unsigned int s = 0; s < 4; s++) {
		n += (size_t)snprintf(big + n, cap - n, "service 10.0.0.%u:80 tcp table-size 7\n",
				      s + 10);
		for (unsigned int i = 0; i < 256; i++)
			n += (size_t)snprintf(big + n, cap - n, "backend 10.%u.%u.%u\n", s + 2,
					      i / 200, i % 200);
	}
	/* Twice 1024 backends, each with a flow: the second set removes the first. */
	for (char first = '1'; first <= '2'; first++) {
		for (size_t i = 0; i + 3 < n; i++)
			if (big[i + 1] == '0' && big[i + 2] == '.' && big[i + 3] != '0' &&
			    (i == 0 || big[i - 1] == ' '))
				big[i] = first; /* the same shape, other backends */
		apply(c, big);
		for (int i = 0; i < LB_BE_SLOTS; i++)
			if (c->be[i].state == LB_SLOT_LIVE)
				c->be[i].c.active = 1;
	}
	for (size_t i = 0; i + 3 < n; i++)
		if (big[i + 1] == '0' && big[i + 2] == '.' && big[i + 3] != '0' &&
		    big[i - 1] == ' ')
			big[i] = '9';
	ck_assert_int_eq(lb_plan_make(c, big, n, "rules", &pl, msg, sizeof(msg)), -EBUSY);
	ck_assert_ptr_null(pl);
	ck_assert_ptr_nonnull(strstr(msg, "still finishing flows"));
	free(big);
	free_ctx(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lbstate");
	TCase *tc = tcase_create("swaps");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_slots_kept);
	tcase_add_test(tc, test_selection_states);
	tcase_add_test(tc, test_refusals_change_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

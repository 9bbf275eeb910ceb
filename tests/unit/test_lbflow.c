// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the load balancer's flow table (appliances/lb/lbflow.c):
 * both keys find the flow, deletion unlinks both, the table is bounded
 * (a newcomer evicts an unanswered or expired flow, never an answered
 * live one, else it is refused and counted), timeouts follow the TCP
 * flags, and expiry reaps with the callback.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

#define SEC 1000000000ull

static unsigned int gone_calls;

static void gone(void *arg, struct lb_flow *f)
{
	(void)arg;
	(void)f;
	gone_calls++;
}

/* Flow @i: client 192.0.2.i:(1000+i) -> 10.0.0.2:80, backend 10.1.0.11:80 -> client. */
static void keys(unsigned int i, struct lb_fkey *k0, struct lb_fkey *k1)
{
	memset(k0, 0, sizeof(*k0));
	k0->s.b[0] = 192, k0->s.b[1] = 0, k0->s.b[2] = (uint8_t)(i >> 8), k0->s.b[3] = (uint8_t)i;
	k0->d.b[0] = 10, k0->d.b[3] = 2;
	k0->sp = (uint16_t)(1000 + i);
	k0->dp = 80;
	k0->proto = 6;
	*k1 = (struct lb_fkey){
		.s = {{10, 1, 0, 11}}, .sp = 80, .d = k0->s, .dp = k0->sp, .proto = 6};
}

static struct pkt_meta tcp(uint8_t flags)
{
	struct pkt_meta m = {
		.l3 = PKT_L3_IPV4, .proto = 6, .flags = PKT_HAS_L4, .tcp_flags = flags};
	return m;
}

START_TEST(test_find_both_keys)
{
	struct lb_flows t;
	struct lb_fkey k0, k1, other;
	struct lb_flow *f;
	int dir = -1;

	ck_assert_int_eq(lb_flows_init(&t, 16, 42), 0);
	keys(1, &k0, &k1);
	f = lb_flow_add(&t, &k0, &k1, 0, gone, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(lb_flow_find(&t, &k0, &dir), f);
	ck_assert_int_eq(dir, 0);
	ck_assert_ptr_eq(lb_flow_find(&t, &k1, &dir), f);
	ck_assert_int_eq(dir, 1);
	keys(2, &other, &k1);
	ck_assert_ptr_null(lb_flow_find(&t, &other, &dir));
	keys(1, &k0, &k1);
	lb_flow_del(&t, f);
	ck_assert_ptr_null(lb_flow_find(&t, &k0, &dir));
	ck_assert_ptr_null(lb_flow_find(&t, &k1, &dir));
	ck_assert_uint_eq(t.n, 0);
	ck_assert_int_eq(lb_flows_init(&t, 0, 1), -EINVAL);
	free(t.f);
	free(t.bucket);
}
END_TEST

START_TEST(test_bounded)
{
	struct lb_flows t;
	struct lb_fkey k0, k1;
	struct pkt_meta syn = tcp(0x02), ack = tcp(0x10);
	int dir;

	ck_assert_int_eq(lb_flows_init(&t, 8, 7), 0);
	for (unsigned int i = 0; i < 8; i++) {
		struct lb_flow *f;

		keys(i, &k0, &k1);
		f = lb_flow_add(&t, &k0, &k1, 0, gone, NULL);
		ck_assert_ptr_nonnull(f);
		lb_flow_seen(f, 0, &syn, 0);
		if (i != 5)
			lb_flow_seen(f, 1, &ack, 0); /* answered: never evicted */
	}
	/* Full: the one unanswered flow (5) makes room, once. */
	gone_calls = 0;
	keys(100, &k0, &k1);
	ck_assert_ptr_nonnull(lb_flow_add(&t, &k0, &k1, SEC, gone, NULL));
	ck_assert_uint_eq(gone_calls, 1);
	ck_assert_uint_eq(t.st.evicted, 1);
	keys(5, &k0, &k1);
	ck_assert_ptr_null(lb_flow_find(&t, &k0, &dir));
	/* The newcomer is unanswered too: it may go for the next one... */
	keys(101, &k0, &k1);
	ck_assert_ptr_nonnull(lb_flow_add(&t, &k0, &k1, SEC, gone, NULL));
	/* ...but once every flow is answered and live, newcomers are refused. */
	lb_flow_seen(lb_flow_find(&t, &k0, &dir), 1, &ack, SEC);
	keys(102, &k0, &k1);
	ck_assert_ptr_null(lb_flow_add(&t, &k0, &k1, SEC, gone, NULL));
	ck_assert_uint_eq(t.st.full, 1);
	/* After their timeouts (established: 900 s) room appears again. */
	ck_assert_ptr_nonnull(lb_flow_add(&t, &k0, &k1, 901 * SEC, gone, NULL));
	free(t.f);
	free(t.bucket);
}
END_TEST

START_TEST(test_timeouts_and_expiry)
{
	struct lb_flows t;
	struct lb_fkey k0, k1;
	struct pkt_meta syn = tcp(0x02), ack = tcp(0x10), fin = tcp(0x11), rst = tcp(0x04);
	struct pkt_meta udp = {.l3 = PKT_L3_IPV4, .proto = 17, .flags = PKT_HAS_L4};
	struct lb_flow *f;

	ck_assert_int_eq(lb_flows_init(&t, 64, 9), 0);
	keys(1, &k0, &k1);
	f = lb_flow_add(&t, &k0, &k1, 0, gone, NULL);
	lb_flow_seen(f, 0, &syn, 0);
	ck_assert_uint_eq(f->expires, 60 * SEC); /* unanswered */
	lb_flow_seen(f, 1, &ack, 0);
	ck_assert_uint_eq(f->expires, 900 * SEC);
	lb_flow_seen(f, 0, &fin, 0);
	ck_assert_uint_eq(f->expires, 120 * SEC);
	lb_flow_seen(f, 1, &rst, 0);
	ck_assert_uint_eq(f->expires, 10 * SEC);
	keys(2, &k0, &k1);
	k0.proto = k1.proto = 17;
	f = lb_flow_add(&t, &k0, &k1, 0, gone, NULL);
	lb_flow_seen(f, 0, &udp, 0);
	ck_assert_uint_eq(f->expires, 300 * SEC);
	/* Expiry: the reset flow goes at 10 s, the UDP one at 300 s. */
	gone_calls = 0;
	lb_flows_expire(&t, 11 * SEC, 64, gone, NULL);
	ck_assert_uint_eq(gone_calls, 1);
	ck_assert_uint_eq(t.n, 1);
	lb_flows_expire(&t, 301 * SEC, 64, gone, NULL);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(t.st.expired, 2);
	free(t.f);
	free(t.bucket);
}
END_TEST

/* Many flows in a small table: chains hold, every key is found, deletes keep the rest. */
START_TEST(test_many)
{
	struct lb_flows t;
	struct lb_fkey k0, k1;
	int dir;

	ck_assert_int_eq(lb_flows_init(&t, 1000, 3), 0);
	for (unsigned int i = 0; i < 1000; i++) {
		keys(i, &k0, &k1);
		ck_assert_ptr_nonnull(lb_flow_add(&t, &k0, &k1, 0, gone, NULL));
	}
	for (unsigned int i = 0; i < 1000; i += 2) {
		keys(i, &k0, &k1);
		lb_flow_del(&t, lb_flow_find(&t, &k1, &dir));
	}
	for (unsigned int i = 0; i < 1000; i++) {
		struct lb_flow *f;

		keys(i, &k0, &k1);
		f = lb_flow_find(&t, &k0, &dir);
		ck_assert((f != NULL) == (i & 1));
		ck_assert_ptr_eq(lb_flow_find(&t, &k1, &dir), f);
	}
	free(t.f);
	free(t.bucket);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lbflow");
	TCase *tc = tcase_create("flows");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_find_both_keys);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_timeouts_and_expiry);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the shared network-function layer (nf/) on its own:
 *   - two graphs in one process, each with its own state, joined so that
 *     the first function's output feeds the second's input (pl_join,
 *     pl_run_chain): order kept, drops counted by the right graph, a full
 *     downstream queue dropping there, no buffer leaked;
 *   - the stats registry: sections in order, truncation;
 *   - checksums: the RFC 1624 update agrees with summing afresh.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/netdev.h"
#include "sluice/nf/csum.h"
#include "sluice/nf/pipeline.h"
#include "sluice/nf/stats.h"

static unsigned int live_bufs;

static struct pktbuf *buf_new(uint8_t tag)
{
	struct pktbuf *b = calloc(1, sizeof(*b));

	ck_assert_ptr_nonnull(b);
	b->page = aligned_alloc(4096, PKTBUF_SIZE);
	ck_assert_ptr_nonnull(b->page);
	b->off = PKTBUF_HEADROOM;
	b->len = 60;
	b->refs = 1;
	memset(b->page + b->off, 0, 60);
	b->page[b->off] = tag;
	live_bufs++;
	return b;
}

static void buf_free(struct pktbuf *b)
{
	free(b->page);
	free(b);
	live_bufs--;
}

/* Each graph counts its own drops (g->arg). */
static void release(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by)
{
	(void)by;
	(*(unsigned int *)g->arg)++;
	buf_free(p->buf);
}

/* Upstream "filter": odd tags pass to port 0, even ones are dropped. */
static int odd_push(struct pl_elem *e, struct pl_pkt *p)
{
	(void)e;
	return p->frame[0] & 1 ? 0 : PL_DROP;
}

/* Downstream sink: records the tags it sees, in order. */
static uint8_t seen[PL_QUEUE_MAX + 8];
static unsigned int nseen;

static int sink_push(struct pl_elem *e, struct pl_pkt *p)
{
	(void)e;
	if (nseen < sizeof(seen))
		seen[nseen++] = p->frame[0];
	buf_free(p->buf);
	return PL_STOLEN;
}

static const struct pl_class odd_class = {.name = "odd", .nports = 1, .push = odd_push};
static const struct pl_class sink_class = {.name = "sink", .push = sink_push};

static struct pl_graph g1, g2;
static struct pl_elem e_odd, e_join, e_count, e_sink;
static struct pl_join join;
static struct pl_counter cnt;
static unsigned int drops1, drops2;

static void build(void)
{
	char err[128];

	live_bufs = nseen = drops1 = drops2 = 0;
	memset(&cnt, 0, sizeof(cnt));
	pl_init(&g1, release, &drops1);
	pl_init(&g2, release, &drops2);
	ck_assert_int_eq(pl_add(&g1, &e_odd, &odd_class, "odd", NULL), 0);
	ck_assert_int_eq(pl_join(&g1, &e_join, &join, "to-lb", &g2), 0);
	ck_assert_int_eq(pl_connect(&e_odd, 0, &e_join), 0);
	ck_assert_int_eq(pl_add(&g2, &e_count, &pl_counter_class, "count", &cnt), 0);
	ck_assert_int_eq(pl_add(&g2, &e_sink, &sink_class, "sink", NULL), 0);
	ck_assert_int_eq(pl_connect(&e_count, 0, &e_sink), 0);
	/* Elements of different graphs never connect directly: only through a join. */
	ck_assert_int_eq(pl_connect(&e_odd, 0, &e_sink), -EINVAL);
	ck_assert_int_eq(pl_join(&g1, &e_join, &join, "self", &g1), -EINVAL);
	ck_assert_int_eq(pl_check(&g1, err, sizeof(err)), 0);
	ck_assert_int_eq(pl_check(&g2, err, sizeof(err)), 0);
}

START_TEST(test_two_graphs_joined)
{
	struct pl_graph *chain[] = {&g1, &g2};

	build();
	for (unsigned int i = 1; i <= 10; i++)
		ck_assert_int_eq(pl_enqueue(&g1, buf_new((uint8_t)i), i % 2), 0);
	ck_assert_uint_eq(pl_run_chain(chain, 2, 1000, NULL), 10 + 5);
	ck_assert_uint_eq(nseen, 5);
	for (unsigned int i = 0; i < 5; i++)
		ck_assert_uint_eq(seen[i], 2 * i + 1);
	ck_assert_uint_eq(drops1, 5); /* the even ones, dropped upstream */
	ck_assert_uint_eq(drops2, 0);
	ck_assert_uint_eq(join.passed, 5);
	ck_assert_uint_eq(cnt.packets[1], 5); /* the ingress interface crosses the join */
	ck_assert_uint_eq(g1.packets, 10);
	ck_assert_uint_eq(g2.packets, 5);
	ck_assert_uint_eq(live_bufs, 0);
}
END_TEST

/* The graphs are independent: a full downstream queue drops there, and more than a batch flows. */
START_TEST(test_join_downstream_full)
{
	struct pl_graph *chain[] = {&g1, &g2};
	unsigned int n = PL_QUEUE_MAX;

	build();
	for (unsigned int i = 0; i < n; i++)
		pl_enqueue(&g2, buf_new(1), 0); /* the downstream function is backed up */
	for (unsigned int i = 0; i < 3; i++)
		pl_enqueue(&g1, buf_new(3), 0);
	ck_assert_uint_eq(pl_run(&g1, 1, NULL), 3);
	ck_assert_uint_eq(drops2, 3);
	ck_assert_uint_eq(g2.core_drops[PL_CORE_QUEUE_FULL], 3);
	ck_assert_uint_eq(pl_run_chain(chain, 2, 2, NULL), n);
	ck_assert_uint_eq(nseen, sizeof(seen) < n ? sizeof(seen) : n);
	ck_assert_uint_eq(live_bufs, 0);
}
END_TEST

static size_t sec_a(void *arg, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "a n=%d\n", *(int *)arg);
}

static size_t sec_b(void *arg, char *buf, size_t len)
{
	(void)arg;
	return (size_t)snprintf(buf, len, "b x=1\nb y=2\n");
}

START_TEST(test_stats_registry)
{
	struct nf_stats st;
	struct nf_stats_section s1, s2, s3;
	int v = 7;
	char buf[64];

	nf_stats_init(&st);
	ck_assert_uint_eq(nf_stats_format(&st, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	nf_stats_add(&st, &s1, "a", sec_a, &v);
	nf_stats_add(&st, &s2, "b", sec_b, NULL);
	nf_stats_add(&st, &s3, "pipeline", nf_stats_pipeline, &g1);
	memset(&g1, 0, sizeof(g1));
	g1.batches = 2;
	g1.packets = 9;
	g1.max_batch = 5;
	ck_assert_uint_eq(nf_stats_format(&st, buf, sizeof(buf)), 59);
	ck_assert_str_eq(buf, "a n=7\nb x=1\nb y=2\npipeline batches=2 packets=9 max_batch=5\n");
	/* Truncated: NUL-terminated within the buffer, the length says so. */
	ck_assert_uint_eq(nf_stats_format(&st, buf, 10), 9);
	ck_assert_str_eq(buf, "a n=7\nb x");
	ck_assert_uint_eq(nf_stats_format(&st, buf, 1), 0);
}
END_TEST

START_TEST(test_csum_update)
{
	uint8_t ip[20] = {0x45, 0, 0,  60, 0x12, 0x34, 0x40, 0, 64, 6,
			  0,	0, 10, 0,  0,	 1,    10,   0, 0,  2};
	uint16_t c = nf_csum_fold(nf_csum_add(0, ip, 20)), c2;

	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ck_assert_uint_eq(nf_csum_fold(nf_csum_add(0, ip, 20)), 0);
	/* TTL 64 -> 63 and a NAT rewrite of the source: incremental equals afresh. */
	c2 = nf_csum_update16(c, 64 << 8 | 6, 63 << 8 | 6);
	ip[8] = 63;
	c2 = nf_csum_update32(c2, 0x0a000001, 0xc0a80107);
	ip[12] = 192;
	ip[13] = 168;
	ip[14] = 1;
	ip[15] = 7;
	ip[10] = ip[11] = 0;
	ck_assert_uint_eq(c2, nf_csum_fold(nf_csum_add(0, ip, 20)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nf");
	TCase *tc = tcase_create("nf");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_two_graphs_joined);
	tcase_add_test(tc, test_join_downstream_full);
	tcase_add_test(tc, test_stats_registry);
	tcase_add_test(tc, test_csum_update);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

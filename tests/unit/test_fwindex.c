// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the classifier's scaling structures: the LPM trie and the
 * hash sets against brute force, the rule index against a linear scan of
 * the same rules on random rulesets and packets, and 10,000-rule rulesets
 * filed with short lists and no fallback.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwtest.h"
#include "rules_int.h"
#include "sluice/fwrules.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A random prefix near one of a few bases, so that prefixes nest and overlap. */
static void rand_prefix(struct lpm_prefix *p, unsigned int width)
{
	static const uint8_t bases[4][16] = {
		{10, 0, 0, 0},
		{192, 168, 1, 0},
		{0x20, 0x01, 0x0d, 0xb8},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};

	memcpy(p->addr.b, bases[rnd() % 4], 16);
	for (unsigned int i = 0; i < width / 8; i++)
		if (rnd() % 3 == 0)
			p->addr.b[i] ^= (uint8_t)rnd();
	p->len = (uint8_t)(rnd() % (width + 1));
	if (rnd() % 4 == 0)
		p->len = (uint8_t)(width - rnd() % 3);
	fw_addr_mask(&p->addr, p->len);
}

static void rand_addr_near(const struct lpm_prefix *p, unsigned int n, unsigned int width,
			   struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (n && rnd() % 4) {
		*a = p[rnd() % n].addr;
		for (unsigned int i = 0; i < width / 8; i++)
			if (rnd() % 4 == 0)
				a->b[i] ^= (uint8_t)(1u << (rnd() % 8));
	} else {
		for (unsigned int i = 0; i < width / 8; i++)
			a->b[i] = (uint8_t)rnd();
	}
}

START_TEST(test_lpm_bruteforce)
{
	for (int round = 0; round < 60; round++) {
		unsigned int width = round % 2 ? 128 : 32, n = 1 + rnd() % (round < 30 ? 20 : 600);
		struct fw_mem mem = {.max = SIZE_MAX};
		struct fw_arena a = {.mem = &mem};
		struct lpm_prefix *p = calloc(n, sizeof(*p)), *q = calloc(n, sizeof(*q));
		struct fw_lpm t;

		for (unsigned int i = 0; i < n; i++) {
			rand_prefix(&p[i], width);
			p[i].value = i;
		}
		memcpy(q, p, n * sizeof(*p));
		ck_assert_int_eq(fw_lpm_build(&a, &t, q, n, width), 0);
		for (int k = 0; k < 2000; k++) {
			struct pkt_addr addr;
			uint32_t got = 0, want = FW_NOKEY, out[130], nall = 0;
			int best = -1;
			bool found;
			unsigned int nc;

			rand_addr_near(p, n, width, &addr);
			/* Reference: the longest containing prefix; equal prefixes: lowest value.
			 */
			for (unsigned int i = 0; i < n; i++) {
				if (!fw_addr_in(&addr, &p[i].addr, p[i].len))
					continue;
				if ((int)p[i].len > best ||
				    (p[i].len == best && p[i].value < want)) {
					best = p[i].len;
					want = p[i].value;
				}
			}
			found = fw_lpm_lookup(&t, &addr, &got);
			ck_assert_int_eq(found, best >= 0);
			if (found)
				ck_assert_uint_eq(got, want);
			/* collect: one value per distinct containing prefix. */
			nc = fw_lpm_collect(&t, &addr, out, 130);
			for (unsigned int i = 0; i < n; i++) {
				bool dup = false;

				if (!fw_addr_in(&addr, &p[i].addr, p[i].len))
					continue;
				for (unsigned int j = 0; j < i; j++)
					dup |= p[j].len == p[i].len &&
					       memcmp(&p[j].addr, &p[i].addr, 16) == 0;
				nall += !dup;
			}
			ck_assert_uint_eq(nc, nall);
			for (unsigned int i = 0; i < nc; i++)
				ck_assert(fw_addr_in(&addr, &p[out[i]].addr, p[out[i]].len));
		}
		fw_chunks_free(a.head);
		free(p);
		free(q);
	}
}
END_TEST

START_TEST(test_lpm_edges)
{
	struct fw_mem mem = {.max = SIZE_MAX};
	struct fw_arena a = {.mem = &mem};
	struct lpm_prefix p[3] = {{.len = 0, .value = 7}};
	struct pkt_addr x = {{0}};
	struct fw_lpm t;
	uint32_t v;

	/* Empty trie. */
	ck_assert_int_eq(fw_lpm_build(&a, &t, p, 0, 32), 0);
	ck_assert(!fw_lpm_lookup(&t, &x, &v));
	ck_assert_uint_eq(fw_lpm_collect(&t, &x, &v, 1), 0);
	/* /0 matches everything; /32 and /128 only themselves. */
	ck_assert_int_eq(fw_lpm_build(&a, &t, p, 1, 32), 0);
	memset(x.b, 0xff, 4);
	ck_assert(fw_lpm_lookup(&t, &x, &v));
	ck_assert_uint_eq(v, 7);
	memset(p, 0, sizeof(p));
	memset(p[0].addr.b, 0xff, 16);
	p[0].len = 128;
	p[0].value = 1;
	p[1].len = 127;
	memset(p[1].addr.b, 0xff, 15);
	p[1].addr.b[15] = 0xfe;
	p[1].value = 2;
	ck_assert_int_eq(fw_lpm_build(&a, &t, p, 2, 128), 0);
	memset(x.b, 0xff, 16);
	ck_assert(fw_lpm_lookup(&t, &x, &v));
	ck_assert_uint_eq(v, 1);
	x.b[15] = 0xfe;
	ck_assert(fw_lpm_lookup(&t, &x, &v));
	ck_assert_uint_eq(v, 2);
	x.b[15] = 0xfd;
	ck_assert(!fw_lpm_lookup(&t, &x, &v));
	fw_chunks_free(a.head);
}
END_TEST

START_TEST(test_hash_sets)
{
	struct fw_mem mem = {.max = SIZE_MAX};
	struct fw_arena a = {.mem = &mem};
	enum { N = 5000 };
	static uint32_t keys[N], vals[N];
	static struct pkt_addr akeys[N];
	static struct ir_elem elems[N];
	static bool in[65536];
	struct fw_u32map h;
	struct fw_addrmap ah;
	struct fw_sset s;
	uint32_t v;

	for (uint32_t i = 0; i < N; i++) {
		keys[i] = rnd() % 200000;
		vals[i] = i;
		memset(&akeys[i], 0, sizeof(akeys[i]));
		for (int b = 0; b < 16; b++)
			akeys[i].b[b] = (uint8_t)(rnd() % 4);
	}
	ck_assert_int_eq(fw_u32map_build(&a, &h, keys, vals, N), 0);
	ck_assert_int_eq(fw_addrmap_build(&a, &ah, akeys, vals, N), 0);
	for (uint32_t i = 0; i < N; i++) {
		/* Duplicates keep the first value. */
		uint32_t first = i;

		for (uint32_t j = 0; j < i; j++)
			if (keys[j] == keys[i]) {
				first = j;
				break;
			}
		ck_assert(fw_u32map_get(&h, keys[i], &v));
		ck_assert_uint_eq(v, first);
		ck_assert(fw_addrmap_get(&ah, &akeys[i], &v));
	}
	for (uint32_t k = 200000; k < 210000; k++)
		ck_assert(!fw_u32map_get(&h, k, &v));
	/* Scalar sets: singles and ranges against a bitmap. */
	for (uint32_t i = 0; i < N; i++) {
		elems[i].lo = rnd() % 65536;
		elems[i].hi = rnd() % 3 ? elems[i].lo : elems[i].lo + rnd() % 40;
		if (elems[i].hi > 65535)
			elems[i].hi = 65535;
		for (uint32_t x = elems[i].lo; x <= elems[i].hi; x++)
			in[x] = true;
	}
	ck_assert_int_eq(fw_sset_build(&a, &s, elems, N), 0);
	for (uint32_t x = 0; x < 65536; x++)
		ck_assert_msg(fw_sset_has(&s, x) == in[x], "value %u", x);
	ck_assert(!fw_sset_has(&s, 70000));
	fw_chunks_free(a.head);
	ck_assert_uint_eq(mem.used - a.bytes, 0); /* the temporaries were returned */
}
END_TEST

/* The classifier without its index: every rule in order. */
static const struct fw_verdict *linear(const struct fw_ruleset *rs, const struct pkt_meta *m,
				       uint32_t oif, uint8_t ct)
{
	for (uint32_t i = 0; i < rs->nrules; i++)
		if ((rs->rules[i].flags & FWR_TERMINAL) &&
		    fw_rule_matches(rs, &rs->rules[i], m, oif, ct))
			return &rs->rules[i].verdict;
	return &rs->policy;
}

static const char *const v4pool[] = {"10.0.0.0/8",     "10.1.0.0/16",	"10.1.2.0/24",
				     "10.1.2.3",       "10.1.2.128/25", "192.168.1.7",
				     "192.168.0.0/16", "0.0.0.0/0",	"10.2.0.0/15"};
static const char *const v6pool[] = {"2001:db8::/32", "2001:db8:1::/48",
				     "2001:db8:1::1", "fe80::/10",
				     "::/0",	      "2001:db8:1::/127"};
static const char *const portpool[] = {"22",	       "53",  "80",	"1000-1003", "{ 22, 80 }",
				       "{ 53, 1000 }", "443", "@ports", "1-15",	     "1000-1100"};

static const char *pick(const char *const *pool, size_t n)
{
	return pool[rnd() % n];
}

/* One random rule, consistent in family and protocol so that it compiles. */
static size_t rand_rule(char *o, size_t cap)
{
	static const char *const verdicts[] = {"accept", "drop", "reject", "counter"};
	unsigned int fam = rnd() % 3, proto = rnd() % 3, n = rnd() % 4;
	size_t len = 0;

	for (unsigned int k = 0; k < n; k++) {
		const char *neg = rnd() % 5 ? "" : "!= ";
		const char *dir = rnd() % 2 ? "saddr" : "daddr";

		switch (rnd() % 6) {
		case 0:
		case 1:
			if (fam == 1)
				len += snprintf(o + len, cap - len, "ip %s %s%s ", dir, neg,
						rnd() % 6 ? pick(v4pool, ARRAY_SIZE(v4pool))
							  : "@s");
			else if (fam == 2)
				len += snprintf(o + len, cap - len, "ip6 %s %s%s ", dir, neg,
						rnd() % 6 ? pick(v6pool, ARRAY_SIZE(v6pool))
							  : "@s");
			break;
		case 2:
		case 3:
			len += snprintf(o + len, cap - len, "%s %s %s%s ",
					proto == 1   ? "tcp"
					: proto == 2 ? "udp"
						     : "th",
					rnd() % 3 ? "dport" : "sport", neg,
					pick(portpool, ARRAY_SIZE(portpool)));
			break;
		case 4:
			len += snprintf(o + len, cap - len, "ct state %s%s ", neg,
					rnd() % 2 ? "new" : "established,related");
			break;
		default:
			len += snprintf(o + len, cap - len, "iif %snet%u ", neg, rnd() % 2);
		}
	}
	len += snprintf(o + len, cap - len, "%s\n", verdicts[rnd() % 4]);
	return len;
}

static void rand_packet(struct pkt_meta *m, uint8_t *ct)
{
	static const char *const a4[] = {"10.1.2.3",	"10.1.2.200",  "10.1.9.9", "10.3.0.1",
					 "192.168.1.7", "192.168.2.1", "8.8.8.8",  "10.2.3.4"};
	static const char *const a6[] = {
		"2001:db8::1", "2001:db8:1::1", "2001:db8:1::", "2001:db8:2::5", "fe80::1", "::1"};
	static const uint16_t ports[] = {22, 53, 80, 443, 1000, 1002, 1004, 1050, 7, 15, 16};
	static const uint8_t cts[] = {FW_CT_NEW, FW_CT_ESTABLISHED, FW_CT_RELATED, FW_CT_INVALID};
	static const uint8_t protos[] = {6, 17, 1, 132};
	bool v6 = rnd() % 3 == 0;
	struct pspec p = {
		.src = v6 ? a6[rnd() % ARRAY_SIZE(a6)] : a4[rnd() % ARRAY_SIZE(a4)],
		.dst = v6 ? a6[rnd() % ARRAY_SIZE(a6)] : a4[rnd() % ARRAY_SIZE(a4)],
		.proto = protos[rnd() % ARRAY_SIZE(protos)],
		.sport = ports[rnd() % ARRAY_SIZE(ports)],
		.dport = ports[rnd() % ARRAY_SIZE(ports)],
		.iif = rnd() % 3,
		.no_l4 = rnd() % 10 == 0,
	};

	*m = fwt_pkt(&p);
	*ct = cts[rnd() % ARRAY_SIZE(cts)];
}

START_TEST(test_index_matches_linear_scan)
{
	enum { TEXT = 1 << 20 };
	char *text = malloc(TEXT);

	for (int round = 0; round < 40; round++) {
		unsigned int nrules = round < 20 ? 1 + rnd() % 30 : 200 + rnd() % 800;
		size_t len = (size_t)snprintf(
			text, TEXT,
			"policy %s\nset s { 10.1.0.0/16, 192.168.1.7, "
			"2001:db8:1::/48, 10.1.2.3 }\nset ports { 22, 1000-1003 }\n",
			round % 2 ? "accept" : "drop");
		struct fw_ruleset *rs;

		for (unsigned int i = 0; i < nrules; i++)
			len += rand_rule(text + len, TEXT - len);
		rs = fwt_compile(text);
		for (int k = 0; k < 3000; k++) {
			struct pkt_meta m;
			uint8_t ct;
			const struct fw_verdict *a, *b;

			rand_packet(&m, &ct);
			a = fw_classify(rs, &m, ct, 0);
			b = linear(rs, &m, FW_IF_NONE, ct);
			ck_assert_msg(a == b, "round %d packet %d: index says %d, scan says %d",
				      round, k, (int)a->rule, (int)b->rule);
		}
		fw_ruleset_free(rs);
	}
	free(text);
}
END_TEST

/* 10,000 rules keyed by prefix, or by port: every rule is indexed, lists stay short. */
START_TEST(test_scaling_structures)
{
	static const char *const fmt[] = {"ip saddr 10.%u.%u.0/24 tcp dport 22 accept\n",
					  "ip saddr 10.0.0.0/8 tcp dport %u accept\n",
					  "ip6 daddr 2001:db8:%x:%x::/64 udp dport 53 accept\n"};
	char *text = malloc(1 << 20);

	for (size_t f = 0; f < ARRAY_SIZE(fmt); f++) {
		size_t len = (size_t)sprintf(text, "policy drop\nct state established accept\n");
		struct fw_ruleset *rs;
		uint32_t longest = 0;

		for (unsigned int i = 0; i < 10000; i++)
			len += (size_t)sprintf(text + len, fmt[f], f == 1 ? 1000 + i : i / 100,
					       f == 1 ? 0 : i % 100);
		rs = fwt_compile(text);
		ck_assert_uint_eq(rs->nrules, 10001);
		ck_assert_uint_eq(rs->idx.fallback.n, 1); /* only the ct state rule */
		for (uint32_t l = 0; rs->idx.lists && l < 10000; l++)
			if (rs->idx.lists[l].n > longest)
				longest = rs->idx.lists[l].n;
		ck_assert_uint_eq(longest, 1);
		ck_assert_uint_lt(fw_ruleset_memory(rs), 8u << 20);
		for (int k = 0; k < 2000; k++) {
			struct pkt_meta m;
			uint8_t ct;
			char a[64];
			unsigned int i = rnd() % 10000;

			snprintf(a, sizeof(a), f == 2 ? "2001:db8:%x:%x::1" : "10.%u.%u.9", i / 100,
				 i % 100);
			m = fwt_pkt(&(struct pspec){
				.src = f == 2 ? "2001:db8::1" : a,
				.dst = f == 2 ? a : "10.0.0.1",
				.proto = f == 2 ? 17 : 6,
				.sport = 1,
				.dport = f == 2	  ? 53
					 : f == 1 ? 1000 + rnd() % 10100
						  : 22,
			});
			rand_packet(&m, &ct); /* half the time: a random packet instead */
			if (k % 2 == 0)
				m = fwt_pkt(&(struct pspec){.src = f == 2 ? "2001:db8::1" : a,
							    .dst = f == 2 ? a : "10.0.0.1",
							    .proto = f == 2 ? 17 : 6,
							    .sport = 1,
							    .dport = f == 2   ? 53
								     : f == 1 ? 1000 + rnd() % 10100
									      : 22});
			ck_assert(fw_classify(rs, &m, ct, 0) == linear(rs, &m, FW_IF_NONE, ct));
		}
		fw_ruleset_free(rs);
	}
	free(text);
}
END_TEST

static Suite *fwindex_suite(void)
{
	Suite *s = suite_create("fwindex");
	TCase *ts = tcase_create("structures");

	tcase_set_timeout(ts, 300);
	tcase_add_test(ts, test_lpm_bruteforce);
	tcase_add_test(ts, test_lpm_edges);
	tcase_add_test(ts, test_hash_sets);
	tcase_add_test(ts, test_index_matches_linear_scan);
	tcase_add_test(ts, test_scaling_structures);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fwindex_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the fragment reassembly table (nf/defrag.c) on its own:
 * real frames through pkt_parse(), then df_add(). The graph element and
 * the firewall around it are tested in test_fwapp.c.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sluice/nf/defrag.h"

#define S_NS 1000000000ULL

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {10, 0, 0, 2};
static const uint8_t A6[16] = {0xfd, 9, [15] = 1}, B6[16] = {0xfd, 9, [15] = 2};

static struct defrag D;
static struct df_done out;
static unsigned int nreleased, why_invalid;

static void rel(void *arg, void *h, int why)
{
	(void)arg;
	(void)h;
	nreleased++;
	why_invalid += why == DF_WHY_INVALID;
}

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct frame {
	uint8_t b[1600];
	size_t len;
	struct pkt_meta m;
};

/* An IPv4 fragment: @len payload bytes at byte offset @off of @pl. */
static struct frame *v4(struct frame *f, const uint8_t *src, uint8_t proto, uint16_t id,
			const uint8_t *pl, uint16_t off, size_t len, bool more)
{
	uint8_t *ip = f->b + 14;

	memset(f->b, 0, 34);
	w16(f->b + 12, 0x0800);
	ip[0] = 0x45;
	w16(ip + 2, (uint16_t)(20 + len));
	w16(ip + 4, id);
	w16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, B4, 4);
	w16(ip + 10, csum(ip, 20));
	memcpy(ip + 20, pl + off, len);
	f->len = 34 + len;
	pkt_parse(f->b, f->len, 0, &f->m);
	return f;
}

/* An IPv6 fragment, with @dst8 bytes of destination options after the fragment header if first. */
static struct frame *v6(struct frame *f, uint32_t id, const uint8_t *pl, uint16_t off, size_t len,
			bool more)
{
	uint8_t *ip = f->b + 14, *fh = ip + 40;

	memset(f->b, 0, 62);
	w16(f->b + 12, 0x86dd);
	ip[0] = 0x60;
	w16(ip + 4, (uint16_t)(8 + len));
	ip[6] = 44;
	ip[7] = 64;
	memcpy(ip + 8, A6, 16);
	memcpy(ip + 24, B6, 16);
	fh[0] = 60; /* destination options, then UDP */
	w16(fh + 2, (uint16_t)(off | more));
	fh[4] = (uint8_t)(id >> 24);
	fh[7] = (uint8_t)id;
	memcpy(fh + 8, pl + off, len);
	f->len = 62 + len;
	pkt_parse(f->b, f->len, 0, &f->m);
	return f;
}

static enum df_res add(struct frame *f, uint64_t now)
{
	return df_add(&D, &f->m, f->b, f->len, 0, f, now, &out);
}

static void setup(void)
{
	struct df_cfg c;

	df_cfg_default(&c);
	ck_assert_int_eq(df_init(&D, &c, rel, NULL), 0);
	nreleased = why_invalid = 0;
}

static void teardown(void)
{
	df_destroy(&D);
}

/* A TCP segment of 20 + 1000 bytes, split 8 / 16 / rest: the whole one is tracked. */
START_TEST(test_v4_tcp_reassembled_meta)
{
	uint8_t seg[1020] = {0};
	struct frame f[3];

	w16(seg, 40000);
	w16(seg + 2, 80);
	seg[7] = 100;
	seg[12] = 5 << 4;
	seg[13] = 0x18;
	w16(seg + 14, 1000);
	ck_assert_uint_eq(add(v4(&f[2], A4, 6, 1, seg, 24, 996, false), 0), DF_HELD);
	ck_assert_uint_eq(add(v4(&f[0], A4, 6, 1, seg, 0, 8, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v4(&f[1], A4, 6, 1, seg, 8, 16, true), 0), DF_DONE);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_ptr_eq(out.handles[0], &f[0]);
	ck_assert_ptr_eq(out.handles[2], &f[2]);
	ck_assert_uint_eq(out.meta.flags, PKT_HAS_L4 | PKT_REASM);
	ck_assert_uint_eq(out.meta.dport, 80);
	ck_assert_uint_eq(out.meta.tcp_seq, 100);
	ck_assert_uint_eq(out.meta.tcp_flags, 0x18);
	ck_assert_uint_eq(out.meta.l4_len, 1020);
	ck_assert_uint_eq(out.meta.payload_off - out.meta.l4_off, 20);
	ck_assert_uint_eq(df_held(&D), 0);
}
END_TEST

START_TEST(test_v4_rules)
{
	uint8_t pl[64] = {0};
	struct frame f[4];

	/* A non-last fragment must be a multiple of 8 (IPv4: only that fragment goes). */
	ck_assert_uint_eq(add(v4(&f[0], A4, 17, 2, pl, 0, 12, true), 0), DF_DROP);
	/* Empty, and a last fragment ending before data already seen. */
	ck_assert_uint_eq(add(v4(&f[0], A4, 17, 2, pl, 16, 16, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v4(&f[1], A4, 17, 2, pl, 8, 0, false), 0), DF_DROP);
	ck_assert_uint_eq(add(v4(&f[1], A4, 17, 2, pl, 8, 8, false), 0), DF_DROP);
	/* Two different ends. */
	ck_assert_uint_eq(add(v4(&f[1], A4, 17, 2, pl, 32, 16, false), 0), DF_HELD);
	ck_assert_uint_eq(add(v4(&f[2], A4, 17, 2, pl, 32, 8, false), 0), DF_DROP);
	ck_assert_uint_eq(nreleased, 0);
	/* Duplicate: dropped alone. Overlap: the datagram goes. */
	ck_assert_uint_eq(add(v4(&f[2], A4, 17, 2, pl, 16, 16, true), 0), DF_DROP);
	ck_assert_uint_eq(df_held(&D), 2);
	ck_assert_uint_eq(add(v4(&f[2], A4, 17, 2, pl, 8, 16, true), 0), DF_DROP);
	ck_assert_uint_eq(df_held(&D), 0);
	ck_assert_uint_eq(nreleased, 2);
	ck_assert_uint_eq(why_invalid, 2);
	ck_assert_uint_eq(D.stats.overlap, 1);
	ck_assert_uint_eq(D.stats.dup, 1);
	/* Not fragments, or malformed: passed on untouched. */
	ck_assert_uint_eq(add(v4(&f[3], A4, 17, 3, pl, 0, 16, false), 0), DF_PASS);
}
END_TEST

/* Timeouts: IPv4 30 s, IPv6 60 s (Linux's ipfrag_time and IPV6_FRAG_TIMEOUT). */
START_TEST(test_timeouts)
{
	uint8_t pl[64] = {17}; /* IPv6: destination options, then UDP */
	struct frame f[2];

	ck_assert_uint_eq(add(v4(&f[0], A4, 17, 4, pl, 0, 16, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v6(&f[1], 4, pl, 0, 16, true), 0), DF_HELD);
	ck_assert_uint_eq(df_expire(&D, 30 * S_NS - 1), 0);
	ck_assert_uint_eq(df_expire(&D, 30 * S_NS), 1);
	ck_assert_uint_eq(df_held(&D), 1);
	ck_assert_uint_eq(df_expire(&D, 60 * S_NS - 1), 0);
	ck_assert_uint_eq(df_expire(&D, 60 * S_NS), 1);
	ck_assert_uint_eq(nreleased, 2);
	ck_assert_uint_eq(why_invalid, 0);
}
END_TEST

/* IPv6: RFC 5722 overlaps, RFC 8200 multiples of 8, headers after the fragment header. */
START_TEST(test_v6)
{
	uint8_t pl[64] = {0};
	struct frame f[3];

	pl[0] = 17; /* destination options (8 bytes), then UDP */
	w16(pl + 8, 5000);
	w16(pl + 10, 53);
	w16(pl + 12, 40);
	ck_assert_uint_eq(add(v6(&f[0], 8, pl, 0, 24, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v6(&f[1], 8, pl, 24, 24, false), 0), DF_DONE);
	ck_assert_uint_eq(out.meta.proto, 17);
	ck_assert_uint_eq(out.meta.dport, 53);
	ck_assert_uint_eq(out.meta.l4_len, 40);
	ck_assert(!(out.meta.flags & (PKT_MALFORMED | PKT_FRAGMENT)));
	/* A non-last fragment not a multiple of 8 kills its datagram. */
	ck_assert_uint_eq(add(v6(&f[0], 9, pl, 0, 16, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v6(&f[1], 9, pl, 16, 12, true), 0), DF_DROP);
	ck_assert_uint_eq(df_held(&D), 0);
	ck_assert_uint_eq(nreleased, 1);
	/* A UDP length beyond the datagram: whole, but malformed. */
	w16(pl + 12, 400);
	ck_assert_uint_eq(add(v6(&f[0], 10, pl, 0, 24, true), 0), DF_HELD);
	ck_assert_uint_eq(add(v6(&f[1], 10, pl, 24, 24, false), 0), DF_DONE);
	ck_assert(out.meta.flags & PKT_MALFORMED);
}
END_TEST

/* Bounds: per source, then in total (the oldest datagram is dropped for room). */
START_TEST(test_limits)
{
	static struct frame f[200];
	uint8_t pl[64] = {0}, src[4] = {10, 0, 1, 0};
	unsigned int i, held = 0;

	for (i = 0; i < 70; i++)
		held += add(v4(&f[i], A4, 17, (uint16_t)(100 + i / 2), pl, i % 2 ? 16 : 0, 8, true),
			    0) == DF_HELD;
	ck_assert_uint_eq(held, 34); /* at most max_dgrams / 2 + 1 datagrams of one source */
	ck_assert_uint_eq(D.stats.src_limit, 70 - 34);
	for (i = 0; i < 100; i++) {
		src[3] = (uint8_t)i;
		add(v4(&f[70 + i % 100], src, 17, 7, pl, 0, 8, true), i);
	}
	ck_assert_uint_le(df_held(&D), D.cfg.max_frags);
	ck_assert_uint_gt(D.stats.evicted, 0);
	ck_assert_uint_eq(nreleased + df_held(&D), 34 + 100);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("defrag");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_v4_tcp_reassembled_meta);
	tcase_add_test(tc, test_v4_rules);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_v6);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

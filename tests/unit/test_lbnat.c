// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the load balancer's NAT rewriting (appliances/lb/lbnat.c).
 *
 * Method: build a packet with the original addresses and ports (every
 * checksum computed from scratch here), parse it (nf/pktparse.c), rewrite
 * it incrementally, and compare it byte for byte with the same packet
 * built from scratch with the translated addresses and ports: every field,
 * the IPv4 header checksum, the TCP/UDP/ICMP checksums, the TCP options
 * (MSS) and the payload. Then the checksums are verified on their own too.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbcore.h"
#include "sluice/nf/csum.h"

struct ep {
	uint8_t a[16];
	uint16_t port;
};

struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* TCP (a SYN with an MSS option and a payload) or UDP, from @s to @d. */
static size_t l4(uint8_t *p, uint8_t proto, const struct ep *s, const struct ep *d, size_t plen)
{
	size_t h = proto == 6 ? 24 : 8;

	memset(p, 0, h);
	w16(p, s->port);
	w16(p + 2, d->port);
	if (proto == 6) {
		p[12] = 6 << 4; /* 24-byte header: MSS option */
		p[13] = 0x02;
		w16(p + 14, 64240);
		p[20] = 2, p[21] = 4;
		w16(p + 22, 1460);
	} else {
		w16(p + 4, (uint16_t)(h + plen));
	}
	for (size_t i = 0; i < plen; i++)
		p[h + i] = (uint8_t)(i * 7 + 3);
	return h + plen;
}

/* Pseudo-header sum + L4 checksum from scratch (@partial: the offload form). */
static void l4_csum(uint8_t *ip, bool v6, uint8_t proto, size_t l4off, size_t l4len, bool partial)
{
	uint8_t ph[8] = {0};
	uint32_t sum;
	size_t coff = proto == 6 ? 16 : proto == 17 ? 6 : 2;

	w16(ip + l4off + coff, 0);
	sum = nf_csum_add(0, ip + (v6 ? 8 : 12), v6 ? 32 : 8);
	w16(ph + 2, (uint16_t)l4len);
	ph[7] = proto;
	sum = nf_csum_add(sum, ph, 8);
	if (partial) {
		w16(ip + l4off + coff, (uint16_t)~nf_csum_fold(sum));
		return;
	}
	if (proto == 1)
		sum = 0; /* ICMPv4: no pseudo-header */
	sum = nf_csum_add(sum, ip + l4off, l4len);
	w16(ip + l4off + coff, nf_csum_fold(sum));
}

/* IP header for @plen bytes of @proto at @ip; returns its length. */
static size_t iph(uint8_t *ip, bool v6, uint8_t proto, const uint8_t *s, const uint8_t *d,
		  size_t plen)
{
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		w16(ip + 4, (uint16_t)plen);
		ip[6] = proto, ip[7] = 64;
		memcpy(ip + 8, s, 16);
		memcpy(ip + 24, d, 16);
		return 40;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	w16(ip + 2, (uint16_t)(20 + plen));
	w16(ip + 4, 0x1234);
	ip[8] = 64, ip[9] = proto;
	memcpy(ip + 12, s, 4);
	memcpy(ip + 16, d, 4);
	w16(ip + 10, nf_csum_fold(nf_csum_add(0, ip, 20)));
	return 20;
}

/* An IP packet (no Ethernet) from @s to @d at @ip; returns its length. */
static size_t ippkt(uint8_t *ip, bool v6, uint8_t proto, const struct ep *s, const struct ep *d,
		    size_t plen, bool partial, bool udp_nocsum)
{
	size_t h = v6 ? 40 : 20, n = l4(ip + h, proto, s, d, plen);

	iph(ip, v6, proto, s->a, d->a, n);
	if (!udp_nocsum)
		l4_csum(ip, v6, proto, h, n, partial);
	return h + n;
}

static void eth(struct pkt *p, bool v6)
{
	memset(p->b, 0, 14);
	p->b[0] = 2, p->b[6] = 2, p->b[11] = 1;
	w16(p->b + 12, v6 ? 0x86dd : 0x0800);
	p->n = 14;
}

static void mk(struct pkt *p, bool v6, uint8_t proto, const struct ep *s, const struct ep *d,
	       size_t plen, bool partial, bool nocsum)
{
	eth(p, v6);
	p->n += ippkt(p->b + 14, v6, proto, s, d, plen, partial, nocsum);
}

/* An ICMP error from @r to @d quoting @q (a packet of @qlen bytes, cut to @cut). */
static void mk_icmp(struct pkt *p, bool v6, const uint8_t *r, const uint8_t *d, const uint8_t *q,
		    size_t cut)
{
	uint8_t *ip = p->b + 14, *ic;
	size_t h = v6 ? 40 : 20;

	eth(p, v6);
	ic = ip + h;
	memset(ic, 0, 8);
	ic[0] = v6 ? 2 : 3; /* packet too big / unreachable */
	ic[1] = v6 ? 0 : 4; /* (fragmentation needed) */
	w16(ic + 6, 1280);
	memcpy(ic + 8, q, cut);
	iph(ip, v6, v6 ? 58 : 1, r, d, 8 + cut);
	l4_csum(ip, v6, v6 ? 58 : 1, h, 8 + cut, false);
	p->n = 14 + h + 8 + cut;
}

static struct pkt_meta parse(const struct pkt *p)
{
	struct pkt_meta m;

	ck_assert_int_eq(pkt_parse(p->b, p->n, 0, &m), 0);
	ck_assert(!(m.flags & PKT_MALFORMED));
	return m;
}

/* Every checksum in @p verifies from scratch (sums to 0xffff before the complement). */
static void verify(const struct pkt *p, bool v6, uint8_t proto)
{
	const uint8_t *ip = p->b + 14;
	size_t h = v6 ? 40 : 20, len = p->n - 14 - h;
	uint8_t ph[8] = {0};
	uint32_t sum = 0;

	if (!v6)
		ck_assert_uint_eq(nf_csum_fold(nf_csum_add(0, ip, 20)), 0);
	if (proto != 1) {
		sum = nf_csum_add(0, ip + (v6 ? 8 : 12), v6 ? 32 : 8);
		w16(ph + 2, (uint16_t)len);
		ph[7] = proto;
		sum = nf_csum_add(sum, ph, 8);
	}
	sum = nf_csum_add(sum, ip + h, len);
	ck_assert_uint_eq(nf_csum_fold(sum), 0);
}

static const struct ep C4 = {{192, 0, 2, 10}, 40000}, V4 = {{10, 0, 0, 10}, 80},
		       B4 = {{10, 1, 0, 11}, 8080}, L4 = {{10, 1, 0, 2}, 61000};
static const struct ep C6 = {{0x20, 1, 0xd, 0xb8, [15] = 0x10}, 40001},
		       V6 = {{0xfd, 0, [15] = 0x10}, 443}, B6 = {{0xfd, 1, [15] = 0x11}, 8443},
		       L6 = {{0xfd, 1, [15] = 2}, 61001};

static struct lb_nat nat(bool v6, uint8_t proto, bool full)
{
	struct lb_nat n = {.v6 = v6, .proto = proto, .full = full};
	const struct ep *c = v6 ? &C6 : &C4, *v = v6 ? &V6 : &V4, *b = v6 ? &B6 : &B4,
			*l = v6 ? &L6 : &L4;

	memcpy(n.caddr.b, c->a, 16), n.cport = c->port;
	memcpy(n.vaddr.b, v->a, 16), n.vport = v->port;
	memcpy(n.baddr.b, b->a, 16), n.bport = b->port;
	memcpy(n.laddr.b, l->a, 16), n.lport = l->port;
	if (!v6)
		memset(n.caddr.b + 4, 0, 12), memset(n.vaddr.b + 4, 0, 12),
			memset(n.baddr.b + 4, 0, 12), memset(n.laddr.b + 4, 0, 12);
	return n;
}

/* One packet each way for @proto/@v6/@full: incremental == from scratch. */
static void round_trip(bool v6, uint8_t proto, bool full, bool partial, bool nocsum)
{
	const struct ep *c = v6 ? &C6 : &C4, *v = v6 ? &V6 : &V4, *b = v6 ? &B6 : &B4,
			*l = v6 ? &L6 : &L4, *src = full ? l : c;
	struct lb_nat n = nat(v6, proto, full);
	struct pkt in, want;
	struct pkt_meta m;

	for (size_t plen = 0; plen < 40; plen += 13) {
		mk(&in, v6, proto, c, v, plen, partial, nocsum);
		m = parse(&in);
		ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_FWD, partial), 0);
		mk(&want, v6, proto, src, b, plen, partial, nocsum);
		ck_assert_uint_eq(in.n, want.n);
		ck_assert_mem_eq(in.b, want.b, in.n);
		if (!partial && !nocsum)
			verify(&in, v6, proto);
		/* The reply, backend to client (or to us, full NAT). */
		mk(&in, v6, proto, b, src, plen, partial, nocsum);
		m = parse(&in);
		ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_REPLY, partial), 0);
		mk(&want, v6, proto, v, c, plen, partial, nocsum);
		ck_assert_mem_eq(in.b, want.b, in.n);
	}
}

START_TEST(test_nat_tcp_udp)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int full = 0; full < 2; full++) {
			round_trip(v6, 6, full, false, false);
			round_trip(v6, 17, full, false, false);
		}
}
END_TEST

START_TEST(test_nat_partial_and_nocsum)
{
	/* A checksum left for offload holds the pseudo-header sum: kept consistent. */
	for (int v6 = 0; v6 < 2; v6++) {
		round_trip(v6, 6, true, true, false);
		round_trip(v6, 17, false, true, false);
	}
	/* IPv4 UDP without a checksum stays without one. */
	round_trip(false, 17, true, false, true);
}
END_TEST

START_TEST(test_nat_mss_untouched)
{
	struct lb_nat n = nat(false, 6, true);
	struct pkt in;
	struct pkt_meta m;

	mk(&in, false, 6, &C4, &V4, 10, false, false);
	m = parse(&in);
	ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_FWD, false), 0);
	/* Options at 14 + 20 + 20: kind 2, length 4, 1460. */
	ck_assert_uint_eq(in.b[54], 2);
	ck_assert_uint_eq(in.b[56] << 8 | in.b[57], 1460);
}
END_TEST

/*
 * on-down reset toward the backend: a translated data segment becomes a
 * bare RST with the same endpoints, sequence and acknowledgment numbers,
 * the IP length cut to the header and both checksums right from scratch.
 */
START_TEST(test_nat_to_rst)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		struct lb_nat n = nat(v6, 6, false);
		struct pkt in, want;
		struct pkt_meta m;
		size_t h = v6 ? 40 : 20;
		uint8_t *t;
		int len;

		mk(&in, v6, 6, v6 ? &C6 : &C4, v6 ? &V6 : &V4, 100, false, false);
		t = in.b + 14 + h;
		t[13] = 0x18; /* PSH|ACK data */
		w16(t + 4, 0x1122), w16(t + 6, 0x3344), w16(t + 8, 0x5566), w16(t + 10, 0x7788);
		l4_csum(in.b + 14, v6, 6, h, in.n - 14 - h, false);
		m = parse(&in);
		ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_FWD, false), 0);
		want = in;
		m = parse(&in);
		len = lb_nat_to_rst(in.b, in.n, &m);
		ck_assert_int_eq(len, (int)(14 + h + 20));
		in.n = (size_t)len;
		verify(&in, v6, 6);
		ck_assert_mem_eq(in.b, want.b, 14); /* Ethernet, then the addresses */
		ck_assert_mem_eq(in.b + 14 + (v6 ? 8 : 12), want.b + 14 + (v6 ? 8 : 12),
				 v6 ? 32 : 8);
		ck_assert_mem_eq(t, want.b + 14 + h, 12); /* ports, seq, ack */
		ck_assert_uint_eq(t[12], 5 << 4);
		ck_assert_uint_eq(t[13], 0x14); /* RST|ACK */
		ck_assert_uint_eq(in.b[14 + (v6 ? 4 : 2)] << 8 | in.b[14 + (v6 ? 5 : 3)],
				  v6 ? 20 : 40);
		/* Not a TCP segment: refused, untouched. */
		mk(&in, v6, 17, v6 ? &C6 : &C4, v6 ? &V6 : &V4, 10, false, false);
		want = in;
		m = parse(&in);
		ck_assert_int_eq(lb_nat_to_rst(in.b, in.n, &m), -EINVAL);
		ck_assert_mem_eq(in.b, want.b, in.n);
	}
}
END_TEST

/* The client's ICMP error about a reply goes to the backend, quote and all. */
static void icmp_case(bool v6, bool full, size_t cut, enum lb_nat_dir dir)
{
	const struct ep *c = v6 ? &C6 : &C4, *v = v6 ? &V6 : &V4, *b = v6 ? &B6 : &B4,
			*l = v6 ? &L6 : &L4, *cs = full ? l : c;
	const uint8_t r[16] = {198, 51, 100, 1, [15] = v6 ? 9 : 0}; /* a router */
	struct lb_nat n = nat(v6, 6, full);
	uint8_t q[256], qw[256];
	struct pkt in, want;
	struct pkt_meta m;
	size_t ql;

	if (dir == LB_NAT_FWD) {
		/* Quote: the reply as the client got it; the error goes client side -> VIP. */
		ql = ippkt(q, v6, 6, v, c, 30, false, false);
		ippkt(qw, v6, 6, b, cs, 30, false, false);
		mk_icmp(&in, v6, r, v->a, q, cut < ql ? cut : ql);
		mk_icmp(&want, v6, full ? l->a : r, b->a, qw, cut < ql ? cut : ql);
	} else {
		/* Quote: what we sent the backend; the error comes back to us or the client. */
		ql = ippkt(q, v6, 6, cs, b, 30, false, false);
		ippkt(qw, v6, 6, c, v, 30, false, false);
		mk_icmp(&in, v6, r, cs->a, q, cut < ql ? cut : ql);
		mk_icmp(&want, v6, v->a, c->a, qw, cut < ql ? cut : ql);
	}
	m = parse(&in);
	ck_assert(m.flags & PKT_ICMP_ERROR);
	ck_assert(m.inner_valid);
	ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, dir, false), 0);
	ck_assert_uint_eq(in.n, want.n);
	ck_assert_mem_eq(in.b, want.b, in.n);
	verify(&in, v6, v6 ? 58 : 1);
}

START_TEST(test_nat_icmp_errors)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int full = 0; full < 2; full++)
			for (int dir = 0; dir < 2; dir++) {
				icmp_case(v6, full, (v6 ? 40 : 20) + 8, dir); /* RFC 792 quote */
				icmp_case(v6, full, 1000, dir); /* whole: inner csum too */
			}
}
END_TEST

START_TEST(test_nat_refuses)
{
	struct lb_nat n = nat(false, 6, false), n6 = nat(true, 6, false);
	struct pkt in, copy;
	struct pkt_meta m;

	mk(&in, false, 6, &C4, &V4, 10, false, false);
	m = parse(&in);
	copy = in;
	/* Family mismatch, a frame shorter than its headers: refused, untouched. */
	ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n6, LB_NAT_FWD, false), -EINVAL);
	ck_assert_int_eq(lb_nat_rewrite(in.b, 30, &m, &n, LB_NAT_FWD, false), -EINVAL);
	m.l3 = PKT_L3_ARP;
	ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_FWD, false), -EINVAL);
	ck_assert_mem_eq(in.b, copy.b, in.n);
	/* An ICMP error whose quote has no ports. */
	{
		uint8_t q[64];
		size_t ql = ippkt(q, false, 6, &V4, &C4, 0, false, false);

		mk_icmp(&in, false, (const uint8_t[4]){1, 2, 3, 4}, V4.a, q, 20);
		ck_assert_int_eq(pkt_parse(in.b, in.n, 0, &m), 0);
		copy = in;
		ck_assert_int_eq(lb_nat_rewrite(in.b, in.n, &m, &n, LB_NAT_FWD, false), -EINVAL);
		ck_assert_mem_eq(in.b, copy.b, in.n);
		(void)ql;
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lbnat");
	TCase *tc = tcase_create("nat");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_nat_tcp_udp);
	tcase_add_test(tc, test_nat_partial_and_nocsum);
	tcase_add_test(tc, test_nat_mss_untouched);
	tcase_add_test(tc, test_nat_to_rst);
	tcase_add_test(tc, test_nat_icmp_errors);
	tcase_add_test(tc, test_nat_refuses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

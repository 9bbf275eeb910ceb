// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for nf/pktparse.c. Frames are built byte by
 * byte (headers, lengths and IPv4 checksums computed here), then mangled:
 * every truncation, every single-bit flip and random damage must parse
 * without reading outside the frame (each parse gets an exact-size heap copy,
 * so ASan sees any overread) and without breaking the meta invariants.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/pktmeta.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 0, 2, 7}, C4[4] = {198, 51, 100, 9};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t C6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xff, [15] = 3};

struct frame {
	uint8_t b[4096];
	size_t n;
};

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)(v >> 16));
	w16(p + 2, (uint16_t)v);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet header; @tags VLAN tags (TPID 0x88a8 first when @tags == 2). */
static void eth(struct frame *f, uint16_t type, int tags, uint16_t vid)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	memcpy(f->b, macs, 12);
	f->n = 12;
	for (int i = 0; i < tags; i++) {
		w16(f->b + f->n, tags >= 2 && i == 0 ? 0x88a8 : 0x8100);
		w16(f->b + f->n + 2, (uint16_t)(vid + i));
		f->n += 4;
	}
	w16(f->b + f->n, type);
	f->n += 2;
}

static void put(struct frame *f, const uint8_t *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

struct v4 {
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t id, frag; /* frag: flags | offset/8 as on the wire */
	uint8_t optlen;	   /* bytes of options (multiple of 4) */
};

/* IPv4 header + options + payload at @p; returns the datagram length. */
static size_t ip4(uint8_t *p, const struct v4 *h, const uint8_t *pl, size_t plen)
{
	size_t hl = 20 + h->optlen;

	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | hl / 4);
	w16(p + 2, (uint16_t)(hl + plen));
	w16(p + 4, h->id);
	w16(p + 6, h->frag);
	p[8] = 64;
	p[9] = h->proto;
	memcpy(p + 12, h->src, 4);
	memcpy(p + 16, h->dst, 4);
	memset(p + 20, 1, h->optlen); /* NOPs */
	w16(p + 10, csum(p, hl));
	memcpy(p + hl, pl, plen);
	return hl + plen;
}

static size_t ip6(uint8_t *p, uint8_t nh, const uint8_t *src, const uint8_t *dst, const uint8_t *pl,
		  size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	w16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 63;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	memcpy(p + 40, pl, plen);
	return 40 + plen;
}

static size_t tcp(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t fl,
		  const uint8_t *opt, size_t optlen, size_t data)
{
	size_t hl = 20 + optlen;

	memset(p, 0, hl + data);
	w16(p, sp);
	w16(p + 2, dp);
	w32(p + 4, seq);
	w32(p + 8, ack);
	p[12] = (uint8_t)(hl / 4 << 4);
	p[13] = fl;
	w16(p + 14, 29200);
	if (optlen)
		memcpy(p + 20, opt, optlen);
	memset(p + hl, 'x', data);
	return hl + data;
}

static size_t udp(uint8_t *p, uint16_t sp, uint16_t dp, size_t data)
{
	memset(p, 'u', 8 + data);
	w16(p, sp);
	w16(p + 2, dp);
	w16(p + 4, (uint16_t)(8 + data));
	w16(p + 6, 0);
	return 8 + data;
}

static size_t icmp(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *q,
		   size_t qlen)
{
	p[0] = type;
	p[1] = code;
	w16(p + 2, 0);
	w32(p + 4, rest);
	if (qlen)
		memcpy(p + 8, q, qlen);
	return 8 + qlen;
}

/* Extension header of @units 8-byte units (>= 1), PadN-filled, at @p. */
static size_t ext6(uint8_t *p, uint8_t nh, unsigned int units)
{
	memset(p, 0, units * 8);
	p[0] = nh;
	p[1] = (uint8_t)(units - 1);
	p[2] = 1; /* PadN covering the rest */
	p[3] = (uint8_t)(units * 8 - 4);
	return units * 8;
}

static size_t frag6(uint8_t *p, uint8_t nh, uint16_t off, bool more, uint32_t id)
{
	memset(p, 0, 8);
	p[0] = nh;
	w16(p + 2, (uint16_t)(off | more));
	w32(p + 4, id);
	return 8;
}

static const uint8_t syn_opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7}; /* MSS 1460, NOP, WS 7 */

static void v4_frame(struct frame *f, const struct v4 *h, const uint8_t *pl, size_t plen)
{
	eth(f, 0x0800, 0, 0);
	f->n += ip4(f->b + f->n, h, pl, plen);
}

static void v6_frame(struct frame *f, uint8_t nh, const uint8_t *pl, size_t plen)
{
	eth(f, 0x86dd, 0, 0);
	f->n += ip6(f->b + f->n, nh, A6, B6, pl, plen);
}

/* Parse an exact-size heap copy, so that ASan catches any read past the end. */
static void parse(const uint8_t *b, size_t n, struct pkt_meta *m)
{
	uint8_t *c = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(c);
	memcpy(c, b, n);
	ck_assert_int_eq(pkt_parse(c, n, 3, m), 0);
	free(c);
}

/* What every parse result must satisfy, whatever the input. Plain ifs: hot loop. */
static void check_invariants(const struct pkt_meta *m, size_t n)
{
	if (m->frame_len != n || m->ifindex != 3)
		ck_abort_msg("frame_len/ifindex");
	if (m->l3_off > n)
		ck_abort_msg("l3_off %u > %zu", m->l3_off, n);
	if ((m->l3 == PKT_L3_IPV4 || m->l3 == PKT_L3_IPV6) && m->l4_off &&
	    (size_t)m->l4_off + m->l4_len > n)
		ck_abort_msg("l4 [%u +%u] beyond %zu", m->l4_off, m->l4_len, n);
	if ((m->flags & PKT_HAS_L4) &&
	    (m->payload_off < m->l4_off || m->payload_off > m->l4_off + m->l4_len))
		ck_abort_msg("payload_off %u outside l4 [%u +%u]", m->payload_off, m->l4_off,
			     m->l4_len);
	if ((m->flags & PKT_FIRST_FRAG) && !(m->flags & PKT_FRAGMENT))
		ck_abort_msg("FIRST_FRAG without FRAGMENT");
	if ((m->flags & PKT_FRAGMENT) && !(m->flags & PKT_FIRST_FRAG) && (m->flags & PKT_HAS_L4))
		ck_abort_msg("L4 parsed in a non-first fragment");
	if (m->inner_valid && !(m->flags & PKT_ICMP_ERROR))
		ck_abort_msg("inner_valid without ICMP error");
	if (m->tcp_wscale != 0xff && m->tcp_wscale > 14)
		ck_abort_msg("wscale %u", m->tcp_wscale);
}

static struct pkt_meta parse_frame(const struct frame *f)
{
	struct pkt_meta m;

	parse(f->b, f->n, &m);
	check_invariants(&m, f->n);
	return m;
}

static void assert_addr4(const struct pkt_addr *a, const uint8_t *want)
{
	static const uint8_t zero[12];

	ck_assert_mem_eq(a->b, want, 4);
	ck_assert_mem_eq(a->b + 4, zero, 12);
}

/* ---- corpus builders (also used by the fuzz tests) ---- */

static void mk_v4_syn(struct frame *f)
{
	uint8_t l4[64];
	size_t n = tcp(l4, 40000, 443, 1000, 0, F_SYN, syn_opts, sizeof(syn_opts), 0);

	v4_frame(f, &(struct v4){A4, B4, 6, 7, 0x4000, 0}, l4, n);
}

static void mk_v4_udp_opts(struct frame *f)
{
	uint8_t l4[64];
	size_t n = udp(l4, 5353, 53, 12);

	v4_frame(f, &(struct v4){A4, B4, 17, 8, 0, 8}, l4, n);
}

static void mk_vlan_v4_icmp_err(struct frame *f)
{
	uint8_t inner[64], q[128], l4[160];
	size_t n = tcp(inner, 40000, 443, 1000, 0, F_SYN, NULL, 0, 0);

	n = ip4(q, &(struct v4){A4, B4, 6, 1, 0, 0}, inner, n);
	n = icmp(l4, 3, 1, 0, q, 28); /* header + 8 bytes of TCP */
	eth(f, 0x0800, 1, 42);
	f->n += ip4(f->b + f->n, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
}

static void mk_v6_chain_udp(struct frame *f)
{
	uint8_t pl[256];
	size_t n = 0;

	n += ext6(pl + n, 43, 1); /* hop-by-hop -> routing */
	n += ext6(pl + n, 44, 1); /* routing -> fragment */
	pl[n - 8 + 2] = 4;	  /* routing type 4 (SRH), segments left 1 */
	pl[n - 8 + 3] = 1;
	n += frag6(pl + n, 51, 0, true, 0xabcdef01); /* first fragment -> AH */
	memset(pl + n, 0, 12);			     /* AH: (1 + 2) * 4 bytes -> dstopts */
	pl[n] = 60;
	pl[n + 1] = 1;
	n += 12;
	n += ext6(pl + n, 17, 2);
	n += udp(pl + n, 1000, 2000, 100);
	w16(pl + n - 108 + 4, 1108); /* the datagram goes on in later fragments */
	v6_frame(f, 0, pl, n);
}

static void mk_v6_icmp_err(struct frame *f)
{
	uint8_t inner[512], q[1024], l4[1100];
	size_t n = ext6(inner, 17, 1);

	n += udp(inner + n, 5000, 6000, 50);
	eth(f, 0x86dd, 0, 0);
	n = ip6(q, 60, A6, B6, inner, n);
	n = icmp(l4, 2, 0, 1280, q, n);
	f->n += ip6(f->b + f->n, 58, C6, A6, l4, n);
}

static void mk_arp(struct frame *f)
{
	uint8_t a[28] = {0, 1, 8, 0, 6, 4, 0, 1};

	memcpy(a + 14, A4, 4);
	memcpy(a + 24, B4, 4);
	eth(f, 0x0806, 0, 0);
	put(f, a, sizeof(a));
}

static void mk_v4_frag_mid(struct frame *f)
{
	uint8_t pl[64];

	memset(pl, 'f', sizeof(pl));
	v4_frame(f, &(struct v4){A4, B4, 17, 99, 0x2000 | 185, 0}, pl, sizeof(pl));
}

static void mk_qinq_v6_tcp(struct frame *f)
{
	uint8_t l4[64];
	size_t n = tcp(l4, 22, 50000, 5, 6, F_ACK | F_PSH, NULL, 0, 10);

	eth(f, 0x86dd, 2, 100);
	f->n += ip6(f->b + f->n, 6, A6, B6, l4, n);
}

static void (*const corpus[])(struct frame *) = {
	mk_v4_syn,	mk_v4_udp_opts, mk_vlan_v4_icmp_err, mk_v6_chain_udp,
	mk_v6_icmp_err, mk_arp,		mk_v4_frag_mid,	     mk_qinq_v6_tcp,
};

/* ---- basic ---- */

START_TEST(test_bad_args_and_short)
{
	struct pkt_meta m;
	uint8_t b[13] = {0};

	ck_assert_int_eq(pkt_parse(b, sizeof(b), 0, NULL), -EINVAL);
	ck_assert_int_eq(pkt_parse(NULL, 5, 0, &m), -EINVAL);
	ck_assert_int_eq(pkt_parse(NULL, 0, 0, &m), 0);
	ck_assert(m.flags & PKT_MALFORMED);
	parse(b, sizeof(b), &m);
	ck_assert_uint_eq(m.flags, PKT_MALFORMED);
	ck_assert_uint_eq(m.l3, PKT_L3_OTHER);
	ck_assert_uint_eq(m.tcp_wscale, 0xff);
}
END_TEST

START_TEST(test_non_ip)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t pl[46] = {0};

	eth(&f, 0x88cc, 0, 0); /* LLDP */
	put(&f, pl, sizeof(pl));
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.l3, PKT_L3_OTHER);
	ck_assert_uint_eq(m.ethertype, 0x88cc);
	eth(&f, 46, 0, 0); /* 802.3 length field (STP/LLC) */
	put(&f, pl, sizeof(pl));
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.l3, PKT_L3_OTHER);
}
END_TEST

START_TEST(test_arp)
{
	struct frame f;
	struct pkt_meta m;

	mk_arp(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.l3, PKT_L3_ARP);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.arp_op, 1);
	assert_addr4(&m.saddr, A4);
	assert_addr4(&m.daddr, B4);
	f.n -= 1;
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.arp_op, 1);
	/* Not Ethernet/IPv4: opcode only, not malformed. */
	mk_arp(&f);
	f.b[14 + 1] = 6; /* hardware type IEEE 802 */
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.arp_op, 1);
	ck_assert_uint_eq(m.saddr.b[0], 0);
}
END_TEST

/* ---- IPv4 / TCP / UDP ---- */

START_TEST(test_v4_tcp_syn)
{
	struct frame f;
	struct pkt_meta m;

	mk_v4_syn(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.l3, PKT_L3_IPV4);
	ck_assert_uint_eq(m.ethertype, 0x0800);
	ck_assert_uint_eq(m.proto, 6);
	ck_assert_uint_eq(m.ttl, 64);
	assert_addr4(&m.saddr, A4);
	assert_addr4(&m.daddr, B4);
	ck_assert_uint_eq(m.sport, 40000);
	ck_assert_uint_eq(m.dport, 443);
	ck_assert_uint_eq(m.tcp_seq, 1000);
	ck_assert_uint_eq(m.tcp_ack, 0);
	ck_assert_uint_eq(m.tcp_flags, F_SYN);
	ck_assert_uint_eq(m.tcp_win, 29200);
	ck_assert_uint_eq(m.tcp_wscale, 7);
	ck_assert_uint_eq(m.l3_off, 14);
	ck_assert_uint_eq(m.l4_off, 34);
	ck_assert_uint_eq(m.l4_len, 28);
	ck_assert_uint_eq(m.payload_off, 62);
	ck_assert_uint_eq(m.frag_id, 7);
	ck_assert_uint_eq(m.vlan, 0);
}
END_TEST

START_TEST(test_tcp_options)
{
	static const uint8_t big_ws[] = {3, 3, 15, 0};	   /* shift 15: clamped to 14 */
	static const uint8_t bad_len[] = {1, 1, 8, 10};	   /* timestamp running past the header */
	static const uint8_t zero_len[] = {2, 0, 0, 0};	   /* would loop forever if trusted */
	static const uint8_t eol_junk[] = {0, 99, 99, 99}; /* after end-of-list: ignored */
	uint8_t l4[64];
	struct frame f;
	struct pkt_meta m;
	size_t n;

	n = tcp(l4, 1, 2, 3, 0, F_SYN, big_ws, 4, 0);
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.tcp_wscale, 14);
	/* The option only counts on a SYN. */
	n = tcp(l4, 1, 2, 3, 4, F_ACK, syn_opts, sizeof(syn_opts), 0);
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.tcp_wscale, 0xff);
	n = tcp(l4, 1, 2, 3, 0, F_SYN, bad_len, 4, 0);
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!(m.flags & PKT_HAS_L4));
	ck_assert_uint_eq(m.sport, 1); /* as much as is known */
	n = tcp(l4, 1, 2, 3, 0, F_SYN, zero_len, 4, 0);
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	n = tcp(l4, 1, 2, 3, 0, F_SYN, eol_junk, 4, 0);
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_HAS_L4);
}
END_TEST

START_TEST(test_tcp_bad_data_offset)
{
	uint8_t l4[64];
	struct frame f;
	struct pkt_meta m;
	size_t n = tcp(l4, 1, 2, 3, 0, F_ACK, NULL, 0, 4);

	l4[12] = 4 << 4; /* 16 bytes: shorter than the fixed header */
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!(m.flags & PKT_HAS_L4));
	l4[12] = 7 << 4; /* 28 bytes: past the 24 that are there */
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	l4[12] = 6 << 4; /* 24: exactly the segment, no payload */
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED); /* 4 payload bytes read as options */
	memset(l4 + 20, 1, 4);				  /* ... unless they are NOPs */
	v4_frame(&f, &(struct v4){A4, B4, 6, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.payload_off, m.l4_off + m.l4_len);
}
END_TEST

START_TEST(test_v4_udp_padding_and_options)
{
	uint8_t l4[64];
	struct frame f;
	struct pkt_meta m;
	size_t n = udp(l4, 68, 67, 2);

	/* A short datagram in a frame padded to the Ethernet minimum. */
	v4_frame(&f, &(struct v4){A4, B4, 17, 0, 0, 0}, l4, n);
	memset(f.b + f.n, 0xee, 60 - f.n);
	f.n = 60;
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.sport, 68);
	ck_assert_uint_eq(m.dport, 67);
	ck_assert_uint_eq(m.l4_len, 10);
	ck_assert_uint_eq(m.payload_off, 34 + 8);
	mk_v4_udp_opts(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_IP_OPTS);
	ck_assert_uint_eq(m.l4_off, 14 + 28);
	ck_assert_uint_eq(m.dport, 53);
}
END_TEST

START_TEST(test_udp_bad_length)
{
	uint8_t l4[64];
	struct frame f;
	size_t n = udp(l4, 1, 2, 10);

	w16(l4 + 4, 19); /* one more than the IP payload */
	v4_frame(&f, &(struct v4){A4, B4, 17, 0, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	w16(l4 + 4, 7);
	v4_frame(&f, &(struct v4){A4, B4, 17, 0, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	w16(l4 + 4, 12); /* shorter than the payload: trailing bytes tolerated */
	v4_frame(&f, &(struct v4){A4, B4, 17, 0, 0, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_HAS_L4);
	/* UDP-Lite: the field is a coverage, not checked. */
	w16(l4 + 4, 0);
	v4_frame(&f, &(struct v4){A4, B4, 136, 0, 0, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_HAS_L4);
}
END_TEST

START_TEST(test_v4_header_errors)
{
	struct frame f;
	struct pkt_meta m;

	mk_v4_syn(&f);
	f.b[14] = 0x44; /* IHL 4 */
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.l3, PKT_L3_IPV4);
	mk_v4_syn(&f);
	f.b[14] = 0x65; /* version 6 behind ethertype IPv4 */
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	mk_v4_syn(&f);
	f.b[14] = 0x4f; /* IHL 60 > 48 bytes present */
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	mk_v4_syn(&f);
	f.b[14 + 10] ^= 1; /* checksum */
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.dport, 443); /* the rest still parsed */
	mk_v4_syn(&f);
	f.n--; /* total length now exceeds the frame */
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.l4_len, 27);
}
END_TEST

START_TEST(test_v4_total_length_below_ihl)
{
	struct frame f;
	struct pkt_meta m;

	mk_v4_syn(&f);
	w16(f.b + 14 + 2, 19);
	w16(f.b + 14 + 10, 0);
	w16(f.b + 14 + 10, csum(f.b + 14, 20));
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!(m.flags & PKT_HAS_L4));
	ck_assert_uint_eq(m.l4_len, 0);
}
END_TEST

START_TEST(test_v4_fragments)
{
	uint8_t l4[1600];
	struct frame f;
	struct pkt_meta m;
	size_t n = udp(l4, 1111, 53, 1400);

	/* First fragment: 1000 bytes of a 1408-byte datagram. */
	v4_frame(&f, &(struct v4){A4, B4, 17, 0x1234, 0x2000, 0}, l4, 1000);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_FRAGMENT | PKT_FIRST_FRAG | PKT_HAS_L4);
	ck_assert_uint_eq(m.dport, 53);
	ck_assert_uint_eq(m.frag_id, 0x1234);
	ck_assert_uint_eq(m.frag_off, 0);
	/* Last fragment: offset 1000 (125 units), no ports. */
	v4_frame(&f, &(struct v4){A4, B4, 17, 0x1234, 125, 0}, l4 + 1000, n - 1000);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_FRAGMENT);
	ck_assert_uint_eq(m.frag_off, 1000);
	ck_assert_uint_eq(m.proto, 17);
	ck_assert_uint_eq(m.sport, 0);
	ck_assert_uint_eq(m.l4_off, 34);
	ck_assert_uint_eq(m.l4_len, n - 1000);
	/* Middle fragment. */
	mk_v4_frag_mid(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_FRAGMENT);
	ck_assert_uint_eq(m.frag_off, 185 * 8);
	/*
	 * DF alone is not a fragment. A UDP first fragment whose length fits is
	 * inconsistent, but that is judged after reassembly (nf/defrag.h): the
	 * first fragment just names no L4 fields.
	 */
	v4_frame(&f, &(struct v4){A4, B4, 17, 1, 0x4000, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_HAS_L4);
	v4_frame(&f, &(struct v4){A4, B4, 17, 1, 0x2000, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_FRAGMENT | PKT_FIRST_FRAG);
}
END_TEST

START_TEST(test_v4_fragment_attacks)
{
	uint8_t l4[128];
	struct frame f;
	struct pkt_meta m;
	size_t n = tcp(l4, 1, 22, 1, 0, F_SYN, NULL, 0, 0);

	/*
	 * Tiny first fragment: the TCP header does not fit. Legal (RFC 791);
	 * the header is judged once reassembled (nf/defrag.h), so it is not
	 * malformed, but it names no L4 fields (issue 15 defect 5).
	 */
	v4_frame(&f, &(struct v4){A4, B4, 6, 5, 0x2000, 0}, l4, 8);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_FRAGMENT | PKT_FIRST_FRAG);
	/* Offset 8 (RFC 1858): reassembly refuses overlaps, so it is a plain fragment. */
	v4_frame(&f, &(struct v4){A4, B4, 6, 5, 1, 0}, l4 + 8, n - 8);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_FRAGMENT);
	/* Offset 8 is fine for UDP. */
	v4_frame(&f, &(struct v4){A4, B4, 17, 5, 1, 0}, l4 + 8, n - 8);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_FRAGMENT);
	/* Reassembly past 64 KiB. */
	v4_frame(&f, &(struct v4){A4, B4, 17, 5, 0x1fff, 0}, l4, 16);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	v4_frame(&f, &(struct v4){A4, B4, 17, 5, 0x1fff, 0}, l4, 7);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_FRAGMENT); /* 65528 + 7 fits */
}
END_TEST

/* ---- VLAN ---- */

START_TEST(test_vlan)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t l4[64];
	size_t n = udp(l4, 1, 2, 0);

	mk_vlan_v4_icmp_err(&f);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_VLAN);
	ck_assert(!(m.flags & PKT_QINQ));
	ck_assert_uint_eq(m.vlan, 42);
	ck_assert_uint_eq(m.ethertype, 0x0800);
	ck_assert_uint_eq(m.l3_off, 18);
	ck_assert_uint_eq(m.l3, PKT_L3_IPV4);
	/* QinQ: outer VID, inner skipped, IPv6 still parsed. */
	mk_qinq_v6_tcp(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_VLAN | PKT_QINQ | PKT_HAS_L4);
	ck_assert_uint_eq(m.vlan, 100);
	ck_assert_uint_eq(m.l3_off, 22);
	ck_assert_uint_eq(m.sport, 22);
	ck_assert_uint_eq(m.payload_off, 22 + 40 + 20);
	/* Three tags: not parsed further. */
	eth(&f, 0x8100, 2, 7);
	f.n -= 2;
	w16(f.b + f.n, 0x8100);
	w16(f.b + f.n + 2, 9);
	w16(f.b + f.n + 4, 0x0800);
	f.n += 6;
	f.n += ip4(f.b + f.n, &(struct v4){A4, B4, 17, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.l3, PKT_L3_OTHER);
	ck_assert_uint_eq(m.ethertype, 0x8100);
	ck_assert_uint_eq(m.vlan, 7);
	/* Truncated tag. */
	eth(&f, 0x0800, 1, 5);
	f.n -= 3;
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
}
END_TEST

/* ---- IPv6 ---- */

START_TEST(test_v6_tcp)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t l4[64];
	size_t n = tcp(l4, 50000, 80, 0xfffffff0u, 0, F_SYN, syn_opts, sizeof(syn_opts), 0);

	v6_frame(&f, 6, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.l3, PKT_L3_IPV6);
	ck_assert_uint_eq(m.ttl, 63);
	ck_assert_mem_eq(m.saddr.b, A6, 16);
	ck_assert_mem_eq(m.daddr.b, B6, 16);
	ck_assert_uint_eq(m.tcp_seq, 0xfffffff0u);
	ck_assert_uint_eq(m.tcp_wscale, 7);
	ck_assert_uint_eq(m.l4_off, 54);
	ck_assert_uint_eq(m.l4_len, 28);
}
END_TEST

START_TEST(test_v6_ext_chain)
{
	struct frame f;
	struct pkt_meta m;

	mk_v6_chain_udp(&f);
	m = parse_frame(&f);
	/* HBH, routing, fragment (first, M=1), AH, dstopts, then UDP. */
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_IP_OPTS | PKT_FRAGMENT | PKT_FIRST_FRAG);
	ck_assert_uint_eq(m.proto, 17);
	ck_assert_uint_eq(m.l4_off, 54 + 8 + 8 + 8 + 12 + 16);
	ck_assert_uint_eq(m.sport, 1000);
	ck_assert_uint_eq(m.dport, 2000);
	ck_assert_uint_eq(m.frag_id, 0xabcdef01);
}
END_TEST

START_TEST(test_v6_ext_errors)
{
	struct frame f;
	uint8_t pl[512];
	size_t n;

	/* Hop-by-hop not first. */
	n = ext6(pl, 0, 1);
	n += ext6(pl + n, 59, 1);
	v6_frame(&f, 60, pl, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	/* Routing type 0 with segments left. */
	n = ext6(pl, 59, 1);
	pl[2] = 0;
	pl[3] = 1;
	v6_frame(&f, 43, pl, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	pl[3] = 0; /* ... without: harmless */
	v6_frame(&f, 43, pl, n);
	ck_assert_uint_eq(parse_frame(&f).flags, PKT_IP_OPTS);
	/* Header length beyond the payload. */
	n = ext6(pl, 59, 2);
	v6_frame(&f, 60, pl, n - 8);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	/* Two fragment headers. */
	n = frag6(pl, 44, 0, true, 1);
	n += frag6(pl + n, 59, 0, true, 2);
	v6_frame(&f, 44, pl, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	/* Upper-layer header cut by the end of the payload (RFC 7112 style). */
	n = ext6(pl, 6, 1);
	n += tcp(pl + n, 1, 2, 3, 0, F_SYN, NULL, 0, 0);
	v6_frame(&f, 60, pl, n - 4);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
}
END_TEST

START_TEST(test_v6_chain_bound)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t pl[512];
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		n += ext6(pl + n, i == 7 ? 17 : 60, 1);
	n += udp(pl + n, 7, 9, 0);
	v6_frame(&f, 60, pl, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_IP_OPTS);
	ck_assert_uint_eq(m.dport, 9);
	n = 0;
	for (int i = 0; i < 9; i++)
		n += ext6(pl + n, i == 8 ? 17 : 60, 1);
	n += udp(pl + n, 7, 9, 0);
	v6_frame(&f, 60, pl, n);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!(m.flags & PKT_HAS_L4));
}
END_TEST

START_TEST(test_v6_fragments)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t pl[256];
	size_t n;

	/* Non-first: proto from the fragment header, nothing parsed behind it. */
	n = frag6(pl, 6, 1232, false, 77);
	memset(pl + n, 0xff, 40);
	v6_frame(&f, 44, pl, n + 40);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_FRAGMENT | PKT_IP_OPTS);
	ck_assert_uint_eq(m.proto, 6);
	ck_assert_uint_eq(m.frag_off, 1232);
	ck_assert_uint_eq(m.frag_id, 77);
	ck_assert_uint_eq(m.l4_off, 62);
	ck_assert_uint_eq(m.l4_len, 40);
	/* Atomic fragment (offset 0, M=0): a whole packet (RFC 6946). */
	n = frag6(pl, 17, 0, false, 78);
	n += udp(pl + n, 1, 2, 4);
	v6_frame(&f, 44, pl, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_IP_OPTS);
	ck_assert_uint_eq(m.frag_id, 78);
}
END_TEST

START_TEST(test_v6_no_upper_layer)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t pl[64] = {0};

	v6_frame(&f, 50, pl, 32); /* ESP: opaque */
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.proto, 50);
	v6_frame(&f, 59, pl, 0); /* No Next Header, empty */
	ck_assert_uint_eq(parse_frame(&f).flags, 0);
	v6_frame(&f, 6, pl, 0); /* zero length (jumbogram) with TCP */
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	v6_frame(&f, 17, pl, 16);
	f.n -= 1; /* payload length beyond the frame */
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	v6_frame(&f, 17, pl, 16);
	f.b[14] = 0x40; /* version 4 behind ethertype IPv6 */
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
}
END_TEST

/* ---- ICMP ---- */

START_TEST(test_icmp_echo)
{
	struct frame f;
	struct pkt_meta m;
	uint8_t l4[64];
	size_t n = icmp(l4, 8, 0, 0xbeef0001, NULL, 0);

	v4_frame(&f, &(struct v4){A4, B4, 1, 0, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.icmp_type, 8);
	ck_assert_uint_eq(m.icmp_id, 0xbeef);
	n = icmp(l4, 129, 0, 0x12340002, NULL, 0);
	v6_frame(&f, 58, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.icmp_type, 129);
	ck_assert_uint_eq(m.icmp_id, 0x1234);
	/* ICMPv6 carried over IPv4 is just an unknown protocol there. */
	v4_frame(&f, &(struct v4){A4, B4, 58, 0, 0, 0}, l4, n);
	ck_assert_uint_eq(parse_frame(&f).flags, 0);
	/* Shorter than 8 bytes. */
	v4_frame(&f, &(struct v4){A4, B4, 1, 0, 0, 0}, l4, 6);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.icmp_type, 129);
}
END_TEST

START_TEST(test_icmp_error_v4)
{
	struct frame f;
	struct pkt_meta m;

	mk_vlan_v4_icmp_err(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_VLAN | PKT_HAS_L4 | PKT_ICMP_ERROR);
	ck_assert_uint_eq(m.icmp_type, 3);
	ck_assert_uint_eq(m.icmp_code, 1);
	assert_addr4(&m.saddr, C4);
	ck_assert(m.inner_valid);
	ck_assert_uint_eq(m.inner_proto, 6);
	assert_addr4(&m.inner_saddr, A4);
	assert_addr4(&m.inner_daddr, B4);
	ck_assert_uint_eq(m.inner_sport, 40000);
	ck_assert_uint_eq(m.inner_dport, 443);
}
END_TEST

START_TEST(test_icmp_error_v4_inner_kinds)
{
	uint8_t inner[64], q[128], l4[160];
	struct frame f;
	struct pkt_meta m;
	size_t n;

	/* TTL exceeded for a ping: the echo's id and type. */
	n = icmp(inner, 8, 0, 0x00420001, NULL, 0);
	n = ip4(q, &(struct v4){A4, B4, 1, 1, 0, 0}, inner, n);
	n = icmp(l4, 11, 0, 0, q, n);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert(m.inner_valid);
	ck_assert_uint_eq(m.inner_proto, 1);
	ck_assert_uint_eq(m.inner_icmp_type, 8);
	ck_assert_uint_eq(m.inner_icmp_id, 0x42);
	ck_assert(!(m.flags & PKT_MALFORMED));
	/* An error about an error: forbidden, malformed. */
	q[20] = 3;
	n = icmp(l4, 3, 3, 0, q, 28);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!m.inner_valid);
	/* Quote shorter than an IP header, and one without its 8 L4 bytes. */
	n = icmp(l4, 3, 3, 0, q, 19);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	n = icmp(l4, 3, 3, 0, q, 27);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	/*
	 * Issue 15 defect 4: a quote with only the UDP ports (4 bytes) still
	 * names the flow, as Linux takes it; 3 bytes do not.
	 */
	n = udp(inner, 1000, 53, 0);
	n = ip4(q, &(struct v4){A4, B4, 17, 1, 0, 0}, inner, n);
	n = icmp(l4, 3, 3, 0, q, 24);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert(m.inner_valid);
	ck_assert_uint_eq(m.inner_sport, 1000);
	ck_assert_uint_eq(m.inner_dport, 53);
	ck_assert(!(m.flags & PKT_MALFORMED));
	n = icmp(l4, 3, 3, 0, q, 23);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
	/* About a non-first fragment: well-formed, but no flow can be named. */
	n = udp(inner, 1, 2, 0);
	n = ip4(q, &(struct v4){A4, B4, 17, 1, 100, 0}, inner, n);
	n = icmp(l4, 3, 4, 1400, q, n);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_ICMP_ERROR);
	ck_assert(!m.inner_valid);
	/* An IPv6 header quoted by ICMPv4. */
	n = udp(inner, 1, 2, 0);
	n = ip6(q, 17, A6, B6, inner, n);
	n = icmp(l4, 3, 3, 0, q, n);
	v4_frame(&f, &(struct v4){C4, A4, 1, 2, 0, 0}, l4, n);
	ck_assert(parse_frame(&f).flags & PKT_MALFORMED);
}
END_TEST

START_TEST(test_icmp6_errors)
{
	uint8_t inner[128], q[256], l4[300];
	struct frame f;
	struct pkt_meta m;
	size_t n;

	/* Packet too big about UDP behind a destination options header. */
	mk_v6_icmp_err(&f);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4 | PKT_ICMP_ERROR);
	ck_assert_uint_eq(m.icmp_type, 2);
	ck_assert(m.inner_valid);
	ck_assert_uint_eq(m.inner_proto, 17);
	ck_assert_mem_eq(m.inner_saddr.b, A6, 16);
	ck_assert_mem_eq(m.inner_daddr.b, B6, 16);
	ck_assert_uint_eq(m.inner_sport, 5000);
	ck_assert_uint_eq(m.inner_dport, 6000);
	/* Time exceeded about an echo request. */
	n = icmp(inner, 128, 0, 0x07770001, NULL, 0);
	n = ip6(q, 58, A6, B6, inner, n);
	n = icmp(l4, 3, 0, 0, q, n);
	v6_frame(&f, 58, l4, n);
	m = parse_frame(&f);
	ck_assert(m.inner_valid);
	ck_assert_uint_eq(m.inner_icmp_type, 128);
	ck_assert_uint_eq(m.inner_icmp_id, 0x777);
	/* Quote with a broken extension chain. */
	n = ext6(inner, 17, 4);
	n = ip6(q, 60, A6, B6, inner, n);
	n = icmp(l4, 4, 1, 40, q, 60);
	v6_frame(&f, 58, l4, n);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert(!m.inner_valid);
	/* Informational ICMPv6 (neighbour solicitation): no inner. */
	n = icmp(l4, 135, 0, 0, B6, 16);
	v6_frame(&f, 58, l4, n);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.icmp_type, 135);
}
END_TEST

START_TEST(test_sctp_dccp_ports)
{
	uint8_t l4[64] = {0x0b, 0xb8, 0x13, 0x88}; /* 3000 -> 5000 */
	struct frame f;
	struct pkt_meta m;

	v4_frame(&f, &(struct v4){A4, B4, 132, 0, 0, 0}, l4, 12 + 16);
	m = parse_frame(&f);
	ck_assert_uint_eq(m.flags, PKT_HAS_L4);
	ck_assert_uint_eq(m.sport, 3000);
	ck_assert_uint_eq(m.dport, 5000);
	ck_assert_uint_eq(m.payload_off, 34 + 12);
	v6_frame(&f, 33, l4, 11);
	m = parse_frame(&f);
	ck_assert(m.flags & PKT_MALFORMED);
	ck_assert_uint_eq(m.dport, 5000);
}
END_TEST

/* ---- mangling ---- */

static bool is_ip_frame(const struct pkt_meta *m)
{
	return m->l3 == PKT_L3_IPV4 || m->l3 == PKT_L3_IPV6 || m->l3 == PKT_L3_ARP;
}

/* Every strict prefix of a valid, unpadded frame is inconsistent somewhere. */
START_TEST(test_every_truncation)
{
	for (size_t c = 0; c < NELEM(corpus); c++) {
		struct frame f;
		struct pkt_meta m;

		corpus[c](&f);
		m = parse_frame(&f);
		ck_assert_msg(!(m.flags & PKT_MALFORMED), "corpus %zu malformed", c);
		ck_assert(is_ip_frame(&m));
		for (size_t n = 0; n < f.n; n++) {
			parse(f.b, n, &m);
			check_invariants(&m, n);
			if (!(m.flags & PKT_MALFORMED))
				ck_abort_msg("corpus %zu cut to %zu: not malformed", c, n);
		}
	}
}
END_TEST

/* Every single-bit flip; an IPv4 header bit always breaks the checksum. */
START_TEST(test_every_bit_flip)
{
	for (size_t c = 0; c < NELEM(corpus); c++) {
		struct frame f;
		struct pkt_meta m0, m;

		corpus[c](&f);
		m0 = parse_frame(&f);
		for (size_t bit = 0; bit < f.n * 8; bit++) {
			size_t byte = bit / 8;

			f.b[byte] ^= (uint8_t)(1u << (bit % 8));
			parse(f.b, f.n, &m);
			check_invariants(&m, f.n);
			if (m0.l3 == PKT_L3_IPV4 && m.ethertype == 0x0800 && byte >= m0.l3_off &&
			    byte < m0.l3_off + 20u && !(m.flags & PKT_MALFORMED))
				ck_abort_msg("corpus %zu bit %zu: IPv4 header flip not caught", c,
					     bit);
			f.b[byte] ^= (uint8_t)(1u << (bit % 8));
		}
	}
}
END_TEST

/* xorshift: reproducible damage. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

START_TEST(test_random_damage)
{
	struct frame f;
	struct pkt_meta m;
	unsigned int malformed = 0;

	for (int iter = 0; iter < 200000; iter++) {
		size_t n;

		corpus[rnd() % NELEM(corpus)](&f);
		/* 1-8 random byte changes, sometimes a structural byte set to an extreme. */
		for (unsigned int k = 1 + rnd() % 8; k; k--) {
			size_t at = rnd() % f.n;

			f.b[at] = rnd() % 4 ? (uint8_t)(f.b[at] ^ (1u << rnd() % 8))
					    : (uint8_t)(rnd() % 2 ? 0xff : 0);
		}
		n = rnd() % 3 ? f.n : rnd() % (f.n + 1);
		parse(f.b, n, &m);
		check_invariants(&m, n);
		malformed += !!(m.flags & PKT_MALFORMED);
	}
	/* Sanity: the damage does get noticed most of the time. */
	ck_assert_uint_gt(malformed, 50000);
}
END_TEST

static Suite *pktparse_suite(void)
{
	Suite *s = suite_create("pktparse");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bad_args_and_short);
	tcase_add_test(tc, test_non_ip);
	tcase_add_test(tc, test_arp);
	tcase_add_test(tc, test_v4_tcp_syn);
	tcase_add_test(tc, test_tcp_options);
	tcase_add_test(tc, test_tcp_bad_data_offset);
	tcase_add_test(tc, test_v4_udp_padding_and_options);
	tcase_add_test(tc, test_udp_bad_length);
	tcase_add_test(tc, test_v4_header_errors);
	tcase_add_test(tc, test_v4_total_length_below_ihl);
	tcase_add_test(tc, test_v4_fragments);
	tcase_add_test(tc, test_v4_fragment_attacks);
	tcase_add_test(tc, test_vlan);
	tcase_add_test(tc, test_v6_tcp);
	tcase_add_test(tc, test_v6_ext_chain);
	tcase_add_test(tc, test_v6_ext_errors);
	tcase_add_test(tc, test_v6_chain_bound);
	tcase_add_test(tc, test_v6_fragments);
	tcase_add_test(tc, test_v6_no_upper_layer);
	tcase_add_test(tc, test_icmp_echo);
	tcase_add_test(tc, test_icmp_error_v4);
	tcase_add_test(tc, test_icmp_error_v4_inner_kinds);
	tcase_add_test(tc, test_icmp6_errors);
	tcase_add_test(tc, test_sctp_dccp_ports);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_every_bit_flip);
	tcase_add_test(tc, test_random_damage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pktparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for nf/conntrack.c and nf/conntrack_tcp.c.
 * Packets are described directly as struct pkt_meta (what pkt_parse()
 * produces), the clock is a plain counter, and pass() plays the appliance
 * with a rule set that accepts everything: look up, confirm when NEW.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/nf/conntrack.h"
#include "sluice/nf/pktmeta.h"

#define S_NS 1000000000ULL
#define T0 (1000 * S_NS)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define ISN_C 1000u
#define ISN_S 5000u

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 0, 2, 7}, R4[4] = {198, 51, 100, 1};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t R6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xff, [15] = 1};

/* An endpoint: address, port, and the bridge port its packets arrive on. */
struct ep {
	bool v6;
	const uint8_t *ip;
	uint16_t port;
	uint32_t ifindex;
};

static const struct ep C4 = {false, A4, 40000, 1}, S4 = {false, B4, 443, 2};
static const struct ep RT4 = {false, R4, 0, 2};
static const struct ep C6 = {true, A6, 40000, 1}, S6 = {true, B6, 443, 2};
static const struct ep RT6 = {true, R6, 0, 2};

static struct ct_table T;

static void setup(void)
{
	ck_assert_int_eq(ct_init(&T, 1024, 0x0123456789abcdefULL), 0);
}

static void teardown(void)
{
	ct_destroy(&T);
}

static struct pkt_meta base(const struct ep *from, const struct ep *to, uint8_t proto)
{
	struct pkt_meta m;
	size_t alen = from->v6 ? 16 : 4;

	memset(&m, 0, sizeof(m));
	m.l3 = from->v6 ? PKT_L3_IPV6 : PKT_L3_IPV4;
	m.ethertype = from->v6 ? 0x86dd : 0x0800;
	m.ifindex = from->ifindex;
	m.proto = proto;
	memcpy(m.saddr.b, from->ip, alen);
	memcpy(m.daddr.b, to->ip, alen);
	m.sport = from->port;
	m.dport = to->port;
	m.flags = PKT_HAS_L4;
	m.tcp_wscale = 0xff;
	m.l3_off = 14;
	m.l4_off = from->v6 ? 54 : 34;
	m.l4_len = 8;
	m.payload_off = m.l4_off + 8;
	return m;
}

static struct pkt_meta tseg(const struct ep *from, const struct ep *to, uint8_t fl, uint32_t seq,
			    uint32_t ack, uint16_t len)
{
	struct pkt_meta m = base(from, to, 6);

	m.tcp_flags = fl;
	m.tcp_seq = seq;
	m.tcp_ack = ack;
	m.tcp_win = 65535;
	m.l4_len = 20 + len;
	m.payload_off = m.l4_off + 20;
	return m;
}

static struct pkt_meta useg(const struct ep *from, const struct ep *to)
{
	return base(from, to, 17);
}

static struct pkt_meta icmpm(const struct ep *from, const struct ep *to, uint8_t type, uint16_t id)
{
	struct pkt_meta m = base(from, to, from->v6 ? 58 : 1);

	m.sport = m.dport = 0;
	m.icmp_type = type;
	m.icmp_id = id;
	return m;
}

/* An ICMP error from @router to @to quoting @inner. */
static struct pkt_meta icmp_err(const struct ep *router, const struct ep *to, uint8_t type,
				struct pkt_meta in)
{
	const struct pkt_meta *inner = &in;
	struct pkt_meta m = icmpm(router, to, type, 0);

	m.flags |= PKT_ICMP_ERROR;
	m.inner_valid = true;
	m.inner_proto = inner->proto;
	m.inner_saddr = inner->saddr;
	m.inner_daddr = inner->daddr;
	m.inner_sport = inner->sport;
	m.inner_dport = inner->dport;
	m.inner_icmp_type = inner->icmp_type;
	m.inner_icmp_id = inner->icmp_id;
	return m;
}

/* The appliance with an accept-all rule set. */
static uint8_t pass(struct ct_table *t, const struct pkt_meta *m, uint64_t now,
		    struct ct_entry **ep)
{
	struct ct_entry *e;
	uint8_t st = ct_lookup_update(t, m, now, &e);

	/* Rules typically drop INVALID; confirming it would be refused anyway. */
	if (st != CT_INVALID && (st == CT_NEW || (m->flags & PKT_FIRST_FRAG)))
		ck_assert_int_eq(ct_confirm(t, m, now, &e), 0);
	if (ep)
		*ep = e;
	return st;
}

static uint8_t passv(struct ct_table *t, struct pkt_meta m, uint64_t now, struct ct_entry **ep)
{
	return pass(t, &m, now, ep);
}

/* Look up without confirming (probe whether an entry exists). */
static uint8_t probe(struct ct_table *t, struct pkt_meta m, uint64_t now)
{
	return ct_lookup_update(t, &m, now, NULL);
}

static uint8_t pkt(const struct pkt_meta m, uint64_t now)
{
	return pass(&T, &m, now, NULL);
}

/* Client @c opens to server @s: SYN, SYN|ACK, ACK. */
static struct ct_entry *handshake(const struct ep *c, const struct ep *s, uint64_t now)
{
	struct ct_entry *e, *e2;
	struct pkt_meta m = tseg(c, s, F_SYN, ISN_C, 0, 0);

	ck_assert_uint_eq(ct_lookup_update(&T, &m, now, &e), CT_NEW);
	ck_assert_ptr_null(e); /* nothing until the rules accept */
	ck_assert_int_eq(ct_confirm(&T, &m, now, &e), 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_SENT);
	m = tseg(s, c, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0);
	ck_assert_uint_eq(pass(&T, &m, now, &e2), CT_ESTABLISHED);
	ck_assert_ptr_eq(e2, e);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_RECV);
	ck_assert(!(e->status & CT_S_ASSURED));
	m = tseg(c, s, F_ACK, ISN_C + 1, ISN_S + 1, 0);
	ck_assert_uint_eq(pass(&T, &m, now, &e2), CT_ESTABLISHED);
	ck_assert_ptr_eq(e2, e);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert(e->status & CT_S_ASSURED);
	return e;
}

static uint64_t secs(uint64_t s)
{
	return T0 + s * S_NS;
}

/* ---- setup and sizing ---- */

START_TEST(test_init_and_sizing)
{
	struct ct_table t;
	struct ct_cfg c;

	ck_assert_int_eq(ct_init(&t, 0, 1), -EINVAL);
	ck_assert_int_eq(ct_init(&t, CT_MAX_ENTRIES + 1, 1), -EINVAL);
	ck_assert_uint_eq(ct_mem_bytes(1000), 1000 * sizeof(struct ct_entry) + 1024 * 4);
	for (size_t mb = 1; mb <= 512; mb *= 2) {
		unsigned int n = ct_entries_for_bytes(mb << 20);

		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(ct_mem_bytes(n), mb << 20);
	}
	ck_assert_uint_eq(ct_entries_for_bytes(10), 0);
	ck_assert_uint_eq(ct_entries_for_bytes((size_t)1 << 40), CT_MAX_ENTRIES);
	ck_assert_int_eq(ct_init(&t, 3, 1), 0);
	ck_assert_uint_eq(t.mask, 3);
	ck_assert_uint_eq(t.stats.max_entries, 3);
	ct_cfg_default(&c);
	ck_assert_uint_eq(c.tcp_timeout[CT_TCP_ESTABLISHED], 432000); /* Linux's 5 days */
	ck_assert_uint_eq(c.udp_stream, 120);
	c.udp = 0;
	ck_assert_int_eq(ct_set_cfg(&t, &c), -EINVAL);
	c.udp = 30;
	c.frag_policy = 7;
	ck_assert_int_eq(ct_set_cfg(&t, &c), -EINVAL);
	c.frag_policy = CT_FRAG_INVALID;
	ck_assert_int_eq(ct_set_cfg(&t, &c), 0);
	ck_assert_uint_eq(t.cfg.frag_policy, CT_FRAG_INVALID);
	ck_assert_str_eq(ct_tcp_state_name(CT_TCP_TIME_WAIT), "TIME_WAIT");
	ck_assert_str_eq(ct_tcp_state_name(99), "?");
	ct_destroy(&t);
}
END_TEST

/* ---- TCP ---- */

START_TEST(test_tcp_handshake)
{
	struct ct_entry *e = handshake(&C4, &S4, T0), *e2;
	struct pkt_meta m;

	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(T.stats.inserts, 1);
	/* Replies arrived on the other bridge port and still matched. */
	ck_assert_uint_eq(e->iif[CT_DIR_ORIG], 1);
	ck_assert_uint_eq(e->iif[CT_DIR_REPLY], 2);
	ck_assert_uint_eq(e->packets[CT_DIR_ORIG], 2);
	ck_assert_uint_eq(e->packets[CT_DIR_REPLY], 1);
	m = tseg(&S4, &C4, F_ACK | F_PSH, ISN_S + 1, ISN_C + 1, 1000);
	ck_assert_uint_eq(pass(&T, &m, T0, &e2), CT_ESTABLISHED);
	ck_assert_ptr_eq(e2, e);
	ck_assert_uint_eq(ct_pkt_dir(e, &m), CT_DIR_REPLY);
	m = tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1001, 0);
	ck_assert_uint_eq(pkt(m, T0), CT_ESTABLISHED);
	ck_assert_uint_eq(ct_pkt_dir(e, &m), CT_DIR_ORIG);
	ck_assert_uint_eq(e->expires, secs(432000));
	ck_assert_uint_eq(T.stats.invalid, 0);
}
END_TEST

START_TEST(test_tcp_syn_retransmit_is_new)
{
	struct ct_entry *e;
	struct pkt_meta m = tseg(&C4, &S4, F_SYN, ISN_C, 0, 0);

	ck_assert_uint_eq(pkt(m, T0), CT_NEW);
	/* nftables: still NEW until a reply; the entry exists and is reused. */
	ck_assert_uint_eq(pass(&T, &m, secs(1), &e), CT_NEW);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(e->expires, secs(1 + 120));
	/* A SYN with a new ISN (the client restarted) is accepted too. */
	m.tcp_seq = ISN_C + 100000;
	ck_assert_uint_eq(pkt(m, secs(2)), CT_NEW);
	m = tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 100001, 0);
	ck_assert_uint_eq(pkt(m, secs(2)), CT_ESTABLISHED);
}
END_TEST

START_TEST(test_tcp_teardown_time_wait)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);

	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_FIN | F_ACK, ISN_C + 1, ISN_S + 1, 0), secs(1)),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_FIN_WAIT);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_FIN | F_ACK, ISN_S + 1, ISN_C + 2, 0), secs(1)),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_LAST_ACK);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 2, ISN_S + 2, 0), secs(1)),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_TIME_WAIT);
	ck_assert_uint_eq(e->expires, secs(1 + 120));
	/* The timer sweep reaps it only once TIME_WAIT has run out. */
	ck_assert_uint_eq(ct_expire(&T, secs(120), 1024), 0);
	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(ct_expire(&T, secs(121), 1024), 1);
	ck_assert_uint_eq(T.stats.entries, 0);
	ck_assert_uint_eq(T.stats.expired, 1);
}
END_TEST

START_TEST(test_tcp_four_way_close)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);

	pkt(tseg(&S4, &C4, F_FIN | F_ACK, ISN_S + 1, ISN_C + 1, 0), T0); /* server closes first */
	ck_assert_uint_eq(e->tcp_state, CT_TCP_FIN_WAIT);
	pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 2, 0), T0);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE_WAIT);
	ck_assert_uint_eq(e->expires, T0 + 60 * S_NS);
	/* Half-closed: the client may still send data. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 2, 100), T0),
			  CT_ESTABLISHED);
	pkt(tseg(&C4, &S4, F_FIN | F_ACK, ISN_C + 101, ISN_S + 2, 0), T0);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_LAST_ACK);
	pkt(tseg(&S4, &C4, F_ACK, ISN_S + 2, ISN_C + 102, 0), T0);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_TIME_WAIT);
	/* A fresh SYN on the same ports reopens (RFC 1122): a new connection. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN, ISN_C + 9999, 0, 0), secs(5)), CT_NEW);
	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(T.stats.inserts, 2);
}
END_TEST

START_TEST(test_tcp_rst_window)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);

	/* Far outside the window: a blind reset attempt. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST, ISN_S + 1 + 0x40000000u, 0, 0), T0),
			  CT_INVALID);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	/* Before what the client already acknowledged: stale. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST, ISN_S, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert_uint_eq(T.stats.invalid, 2);
	/* In window. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST | F_ACK, ISN_S + 1, ISN_C + 1, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE);
	ck_assert_uint_eq(e->expires, T0 + 10 * S_NS);
}
END_TEST

START_TEST(test_tcp_rst_answering_syn)
{
	struct ct_entry *e;

	pass(&T, &(struct pkt_meta){0}, T0, NULL); /* not IP: harmless */
	pkt(tseg(&C4, &S4, F_SYN, ISN_C, 0, 0), T0);
	/* Must acknowledge the SYN (RFC 793 3.4). */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST | F_ACK, 0, ISN_C + 7, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST, 0, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(passv(&T, tseg(&S4, &C4, F_RST | F_ACK, 0, ISN_C + 1, 0), T0, &e),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE);
}
END_TEST

START_TEST(test_tcp_out_of_window)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);
	struct ct_tcp_side o = e->tcp[CT_DIR_ORIG], r = e->tcp[CT_DIR_REPLY];

	/* Data far beyond what the server's window allows. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + 10000000, ISN_S + 1, 100), T0),
			  CT_INVALID);
	/* Acknowledging data the server never sent. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 500000, 0), T0), CT_INVALID);
	/* Ancient data: more than a window behind. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C - 200000, ISN_S + 1, 10), T0),
			  CT_INVALID);
	ck_assert_uint_eq(T.stats.invalid, 3);
	/* Nothing moved. */
	ck_assert_uint_eq(e->tcp[CT_DIR_ORIG].end, o.end);
	ck_assert_uint_eq(e->tcp[CT_DIR_ORIG].maxend, o.maxend);
	ck_assert_uint_eq(e->tcp[CT_DIR_ORIG].maxack, o.maxack);
	ck_assert_uint_eq(e->tcp[CT_DIR_REPLY].maxend, r.maxend);
	ck_assert_uint_eq(e->tcp[CT_DIR_REPLY].maxwin, r.maxwin);
	/* Edge of the window: 65535 bytes advertised. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 65535), T0),
			  CT_ESTABLISHED);
	/* A retransmission of it is fine. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 1000), T0),
			  CT_ESTABLISHED);
	/* With tcp_liberal, nothing is out of window. */
	T.cfg.tcp_liberal = true;
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + 10000000, ISN_S + 1, 100), T0),
			  CT_ESTABLISHED);
}
END_TEST

START_TEST(test_tcp_window_scaling)
{
	struct pkt_meta m = tseg(&C4, &S4, F_SYN, ISN_C, 0, 0);

	m.tcp_wscale = 7;
	pkt(m, T0);
	m = tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0);
	m.tcp_wscale = 7;
	pkt(m, T0);
	pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), T0);
	/* Server advertises 1024 << 7 = 128 KiB. */
	m = tseg(&S4, &C4, F_ACK, ISN_S + 1, ISN_C + 1, 0);
	m.tcp_win = 1024;
	ck_assert_uint_eq(pkt(m, T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + 120000, ISN_S + 1, 1000), T0),
			  CT_ESTABLISHED);
}
END_TEST

START_TEST(test_tcp_window_scale_needs_both)
{
	struct pkt_meta m = tseg(&C4, &S4, F_SYN, ISN_C, 0, 0);

	m.tcp_wscale = 7; /* only the client offers it: no scaling either way */
	pkt(m, T0);
	pkt(tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0), T0);
	pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), T0);
	m = tseg(&S4, &C4, F_ACK, ISN_S + 1, ISN_C + 1, 0);
	m.tcp_win = 1024;
	pkt(m, T0);
	/* The largest window seen was 65535 (unscaled): 120000 ahead is out. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + 120000, ISN_S + 1, 1000), T0),
			  CT_INVALID);
	/* Nor is the client's own shift applied to the windows it advertises. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, ISN_S + 1 + 120000, ISN_C + 1, 1000), T0),
			  CT_INVALID);
}
END_TEST

START_TEST(test_tcp_forged_synack)
{
	struct ct_entry *e;

	passv(&T, tseg(&C4, &S4, F_SYN, ISN_C, 0, 0), T0, &e);
	/* Wrong ack: an off-path guess. Must not initialize the server side. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, 777777, ISN_C + 99, 0), T0),
			  CT_INVALID);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_SENT);
	ck_assert_uint_eq(e->tcp[CT_DIR_REPLY].maxwin, 0);
	ck_assert(!(e->status & CT_S_SEEN_REPLY));
	/* The real one still works. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_RECV);
	/* And the final ACK establishes. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), T0), CT_ESTABLISHED);
}
END_TEST

START_TEST(test_tcp_no_entry_and_bad_flags)
{
	struct ct_entry *e;
	struct pkt_meta m;

	/* Mid-stream ACK without an entry: INVALID (strict pickup). */
	m = tseg(&C4, &S4, F_ACK, 5, 6, 10);
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
	ck_assert_int_eq(ct_confirm(&T, &m, T0, &e), -EINVAL);
	ck_assert_uint_eq(T.stats.entries, 0);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN | F_FIN, 5, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, 0, 5, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_FIN | F_PSH | 0x20, 5, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_RST, 5, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN | F_ACK, 5, 6, 0), T0), CT_INVALID);
	/* Bad flags on an existing connection. */
	handshake(&C4, &S4, T0);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN | F_RST, ISN_C + 1, 0, 0), T0), CT_INVALID);
	/* A server may not send a plain SYN on a live connection (a client may: see below). */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN, ISN_S + 1, 0, 0), T0), CT_INVALID);
}
END_TEST

START_TEST(test_tcp_loose_pickup)
{
	struct ct_entry *e;
	struct pkt_meta m = tseg(&C4, &S4, F_ACK, 5000000, 9000000, 100);

	T.cfg.tcp_loose = true;
	ck_assert_uint_eq(pass(&T, &m, T0, &e), CT_NEW);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert(e->status & CT_S_LIBERAL);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, 9000000, 5000100, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, 5000100, 9000000, 100), T0), CT_ESTABLISHED);
	ck_assert(e->status & CT_S_ASSURED);
	/* Liberal windows, but a RST is still checked against what is known. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST, 1, 0, 0), T0), CT_INVALID);
}
END_TEST

START_TEST(test_tcp_simultaneous_open)
{
	struct ct_entry *e;

	passv(&T, tseg(&C4, &S4, F_SYN, ISN_C, 0, 0), T0, &e);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN, ISN_S, 0, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_SENT2);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN | F_ACK, ISN_C, ISN_S + 1, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_RECV);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_RECV);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, ISN_S + 1, ISN_C + 1, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert_uint_eq(T.stats.invalid, 0);
}
END_TEST

START_TEST(test_tcp_sequence_wrap)
{
	struct pkt_meta m = tseg(&C4, &S4, F_SYN, 0xffffff00u, 0, 0);
	struct ct_entry *e;

	pass(&T, &m, T0, &e);
	pkt(tseg(&S4, &C4, F_SYN | F_ACK, 0xfffffff0u, 0xffffff01u, 0), T0);
	pkt(tseg(&C4, &S4, F_ACK, 0xffffff01u, 0xfffffff1u, 0), T0);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	/* Both directions carry data across 2^32. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, 0xffffff01u, 0xfffffff1u, 1000), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, 0xfffffff1u, 0xffffff01u + 1000, 1000), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, 0xffffff01u + 1000, 0xfffffff1u + 1000, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(T.stats.invalid, 0);
}
END_TEST

/* ---- UDP / ICMP ---- */

START_TEST(test_udp)
{
	struct ct_entry *e;
	struct pkt_meta q = useg(&C4, &S4), r = useg(&S4, &C4);

	/* Dropped by the rules (no confirm): nothing is created. */
	ck_assert_uint_eq(ct_lookup_update(&T, &q, T0, &e), CT_NEW);
	ck_assert_uint_eq(T.stats.entries, 0);
	ck_assert_uint_eq(pass(&T, &q, T0, &e), CT_NEW);
	ck_assert_uint_eq(e->expires, secs(30));
	ck_assert_uint_eq(pkt(q, secs(1)), CT_NEW); /* no reply yet */
	ck_assert_uint_eq(pkt(r, secs(2)), CT_ESTABLISHED);
	ck_assert(!(e->status & CT_S_ASSURED));
	ck_assert_uint_eq(e->expires, secs(2 + 30));
	ck_assert_uint_eq(pkt(q, secs(3)), CT_ESTABLISHED);
	ck_assert(e->status & CT_S_ASSURED);
	ck_assert_uint_eq(e->expires, secs(3 + 120));
	ck_assert_uint_eq(T.stats.entries, 1);
	/* A reply with no request is simply a new flow for UDP. */
	ck_assert_uint_eq(pkt(useg(&S6, &C6), T0), CT_NEW);
}
END_TEST

START_TEST(test_icmp_echo)
{
	struct ct_entry *e;

	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 0, 77), T0), CT_INVALID); /* unsolicited reply */
	ck_assert_uint_eq(passv(&T, icmpm(&C4, &S4, 8, 77), T0, &e), CT_NEW);
	ck_assert_uint_eq(e->expires, secs(30));
	ck_assert_uint_eq(pkt(icmpm(&C4, &S4, 8, 77), T0), CT_NEW);
	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 0, 77), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 0, 78), T0), CT_INVALID);	 /* other id */
	ck_assert_uint_eq(pkt(icmpm(&C4, &S4, 0, 77), T0), CT_INVALID);	 /* reply the wrong way */
	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 14, 77), T0), CT_INVALID); /* timestamp reply */
	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 8, 77), T0), CT_NEW);	 /* the server pings back */
	ck_assert_uint_eq(T.stats.entries, 2);
	ck_assert_uint_eq(pkt(icmpm(&C4, &S4, 9, 0), T0), CT_INVALID); /* router advertisement */
	ck_assert_uint_eq(pkt(icmpm(&C4, &S4, 13, 5), T0), CT_NEW);    /* timestamp request */
	ck_assert_uint_eq(pkt(icmpm(&S4, &C4, 14, 5), T0), CT_ESTABLISHED);
}
END_TEST

START_TEST(test_icmp_error_related)
{
	struct ct_entry *tcp, *u, *ping, *e;
	struct pkt_meta to_s, m;

	tcp = handshake(&C4, &S4, T0);
	to_s = tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 1400);
	/* A router says the client's segment did not fit. */
	m = icmp_err(&RT4, &C4, 3, to_s);
	ck_assert_uint_eq(pass(&T, &m, T0, &e), CT_RELATED);
	ck_assert_ptr_eq(e, tcp);
	/* About the server's packets, going to the server. */
	m = icmp_err(&RT4, &S4, 11, tseg(&S4, &C4, F_ACK, 1, 2, 0));
	ck_assert_uint_eq(pkt(m, T0), CT_RELATED);
	/* UDP and ping flows. */
	passv(&T, useg(&C4, &S4), T0, &u);
	m = icmp_err(&S4, &C4, 3, useg(&C4, &S4)); /* port unreachable */
	ck_assert_uint_eq(pass(&T, &m, T0, &e), CT_RELATED);
	ck_assert_ptr_eq(e, u);
	passv(&T, icmpm(&C4, &S4, 8, 9), T0, &ping);
	m = icmp_err(&RT4, &C4, 11, icmpm(&C4, &S4, 8, 9));
	ck_assert_uint_eq(pass(&T, &m, T0, &e), CT_RELATED);
	ck_assert_ptr_eq(e, ping);
	ck_assert_uint_eq(T.stats.related, 4);
	/* No such flow; unparseable quote; errors never create entries. */
	m = icmp_err(&RT4, &C4, 3, useg(&C4, &RT4));
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
	ck_assert_int_eq(ct_confirm(&T, &m, T0, &e), -EINVAL);
	m = icmp_err(&RT4, &C4, 3, to_s);
	m.inner_valid = false;
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
	ck_assert_uint_eq(T.stats.entries, 3);
	/* RELATED does not refresh the flow. */
	ck_assert_uint_eq(u->expires, secs(30));
}
END_TEST

/* ---- IPv6 ---- */

START_TEST(test_ipv6)
{
	struct ct_entry *tcp, *e;
	struct pkt_meta m;

	tcp = handshake(&C6, &S6, T0);
	ck_assert_uint_eq(tcp->key.kind, 6);
	ck_assert_uint_eq(pkt(tseg(&S6, &C6, F_ACK, ISN_S + 1, ISN_C + 1, 1200), T0),
			  CT_ESTABLISHED);
	/* The same addresses' low bytes over IPv4 are another flow. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), T0), CT_INVALID);
	m = icmp_err(&RT6, &S6, 2, tseg(&S6, &C6, F_ACK, 1, 2, 1400));
	ck_assert_uint_eq(pass(&T, &m, T0, &e), CT_RELATED);
	ck_assert_ptr_eq(e, tcp);
	ck_assert_uint_eq(pkt(useg(&C6, &S6), T0), CT_NEW);
	ck_assert_uint_eq(pkt(useg(&S6, &C6), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(icmpm(&C6, &S6, 128, 3), T0), CT_NEW);
	ck_assert_uint_eq(pkt(icmpm(&S6, &C6, 129, 3), T0), CT_ESTABLISHED);
	m = icmp_err(&RT6, &C6, 3, icmpm(&C6, &S6, 128, 3));
	ck_assert_uint_eq(pkt(m, T0), CT_RELATED);
	ck_assert_uint_eq(pkt(icmpm(&S6, &C6, 129, 4), T0), CT_INVALID);
	/* Neighbour discovery and MLD work without state. */
	ck_assert_uint_eq(pkt(icmpm(&C6, &S6, 135, 0), T0), CT_UNTRACKED);
	ck_assert_uint_eq(pkt(icmpm(&S6, &C6, 136, 0), T0), CT_UNTRACKED);
	ck_assert_uint_eq(pkt(icmpm(&C6, &S6, 143, 0), T0), CT_UNTRACKED);
	ck_assert_uint_eq(T.stats.entries, 3);
}
END_TEST

START_TEST(test_untracked_and_malformed)
{
	struct pkt_meta m = {.l3 = PKT_L3_ARP, .ethertype = 0x0806};
	struct ct_entry *e = (struct ct_entry *)&m;

	ck_assert_uint_eq(ct_lookup_update(&T, &m, T0, &e), CT_UNTRACKED);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(ct_confirm(&T, &m, T0, &e), 0);
	m = tseg(&C4, &S4, F_SYN, 1, 0, 0);
	m.flags |= PKT_MALFORMED;
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
	m = useg(&C4, &S4);
	m.flags &= ~PKT_HAS_L4; /* ports unknown */
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
	m = base(&C4, &S4, 47); /* GRE: tracked by addresses */
	m.flags = 0;
	ck_assert_uint_eq(pkt(m, T0), CT_NEW);
	ck_assert_uint_eq(pkt(base(&S4, &C4, 47), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(T.ents[0].status & CT_S_USED, CT_S_USED);
}
END_TEST

/* ---- time ---- */

START_TEST(test_timeouts)
{
	struct ct_cfg c;
	struct ct_entry *e;

	/* An unanswered SYN lives 120 s; the late SYN|ACK finds nothing. */
	pkt(tseg(&C4, &S4, F_SYN, ISN_C, 0, 0), T0);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, ISN_S, ISN_C + 1, 0), secs(120)),
			  CT_INVALID);
	ck_assert_uint_eq(T.stats.entries, 0);
	ck_assert_uint_eq(T.stats.expired, 1);
	/* Shorter established timeout through the config. */
	ct_cfg_default(&c);
	c.tcp_timeout[CT_TCP_ESTABLISHED] = 10;
	ck_assert_int_eq(ct_set_cfg(&T, &c), 0);
	e = handshake(&C4, &S4, secs(200));
	ck_assert_uint_eq(e->expires, secs(210));
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), secs(209)),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->expires, secs(219));
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), secs(219)),
			  CT_INVALID);
	/* UDP: 30 s unreplied. */
	pkt(useg(&C4, &S4), secs(300));
	ck_assert_uint_eq(pkt(useg(&S4, &C4), secs(329)), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(useg(&S4, &C4), secs(400)), CT_NEW); /* expired: new flow */
	/* A clock near the end of time does not wrap the deadline. */
	pkt(useg(&C6, &S6), UINT64_MAX - 5);
	ck_assert_uint_eq(pkt(useg(&S6, &C6), UINT64_MAX - 4), CT_ESTABLISHED);
}
END_TEST

START_TEST(test_expire_budget)
{
	struct ct_table t;
	unsigned int total = 0, r;

	ck_assert_int_eq(ct_init(&t, 100, 42), 0);
	for (uint16_t i = 0; i < 100; i++) {
		struct ep c = {false, A4, (uint16_t)(1000 + i), 1};
		struct pkt_meta m = useg(&c, &S4);

		ck_assert_uint_eq(pass(&t, &m, T0, NULL), CT_NEW);
	}
	ck_assert_uint_eq(t.stats.entries, 100);
	ck_assert_uint_eq(ct_expire(&t, secs(29), 100), 0);
	/* Each call visits at most its budget of slots. */
	for (int i = 0; i < 10; i++) {
		r = ct_expire(&t, secs(31), 10);
		ck_assert_uint_le(r, 10);
		total += r;
	}
	ck_assert_uint_eq(total, 100);
	ck_assert_uint_eq(t.stats.entries, 0);
	ck_assert_uint_eq(ct_expire(&t, secs(31), 1000000), 0); /* clamped, nothing left */
	ct_destroy(&t);
}
END_TEST

/* ---- capacity ---- */

static struct pkt_meta udp_port(uint16_t port)
{
	struct ep c = {false, A4, port, 1};

	return useg(&c, &S4);
}

START_TEST(test_table_full_eviction)
{
	struct ct_table t;
	struct ct_entry *e;
	struct pkt_meta m;

	ck_assert_int_eq(ct_init(&t, 8, 7), 0);
	/* 4 assured UDP streams (request, reply, request). */
	for (uint16_t p = 1; p <= 4; p++) {
		struct ep c = {false, A4, p, 1};

		passv(&t, useg(&c, &S4), T0, NULL);
		passv(&t, useg(&S4, &c), T0, NULL);
		passv(&t, useg(&c, &S4), T0, &e);
		ck_assert(e->status & CT_S_ASSURED);
	}
	/* 3 answered once (not assured), then 1 never answered, newest of all. */
	for (uint16_t p = 5; p <= 7; p++) {
		struct ep c = {false, A4, p, 1};

		passv(&t, useg(&c, &S4), secs(p), NULL);
		passv(&t, useg(&S4, &c), secs(p), NULL);
	}
	passv(&t, udp_port(8), secs(9), NULL);
	ck_assert_uint_eq(t.stats.entries, 8);
	ck_assert_uint_eq(t.stats.full, 0);
	/* Full: the embryonic flow goes first, although it is the newest. */
	m = udp_port(9);
	ck_assert_uint_eq(pass(&t, &m, secs(10), NULL), CT_NEW);
	ck_assert_uint_eq(t.stats.full, 1);
	ck_assert_uint_eq(t.stats.evictions, 1);
	ck_assert_uint_eq(probe(&t, useg(&S4, &(struct ep){false, A4, 8, 1}), secs(10)), CT_NEW);
	ck_assert_uint_eq(t.stats.entries, 8);
	/* With none left, the answered-but-not-assured one nearest its timeout (port 5). */
	ck_assert_uint_eq(passv(&t, useg(&S4, &(struct ep){false, A4, 9, 1}), secs(10), NULL),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(passv(&t, udp_port(10), secs(11), NULL), CT_NEW);
	ck_assert_uint_eq(t.stats.evictions, 2);
	ck_assert_uint_eq(probe(&t, useg(&S4, &(struct ep){false, A4, 5, 1}), secs(11)), CT_NEW);
	ck_assert_uint_eq(probe(&t, useg(&S4, &(struct ep){false, A4, 6, 1}), secs(11)),
			  CT_ESTABLISHED);
	/* The assured ones were never candidates. */
	for (uint16_t p = 1; p <= 4; p++)
		ck_assert_uint_eq(probe(&t, udp_port(p), secs(11)), CT_ESTABLISHED);
	ct_destroy(&t);
}
END_TEST

START_TEST(test_table_full_all_assured)
{
	struct ct_table t;
	struct ct_entry *e;
	struct pkt_meta m;

	ck_assert_int_eq(ct_init(&t, 4, 7), 0);
	for (uint16_t p = 1; p <= 4; p++) {
		struct ep c = {false, A4, p, 1};

		passv(&t, useg(&c, &S4), T0, NULL);
		passv(&t, useg(&S4, &c), T0, NULL);
		passv(&t, useg(&c, &S4), T0, NULL);
	}
	/* Nothing evictable: the newcomer is refused, the table untouched. */
	m = udp_port(100);
	ck_assert_uint_eq(ct_lookup_update(&t, &m, secs(1), &e), CT_NEW);
	ck_assert_int_eq(ct_confirm(&t, &m, secs(1), &e), -ENOSPC);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(t.stats.full, 1);
	ck_assert_uint_eq(t.stats.drops_when_full, 1);
	ck_assert_uint_eq(t.stats.evictions, 0);
	ck_assert_uint_eq(t.stats.entries, 4);
	/* Once one has expired, the slot is reaped instead of evicting. */
	ck_assert_int_eq(ct_confirm(&t, &m, secs(181), &e), 0);
	ck_assert_uint_eq(t.stats.expired, 1);
	ck_assert_uint_eq(t.stats.evictions, 0);
	ct_destroy(&t);
}
END_TEST

START_TEST(test_hash_seed_placement)
{
	struct ct_table a, b, a2;
	unsigned int same = 0, used = 0;
	static bool hit[1024];

	ck_assert_int_eq(ct_init(&a, 1024, 1), 0);
	ck_assert_int_eq(ct_init(&a2, 1024, 1), 0);
	ck_assert_int_eq(ct_init(&b, 1024, 2), 0);
	for (uint16_t p = 0; p < 512; p++) {
		struct pkt_meta m = udp_port(p), r = useg(&S4, &(struct ep){false, A4, p, 1});
		uint32_t ba = ct_bucket_of(&a, &m);

		ck_assert_uint_lt(ba, 1024);
		ck_assert_uint_eq(ba, ct_bucket_of(&a2, &m)); /* deterministic per seed */
		ck_assert_uint_eq(ba, ct_bucket_of(&a, &r));  /* both directions alike */
		same += ba == ct_bucket_of(&b, &m);
		used += !hit[ba];
		hit[ba] = true;
	}
	/* Another seed, another placement (1/1024 chance per flow to coincide). */
	ck_assert_uint_lt(same, 8);
	/* Sequential ports spread like random keys: ~400 of 1024 buckets for 512 flows. */
	ck_assert_uint_gt(used, 350);
	ck_assert_uint_eq(ct_bucket_of(&a, &(struct pkt_meta){.l3 = PKT_L3_ARP}), UINT32_MAX);
	ct_destroy(&a);
	ct_destroy(&a2);
	ct_destroy(&b);
}
END_TEST

/* ---- fragments, zones, flush ---- */

static struct pkt_meta frag(struct pkt_meta m, uint32_t id, uint16_t off, bool first)
{
	m.frag_id = id;
	m.frag_off = off;
	m.flags |= PKT_FRAGMENT;
	if (first) {
		m.flags |= PKT_FIRST_FRAG;
	} else {
		m.flags &= ~PKT_HAS_L4;
		m.sport = m.dport = 0;
	}
	return m;
}

START_TEST(test_fragments_track)
{
	struct pkt_meta q = useg(&C4, &S4), r = useg(&S4, &C4);

	/* First fragment creates the flow and a record; the rest follow it. */
	ck_assert_uint_eq(pkt(frag(q, 11, 0, true), T0), CT_NEW);
	ck_assert_uint_eq(T.stats.entries, 2);
	ck_assert_uint_eq(pkt(frag(q, 11, 1480, false), T0), CT_NEW);
	ck_assert_uint_eq(pkt(frag(q, 11, 2960, false), T0), CT_NEW);
	/* Fragmented reply. */
	ck_assert_uint_eq(pkt(frag(r, 11, 0, true), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(frag(r, 11, 1480, false), T0), CT_ESTABLISHED);
	/* A datagram whose first fragment was never accepted / seen. */
	ck_assert_uint_eq(pkt(frag(q, 12, 1480, false), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(frag(r, 99, 8, false), T0), CT_INVALID);
	/* A first fragment the rules dropped (looked up, not confirmed). */
	ck_assert_uint_eq(probe(&T, frag(q, 13, 0, true), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(frag(q, 13, 1480, false), T0), CT_INVALID);
	/* Records time out after 30 s. */
	ck_assert_uint_eq(pkt(frag(q, 11, 4440, false), secs(31)), CT_INVALID);
	/* ICMP errors about a flow may be fragmented too (IPv6, large quotes). */
	ck_assert_uint_eq(pkt(frag(icmp_err(&RT6, &C6, 2, useg(&C6, &S6)), 1, 0, true), T0),
			  CT_INVALID);
	pkt(useg(&C6, &S6), T0);
	ck_assert_uint_eq(pkt(frag(icmp_err(&RT6, &C6, 2, useg(&C6, &S6)), 2, 0, true), T0),
			  CT_RELATED);
	ck_assert_uint_eq(pkt(frag(icmpm(&RT6, &C6, 2, 0), 2, 1232, false), T0), CT_RELATED);
}
END_TEST

START_TEST(test_fragments_policies)
{
	struct ct_cfg c;
	struct pkt_meta q = useg(&C4, &S4);

	ct_cfg_default(&c);
	c.frag_policy = CT_FRAG_INVALID;
	ck_assert_int_eq(ct_set_cfg(&T, &c), 0);
	ck_assert_uint_eq(pkt(frag(q, 1, 0, true), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(frag(q, 1, 8, false), T0), CT_INVALID);
	c.frag_policy = CT_FRAG_UNTRACKED;
	ck_assert_int_eq(ct_set_cfg(&T, &c), 0);
	ck_assert_uint_eq(pkt(frag(q, 1, 0, true), T0), CT_UNTRACKED);
	ck_assert_uint_eq(pkt(frag(q, 1, 8, false), T0), CT_UNTRACKED);
	ck_assert_uint_eq(T.stats.entries, 0);
	/* Unfragmented traffic is unaffected. */
	ck_assert_uint_eq(pkt(q, T0), CT_NEW);
}
END_TEST

/*
 * Issue 15 defect 1: a TCP fragment used to switch window checks off for
 * its whole connection. TCP is now only tracked whole (nf/defrag.h in
 * front); a fragment reaching conntrack is INVALID and changes nothing.
 */
START_TEST(test_tcp_fragment_never_liberal)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);

	ck_assert_uint_eq(pkt(frag(tseg(&C4, &S4, F_ACK, ISN_C + 1 + (1u << 30), ISN_S + 1, 1000),
				   5, 0, true),
			      T0),
			  CT_INVALID);
	ck_assert(!(e->status & CT_S_LIBERAL));
	ck_assert_uint_eq(
		pkt(frag(tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 0), 6, 1480, false), T0),
		CT_INVALID);
	/* Windows stay enforced: data and a RST 2^30 away are refused. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + (1u << 30), ISN_S + 1, 100), T0),
			  CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST, ISN_S + 1 + (1u << 30), 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
}
END_TEST

/*
 * Defect 2: a client reusing its port after a crash. Its SYN on the
 * ESTABLISHED entry passes untracked; the server's SYN|ACK for it restarts
 * tracking from that SYN, and the new connection is established.
 */
START_TEST(test_tcp_syn_on_established_retracks)
{
	struct ct_entry *e = handshake(&C4, &S4, T0), *e2;
	const uint32_t isn = 900000u, isn_s = 7000000u;
	uint64_t exp = e->expires;

	ck_assert_uint_eq(passv(&T, tseg(&C4, &S4, F_SYN, isn, 0, 0), T0 + S_NS, &e2),
			  CT_ESTABLISHED);
	ck_assert_ptr_eq(e2, e);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert_uint_eq(e->expires, exp); /* untracked: no refresh */
	/* A SYN|ACK that does not acknowledge it is not taken for a new start. */
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, isn_s, isn + 5, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_SYN | F_ACK, isn_s, isn + 1, 0), T0),
			  CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_RECV);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, isn + 1, isn_s + 1, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, isn + 1, isn_s + 1, 500), T0), CT_ESTABLISHED);
	/* The old connection's numbers are out of window now. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_ACK, ISN_C + 1 + (1u << 30), ISN_S + 1, 10), T0),
			  CT_INVALID);
}
END_TEST

/*
 * Defect 3, RFC 5961 recovery while the server still holds the old
 * connection: it answers the fresh SYN with a challenge ACK, the client
 * answers that with a RST <SEQ=SEG.ACK>, and then retries its SYN. Both
 * with the old entry in the table and without one.
 */
START_TEST(test_tcp_challenge_ack_recovery)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);
	const uint32_t isn = 900000u;

	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN, isn, 0, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, ISN_S + 1, ISN_C + 1, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_RST, ISN_C + 1, 0, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN, isn, 0, 0), T0), CT_NEW);
	ct_flush(&T);
	/* No entry (expired, or the firewall restarted): the SYN makes a new one. */
	ck_assert_uint_eq(passv(&T, tseg(&C4, &S4, F_SYN, isn, 0, 0), T0, &e), CT_NEW);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, 777777u, 123456u, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_SYN_SENT);
	/* Only the RST carrying the challenge's ack: a guessed one is refused. */
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_RST, 123457u, 0, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_RST, 123456u, 0, 0), T0), CT_NEW);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE);
	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN, isn, 0, 0), T0), CT_NEW);
}
END_TEST

/* A RST|ACK answering an ignored SYN (the server has no such connection). */
START_TEST(test_tcp_rst_answering_ignored_syn)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);
	const uint32_t isn = 900000u;

	ck_assert_uint_eq(pkt(tseg(&C4, &S4, F_SYN, isn, 0, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST | F_ACK, 0, isn + 2, 0), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_RST | F_ACK, 0, isn + 1, 0), T0), CT_ESTABLISHED);
	ck_assert_uint_eq(e->tcp_state, CT_TCP_CLOSE);
}
END_TEST

/*
 * Defect 4: an error is RELATED only when it goes to the quoted packet's
 * sender (Linux: outer destination == inner source).
 */
START_TEST(test_icmp_error_direction)
{
	static const uint8_t o4[4] = {10, 9, 9, 9};
	const struct ep other = {false, o4, 0, 1};
	struct pkt_meta to_s, m;

	handshake(&C4, &S4, T0);
	to_s = tseg(&C4, &S4, F_ACK, ISN_C + 1, ISN_S + 1, 100);
	ck_assert_uint_eq(pkt(icmp_err(&RT4, &C4, 3, to_s), T0), CT_RELATED);
	/* To the quoted packet's destination, or to a bystander: refused. */
	ck_assert_uint_eq(pkt(icmp_err(&RT4, &S4, 3, to_s), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(icmp_err(&RT4, &other, 3, to_s), T0), CT_INVALID);
	ck_assert_uint_eq(pkt(icmp_err(&C4, &S4, 3, to_s), T0), CT_INVALID);
	/* The flow's own other end may send it (port unreachable from the server). */
	passv(&T, useg(&C4, &S4), T0, NULL);
	m = icmp_err(&S4, &C4, 3, useg(&C4, &S4));
	ck_assert_uint_eq(pkt(m, T0), CT_RELATED);
}
END_TEST

START_TEST(test_vlan_zones)
{
	struct pkt_meta m = useg(&C4, &S4);

	m.flags |= PKT_VLAN;
	m.vlan = 10;
	pkt(m, T0);
	m.vlan = 20;
	ck_assert_uint_eq(pkt(m, T0), CT_NEW);
	ck_assert_uint_eq(T.stats.entries, 1); /* same flow without zones */
	T.cfg.vlan_zones = true;
	ct_flush(&T);
	pkt(m, T0);
	m.vlan = 10;
	pkt(m, T0);
	ck_assert_uint_eq(T.stats.entries, 2);
	m = useg(&S4, &C4);
	m.flags |= PKT_VLAN;
	m.vlan = 20;
	ck_assert_uint_eq(pkt(m, T0), CT_ESTABLISHED);
}
END_TEST

START_TEST(test_flush_and_delete)
{
	struct ct_entry *e = handshake(&C4, &S4, T0);
	uint64_t k0 = T.k0;

	e->mark = 0x55;
	pkt(useg(&C4, &S4), T0);
	ck_assert_uint_eq(T.stats.entries, 2);
	ct_delete(&T, e);
	ct_delete(&T, e); /* twice: harmless */
	ct_delete(&T, NULL);
	ck_assert_uint_eq(T.stats.entries, 1);
	ck_assert_uint_eq(pkt(tseg(&S4, &C4, F_ACK, ISN_S + 1, ISN_C + 1, 0), T0), CT_INVALID);
	ct_flush(&T);
	ck_assert_uint_eq(T.stats.entries, 0);
	ck_assert_uint_eq(T.k0, k0);
	ck_assert_uint_eq(pkt(useg(&S4, &C4), T0), CT_NEW);
	/* Every slot can be used after a flush. */
	for (uint16_t p = 0; p < 1023; p++)
		ck_assert_uint_eq(pkt(udp_port(p), T0), CT_NEW);
	ck_assert_uint_eq(T.stats.entries, 1024);
	ck_assert_uint_eq(T.stats.full, 0);
}
END_TEST

/* ---- through the parser ---- */

static size_t frame_tcp4(uint8_t *b, const uint8_t *s, const uint8_t *d, uint16_t sp, uint16_t dp,
			 uint8_t fl, uint32_t seq, uint32_t ack)
{
	static const uint8_t hdr[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0};
	uint8_t *ip = b + 14, *t = ip + 20;
	uint32_t sum = 0;

	memset(b, 0, 54);
	memcpy(b, hdr, 14);
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, s, 4);
	memcpy(ip + 16, d, 4);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~(sum + (sum >> 16)) & 0xffff;
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	t[0] = (uint8_t)(sp >> 8);
	t[1] = (uint8_t)sp;
	t[2] = (uint8_t)(dp >> 8);
	t[3] = (uint8_t)dp;
	for (int i = 0; i < 4; i++) {
		t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		t[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	t[12] = 5 << 4;
	t[13] = fl;
	t[14] = 0xff;
	t[15] = 0xff;
	return 54;
}

START_TEST(test_through_parser)
{
	uint8_t b[64];
	struct pkt_meta m;
	size_t n;

	n = frame_tcp4(b, A4, B4, 1234, 80, F_SYN, 100, 0);
	ck_assert_int_eq(pkt_parse(b, n, 1, &m), 0);
	ck_assert_uint_eq(pkt(m, T0), CT_NEW);
	n = frame_tcp4(b, B4, A4, 80, 1234, F_SYN | F_ACK, 900, 101);
	ck_assert_int_eq(pkt_parse(b, n, 2, &m), 0);
	ck_assert_uint_eq(pkt(m, T0), CT_ESTABLISHED);
	n = frame_tcp4(b, A4, B4, 1234, 80, F_ACK, 101, 901);
	ck_assert_int_eq(pkt_parse(b, n, 1, &m), 0);
	ck_assert_uint_eq(pkt(m, T0), CT_ESTABLISHED);
	b[14 + 10] ^= 0xff; /* corrupt: the parser says malformed, tracking says invalid */
	ck_assert_int_eq(pkt_parse(b, n, 1, &m), 0);
	ck_assert_uint_eq(pkt(m, T0), CT_INVALID);
}
END_TEST

/* Random metas (as a hostile parser output would allow) never break the table. */
START_TEST(test_random_packets)
{
	struct ct_table t;
	uint64_t x = 88172645463325252ULL, now = T0;

	ck_assert_int_eq(ct_init(&t, 64, 5), 0);
	for (int i = 0; i < 200000; i++) {
		struct pkt_meta m;
		struct ct_entry *e;
		uint8_t st;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		m = base(x & 1 ? &C4 : &S4, x & 1 ? &S4 : &C4, (x >> 1) & 1 ? 6 : 17);
		m.sport = (uint16_t)(1 + ((x >> 2) & 3));
		m.tcp_flags = (uint8_t)(x >> 8);
		m.tcp_seq = (uint32_t)(x >> 16) & 0x3ffff;
		m.tcp_ack = (uint32_t)(x >> 34) & 0x3ffff;
		m.tcp_win = (uint16_t)(x >> 48);
		m.tcp_wscale = (x >> 60) & 1 ? 0xff : (uint8_t)((x >> 61) & 7);
		m.l4_len = (uint16_t)(20 + ((x >> 40) & 0xff));
		m.payload_off = m.l4_off + 20;
		if (((x >> 56) & 15) == 0)
			m = frag(m, (uint32_t)(x >> 20) & 3, (x >> 24) & 1 ? 8 : 0,
				 !((x >> 24) & 1));
		now += (x >> 50) & 0xff ? S_NS / 10 : 200 * S_NS;
		st = ct_lookup_update(&t, &m, now, &e);
		if (st == CT_NEW || (m.flags & PKT_FIRST_FRAG))
			ct_confirm(&t, &m, now, &e);
		if ((i & 255) == 0)
			ct_expire(&t, now, 16);
		if (t.stats.entries > 64)
			ck_abort_msg("entries %u", t.stats.entries);
	}
	ct_destroy(&t);
}
END_TEST

static Suite *conntrack_suite(void)
{
	Suite *s = suite_create("conntrack");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_init_and_sizing);
	tcase_add_test(tc, test_tcp_handshake);
	tcase_add_test(tc, test_tcp_syn_retransmit_is_new);
	tcase_add_test(tc, test_tcp_teardown_time_wait);
	tcase_add_test(tc, test_tcp_four_way_close);
	tcase_add_test(tc, test_tcp_rst_window);
	tcase_add_test(tc, test_tcp_rst_answering_syn);
	tcase_add_test(tc, test_tcp_out_of_window);
	tcase_add_test(tc, test_tcp_window_scaling);
	tcase_add_test(tc, test_tcp_window_scale_needs_both);
	tcase_add_test(tc, test_tcp_forged_synack);
	tcase_add_test(tc, test_tcp_no_entry_and_bad_flags);
	tcase_add_test(tc, test_tcp_loose_pickup);
	tcase_add_test(tc, test_tcp_simultaneous_open);
	tcase_add_test(tc, test_tcp_sequence_wrap);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_icmp_echo);
	tcase_add_test(tc, test_icmp_error_related);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_untracked_and_malformed);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_expire_budget);
	tcase_add_test(tc, test_table_full_eviction);
	tcase_add_test(tc, test_table_full_all_assured);
	tcase_add_test(tc, test_hash_seed_placement);
	tcase_add_test(tc, test_fragments_track);
	tcase_add_test(tc, test_fragments_policies);
	tcase_add_test(tc, test_tcp_fragment_never_liberal);
	tcase_add_test(tc, test_tcp_syn_on_established_retracks);
	tcase_add_test(tc, test_tcp_challenge_ack_recovery);
	tcase_add_test(tc, test_tcp_rst_answering_ignored_syn);
	tcase_add_test(tc, test_icmp_error_direction);
	tcase_add_test(tc, test_vlan_zones);
	tcase_add_test(tc, test_flush_and_delete);
	tcase_add_test(tc, test_through_parser);
	tcase_add_test(tc, test_random_packets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conntrack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

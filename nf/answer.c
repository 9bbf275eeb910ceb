// SPDX-License-Identifier: BSD-2-Clause
/*
 * Answers a network function sends for a packet it will not pass on
 * (sluice/nf/answer.h): a TCP RST (RFC 9293 3.10.7.1) or an ICMP / ICMPv6
 * error (RFC 792, RFC 4443), back to the packet's source from its
 * destination, with the Ethernet addresses swapped (and any VLAN tags
 * kept).
 *
 * The packet is hostile and the answer must not become a weapon: nothing
 * is sent for malformed packets, non-first fragments, ICMP errors (RFC
 * 1122 3.2.2, RFC 4443 2.4(e)), TCP resets, or packets from or to
 * multicast, broadcast, unspecified or loopback addresses (which would
 * turn one packet into many answers, or aim them at a victim). The answer
 * is bounded (576 bytes for IPv4, 1280 for IPv6); rate limiting is the
 * caller's (a pl_ratelimit element before the answering one).
 *
 * Pure logic: built into the kernel and into host tests.
 */
#include <string.h>

#include "sluice/kernel.h"
#include "sluice/nf/answer.h"
#include "sluice/nf/csum.h"

#define ETH_ALEN 6
#define P_TCP 6
#define P_ICMP 1
#define P_ICMP6 58
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define IP4_ANSWER_MAX 576  /* RFC 1812 4.3.2.3 */
#define IP6_ANSWER_MAX 1280 /* RFC 4443 2.4(c) */
#define ETH_MIN 60
#define REPLY_TTL 64

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static bool v4_unanswerable(const uint8_t *a)
{
	/* 0/8 this network, 127/8 loopback, 224/4 multicast, 240/4 reserved and broadcast. */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static bool v6_unanswerable(const uint8_t *a)
{
	static const uint8_t zero[15];

	/* Multicast, unspecified, loopback, IPv4-mapped (not an IPv6 host). */
	if (a[0] == 0xff || (memcmp(a, zero, 15) == 0 && a[15] <= 1))
		return true;
	return memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff;
}

/* ICMPX codes for IPv4 and IPv6 (nftables' mapping). */
bool nf_answerable(const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6, tcp = m->proto == P_TCP && (m->flags & PKT_HAS_L4);

	if ((m->l3 != PKT_L3_IPV4 && !v6) || (m->flags & (PKT_MALFORMED | PKT_ICMP_ERROR)))
		return false;
	if ((m->flags & PKT_FRAGMENT) && m->frag_off)
		return false;
	if (v6 ? v6_unanswerable(m->saddr.b) || v6_unanswerable(m->daddr.b)
	       : v4_unanswerable(m->saddr.b) || v4_unanswerable(m->daddr.b))
		return false;
	return !(tcp && (m->tcp_flags & TCP_RST)); /* never answer a reset */
}

/* IPv4 header at @ip: @plen bytes of payload, protocol @proto, addresses swapped from @m. */
static void ip4_header(uint8_t *ip, const struct pkt_meta *m, size_t plen, uint8_t proto)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + plen));
	wr16(ip + 6, 0x4000); /* DF */
	ip[8] = REPLY_TTL;
	ip[9] = proto;
	memcpy(ip + 12, m->daddr.b, 4);
	memcpy(ip + 16, m->saddr.b, 4);
	wr16(ip + 10, nf_csum_fold(nf_csum_add(0, ip, 20)));
}

static void ip6_header(uint8_t *ip, const struct pkt_meta *m, size_t plen, uint8_t nh)
{
	memset(ip, 0, 40);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)plen);
	ip[6] = nh;
	ip[7] = REPLY_TTL;
	memcpy(ip + 8, m->daddr.b, 16);
	memcpy(ip + 24, m->saddr.b, 16);
}

/* Sum of the pseudo-header of the IP header at @ip (IPv4 or IPv6) for @len L4 bytes. */
static uint32_t pseudo_sum(const uint8_t *ip, bool v6, size_t len, uint8_t proto)
{
	uint8_t tail[4] = {0, 0, 0, proto};
	uint8_t l[4];

	wr32(l, (uint32_t)len);
	if (v6)
		return nf_csum_add(nf_csum_add(nf_csum_add(0, ip + 8, 32), l, 4), tail, 4);
	/* IPv4: addresses, then the words 0|proto and the 16-bit length. */
	return nf_csum_add(nf_csum_add(nf_csum_add(0, ip + 12, 8), tail + 2, 2), l + 2, 2);
}

/* RST for segment @m (RFC 9293 3.10.7.1): ack-based sequence, or RST|ACK of what it carried. */
static size_t build_rst(const struct pkt_meta *m, bool v6, uint8_t *ip)
{
	size_t ihl = v6 ? 40 : 20;
	uint8_t *t = ip + ihl;
	uint32_t seglen = (uint32_t)(m->l4_len - (m->payload_off - m->l4_off));

	if (v6)
		ip6_header(ip, m, 20, P_TCP);
	else
		ip4_header(ip, m, 20, P_TCP);
	memset(t, 0, 20);
	wr16(t, m->dport);
	wr16(t + 2, m->sport);
	if (m->tcp_flags & TCP_ACK) {
		wr32(t + 4, m->tcp_ack);
		t[13] = TCP_RST;
	} else {
		seglen += (m->tcp_flags & TCP_SYN ? 1u : 0) + (m->tcp_flags & TCP_FIN ? 1u : 0);
		wr32(t + 8, m->tcp_seq + seglen);
		t[13] = TCP_RST | TCP_ACK;
	}
	t[12] = 5 << 4;
	wr16(t + 16, nf_csum_fold(nf_csum_add(pseudo_sum(ip, v6, 20, P_TCP), t, 20)));
	return ihl + 20;
}

/* ICMP(v6) error quoting as much of the offending packet as the size bound allows. */
static size_t build_icmp(const uint8_t *frame, size_t len, const struct pkt_meta *m, bool v6,
			 uint8_t type, uint8_t code, uint8_t *ip)
{
	size_t ihl = v6 ? 40 : 20, max = v6 ? IP6_ANSWER_MAX : IP4_ANSWER_MAX;
	size_t end = MIN((size_t)m->l4_off + m->l4_len, len), quote = end - m->l3_off;
	uint8_t *icmp = ip + ihl;
	uint32_t sum;

	quote = MIN(quote, max - ihl - 8);
	if (v6)
		ip6_header(ip, m, 8 + quote, P_ICMP6);
	else
		ip4_header(ip, m, 8 + quote, P_ICMP);
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 8, frame + m->l3_off, quote);
	sum = nf_csum_add(v6 ? pseudo_sum(ip, true, 8 + quote, P_ICMP6) : 0, icmp, 8 + quote);
	wr16(icmp + 2, nf_csum_fold(sum));
	return ihl + 8 + quote;
}

size_t nf_answer_build(const uint8_t *frame, size_t len, const struct pkt_meta *m, enum nf_answer a,
		       uint8_t type, uint8_t icode, uint8_t *out, size_t cap)
{
	bool v6 = m->l3 == PKT_L3_IPV6;
	size_t n;

	/*
	 * A frame to a group MAC address would make our source MAC a group
	 * address, and one from a group address is forged. The parser's
	 * offsets lie inside the frame; the answer must fit @cap whole.
	 */
	if (a == NFA_NONE || !nf_answerable(m) || (a == NFA_ICMP && v6) ||
	    (a == NFA_TCP_RST && !(m->proto == P_TCP && (m->flags & PKT_HAS_L4))) ||
	    (a == NFA_ICMPV6 && !v6) || len < 14 || (frame[0] & 1) || (frame[6] & 1) ||
	    m->l3_off > len || m->l4_off > len ||
	    cap < (size_t)m->l3_off + (v6 ? IP6_ANSWER_MAX : IP4_ANSWER_MAX) || cap < ETH_MIN)
		return 0;
	memcpy(out, frame + ETH_ALEN, ETH_ALEN); /* to the sender */
	memcpy(out + ETH_ALEN, frame, ETH_ALEN); /* from whom it was for */
	memcpy(out + 2 * ETH_ALEN, frame + 2 * ETH_ALEN, m->l3_off - 2 * ETH_ALEN);
	if (a == NFA_TCP_RST)
		n = build_rst(m, v6, out + m->l3_off);
	else
		n = build_icmp(frame, len, m, v6, type, icode, out + m->l3_off);
	n += m->l3_off;
	if (n < ETH_MIN) {
		memset(out + n, 0, ETH_MIN - n);
		n = ETH_MIN;
	}
	return n;
}

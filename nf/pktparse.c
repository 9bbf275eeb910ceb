// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame parser for the firewall: Ethernet (+ VLAN), ARP, IPv4, IPv6 with its
 * extension headers, TCP, UDP, SCTP/DCCP/UDP-Lite ports, ICMP and ICMPv6
 * (including the offending packet quoted in error messages).
 *
 * Every byte comes from the wire and may have been crafted to mislead us, so
 * the rules are:
 *   - a length field is never used before it has been checked against what
 *     actually arrived (and against the enclosing header's length);
 *   - inconsistency sets PKT_MALFORMED but parsing continues where it is
 *     still safe, so logs and rules see as much as is known;
 *   - anything unbounded in the protocol (IPv6 extension chains, TCP options)
 *     is walked with a hard bound, so a frame cannot make us loop.
 *
 * VLAN: one 802.1Q/802.1ad tag is decoded. With two tags (QinQ) the outer
 * VID is reported in meta->vlan (it names the segment the bridge port is on),
 * PKT_QINQ is set and the inner tag is skipped so the IP header is still
 * parsed. A third tag stops parsing (l3 stays PKT_L3_OTHER, ethertype is the
 * tag's TPID): nothing legitimate stacks three tags on a firewall port, and
 * the rule set decides what to do with an unparsed frame.
 *
 * Checksums: the IPv4 header checksum is verified (cheap, never offloaded).
 * L4 checksums are not: with virtio/netfront checksum offload a frame from a
 * neighbouring guest legitimately carries a partial checksum.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sluice/nf/pktmeta.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ_OLD 0x9100 /* pre-802.1ad S-tag, still seen in the wild */

/* IP protocol numbers (local names: picolibc's netinet headers are not used). */
#define P_HOPOPTS 0
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_DCCP 33
#define P_ROUTING 43
#define P_FRAGMENT 44
#define P_AH 51
#define P_ICMPV6 58
#define P_DSTOPTS 60
#define P_SCTP 132
#define P_UDPLITE 136

/*
 * Extension headers followed before giving up. A real packet carries two or
 * three; long chains are a known way to push the upper-layer header out of
 * a firewall's view (RFC 7112), so an overlong chain is malformed.
 */
#define V6_EXT_MAX 8

#define TCP_SYN 0x02
#define TCP_WSCALE_MAX 14 /* RFC 7323 2.3: larger shifts are treated as 14 */

/* What parsing an ICMP error's quoted packet gave. */
enum inner_res {
	INNER_OK,   /* inner_* identify the offending flow */
	INNER_SKIP, /* well-formed but no flow can be named (a non-first fragment) */
	INNER_BAD,  /* inconsistent: the error message is malformed */
};

/* Where an IPv6 extension header walk stopped, and what it saw. */
struct v6walk {
	size_t off;	   /* offset of the first header not followed */
	uint8_t nh;	   /* its type: upper layer, ESP, No Next Header or unknown */
	bool ext;	   /* at least one extension header */
	bool frag;	   /* a fragment header was seen */
	bool more;	   /* its M flag */
	uint16_t frag_off; /* its offset in bytes */
	uint32_t id;	   /* its identification */
	size_t frag_hdr;   /* where the fragment header is */
	size_t frag_nh;	   /* where the next-header byte naming it is */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void bad(struct pkt_meta *m)
{
	m->flags |= PKT_MALFORMED;
}

/* Internet checksum over @n bytes (n <= 60 here, so 32 bits cannot overflow). */
static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ICMP messages that carry an identifier and expect an answer (query/reply pairs). */
static bool icmp_is_query(bool v6, uint8_t type)
{
	if (v6)
		return type == 128 || type == 129;
	/* echo, timestamp, information, address mask: requests and replies */
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

/* ICMP messages that quote an offending packet (RFC 792, RFC 4443). */
static bool icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	/* unreachable, source quench, redirect, time exceeded, parameter problem */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool has_ports(uint8_t proto)
{
	return proto == P_TCP || proto == P_UDP || proto == P_UDPLITE || proto == P_SCTP ||
	       proto == P_DCCP;
}

/*
 * TCP options: only consistency and the window scale are of interest. An
 * option running past the header is something no stack emits, so it is
 * malformed rather than silently truncated (a middlebox and the end host
 * could otherwise disagree about what the header says).
 */
static bool tcp_opts(const uint8_t *o, size_t n, bool syn, struct pkt_meta *m)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == 0) /* end of list */
			break;
		if (kind == 1) { /* no-op */
			i++;
			continue;
		}
		if (n - i < 2)
			return false;
		len = o[i + 1];
		if (len < 2 || len > n - i)
			return false;
		/* The shift only means something on a SYN (RFC 7323 2.2). */
		if (kind == 3 && len == 3 && syn)
			m->tcp_wscale = o[i + 2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[i + 2];
		i += len;
	}
	return true;
}

static void parse_tcp(const uint8_t *t, size_t n, struct pkt_meta *m)
{
	size_t doff;

	if (n < 4) {
		bad(m);
		return;
	}
	m->sport = rd16(t);
	m->dport = rd16(t + 2);
	/* Too short for the fixed header: in a first fragment this is the tiny-fragment attack. */
	if (n < 20) {
		bad(m);
		return;
	}
	m->tcp_seq = rd32(t + 4);
	m->tcp_ack = rd32(t + 8);
	m->tcp_flags = t[13];
	m->tcp_win = rd16(t + 14);
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > n) {
		bad(m);
		return;
	}
	m->payload_off = (uint16_t)(m->l4_off + doff);
	if (!tcp_opts(t + 20, doff - 20, t[13] & TCP_SYN, m)) {
		bad(m);
		return;
	}
	m->flags |= PKT_HAS_L4;
}

static void parse_udp(const uint8_t *u, size_t n, struct pkt_meta *m)
{
	uint16_t ulen;

	if (n < 8) {
		if (n >= 4) {
			m->sport = rd16(u);
			m->dport = rd16(u + 2);
		}
		bad(m);
		return;
	}
	m->sport = rd16(u);
	m->dport = rd16(u + 2);
	m->payload_off = (uint16_t)(m->l4_off + 8);
	ulen = rd16(u + 4);
	/* UDP-Lite's field is a checksum coverage, not a length: nothing to check. */
	if (m->proto == P_UDP) {
		/*
		 * The UDP length must fit the IP payload. In a first fragment it
		 * describes the whole datagram, so it must exceed this piece.
		 * Trailing bytes after the datagram are tolerated (Linux trims them).
		 */
		if (m->flags & PKT_FRAGMENT) {
			if (ulen <= n) {
				bad(m);
				return;
			}
		} else if (ulen < 8 || ulen > n) {
			bad(m);
			return;
		}
	}
	m->flags |= PKT_HAS_L4;
}

/* SCTP / DCCP: ports in the first 4 bytes of a header of at least @hlen bytes. */
static void parse_ports(const uint8_t *p, size_t n, size_t hlen, struct pkt_meta *m)
{
	if (n >= 4) {
		m->sport = rd16(p);
		m->dport = rd16(p + 2);
	}
	if (n < hlen) {
		bad(m);
		return;
	}
	m->payload_off = (uint16_t)(m->l4_off + hlen);
	m->flags |= PKT_HAS_L4;
}

/*
 * The first bytes of the quoted packet's L4 header: enough to name its flow.
 * RFC 792 / RFC 4443 guarantee at least 8 bytes, which covers the ports of
 * every protocol handled here and an ICMP query's identifier.
 */
static enum inner_res parse_inner_l4(const uint8_t *p, size_t n, bool v6, struct pkt_meta *m)
{
	uint8_t icmp = v6 ? P_ICMPV6 : P_ICMP;

	if (has_ports(m->inner_proto)) {
		/* The ports are all that names the flow: Linux takes a 4-byte quote too. */
		if (n < 4)
			return INNER_BAD;
		m->inner_sport = rd16(p);
		m->inner_dport = rd16(p + 2);
	} else if (m->inner_proto == icmp) {
		if (n < 8)
			return INNER_BAD;
		m->inner_icmp_type = p[0];
		/* Never an error about an error (RFC 1122 3.2.2, RFC 4443 2.4(e)). */
		if (icmp_is_error(v6, p[0]))
			return INNER_BAD;
		if (icmp_is_query(v6, p[0]))
			m->inner_icmp_id = rd16(p + 4);
	}
	return INNER_OK;
}

static enum inner_res parse_inner4(const uint8_t *q, size_t n, struct pkt_meta *m)
{
	size_t ihl;

	if (n < 20 || q[0] >> 4 != 4)
		return INNER_BAD;
	ihl = (size_t)(q[0] & 0xf) * 4;
	if (ihl < 20 || ihl > n)
		return INNER_BAD;
	m->inner_proto = q[9];
	memcpy(m->inner_saddr.b, q + 12, 4);
	memcpy(m->inner_daddr.b, q + 16, 4);
	/* The quoted header's total length is not checked: quotes are truncated by design. */
	if (rd16(q + 6) & 0x1fff)
		return INNER_SKIP; /* a non-first fragment: it carried no ports */
	return parse_inner_l4(q + ihl, n - ihl, false, m);
}

/*
 * Follow IPv6 extension headers starting at @off (of type @nh), not past
 * @end. Stops at the first header that is not a known extension header
 * (upper layer, ESP, No Next Header or unknown: nothing behind it can be
 * interpreted) or right after the fragment header of a non-first fragment
 * (what follows is the middle of some other header). Returns false if the
 * chain is inconsistent; *@w says how far it got.
 */
static bool v6_walk(const uint8_t *f, size_t off, size_t end, uint8_t nh, struct v6walk *w)
{
	size_t nhpos = off - 34; /* the fixed header's next-header byte (off is just past it) */

	memset(w, 0, sizeof(*w));
	for (unsigned int n = 0;; n++) {
		size_t hl;
		uint16_t fo;

		w->off = off;
		w->nh = nh;
		if (nh != P_HOPOPTS && nh != P_ROUTING && nh != P_DSTOPTS && nh != P_FRAGMENT &&
		    nh != P_AH)
			return true;
		if (n == V6_EXT_MAX || end - off < 8) /* every extension header is >= 8 bytes */
			return false;
		w->ext = true;
		switch (nh) {
		case P_HOPOPTS:
			/* Only valid first (RFC 8200 4.1): elsewhere it is a parser-confusion
			 * trick. */
			if (n != 0)
				return false;
			hl = ((size_t)f[off + 1] + 1) * 8;
			break;
		case P_ROUTING:
			/* Type 0 is deprecated for its amplification attack (RFC 5095). */
			if (f[off + 2] == 0 && f[off + 3] != 0)
				return false;
			hl = ((size_t)f[off + 1] + 1) * 8;
			break;
		case P_FRAGMENT:
			/* Nested fragmentation has no legitimate use. */
			if (w->frag)
				return false;
			hl = 8;
			fo = rd16(f + off + 2);
			w->frag = true;
			w->frag_hdr = off;
			w->frag_nh = nhpos;
			w->frag_off = fo & 0xfff8;
			w->more = fo & 1;
			w->id = rd32(f + off + 4);
			break;
		case P_AH:
			hl = ((size_t)f[off + 1] + 2) * 4;
			break;
		default: /* P_DSTOPTS */
			hl = ((size_t)f[off + 1] + 1) * 8;
			break;
		}
		if (hl > end - off)
			return false;
		nh = f[off];
		nhpos = off;
		off += hl;
		if (w->frag && w->frag_off) {
			w->off = off;
			w->nh = nh;
			return true;
		}
	}
}

static enum inner_res parse_inner6(const uint8_t *q, size_t n, struct pkt_meta *m)
{
	struct v6walk w;

	if (n < 40 || q[0] >> 4 != 6)
		return INNER_BAD;
	memcpy(m->inner_saddr.b, q + 8, 16);
	memcpy(m->inner_daddr.b, q + 24, 16);
	/* The quote ends where the message does, whatever its payload length says. */
	if (!v6_walk(q, 40, n, q[6], &w))
		return INNER_BAD;
	m->inner_proto = w.nh;
	if (w.frag && w.frag_off)
		return INNER_SKIP;
	return parse_inner_l4(q + w.off, n - w.off, true, m);
}

static void parse_icmp(const uint8_t *p, size_t n, bool v6, struct pkt_meta *m)
{
	enum inner_res r;

	if (n >= 2) {
		m->icmp_type = p[0];
		m->icmp_code = p[1];
	}
	/* Every ICMP/ICMPv6 message has a 4-byte header plus 4 bytes of body. */
	if (n < 8) {
		bad(m);
		return;
	}
	m->payload_off = (uint16_t)(m->l4_off + 8);
	m->flags |= PKT_HAS_L4;
	if (icmp_is_query(v6, p[0]))
		m->icmp_id = rd16(p + 4);
	if (!icmp_is_error(v6, p[0]))
		return;
	m->flags |= PKT_ICMP_ERROR;
	r = v6 ? parse_inner6(p + 8, n - 8, m) : parse_inner4(p + 8, n - 8, m);
	if (r == INNER_BAD)
		bad(m);
	m->inner_valid = r == INNER_OK;
}

/* The upper-layer header at [@off, @end) of a packet that is not a non-first fragment. */
static void parse_l4(const uint8_t *f, size_t off, size_t end, struct pkt_meta *m)
{
	const uint8_t *p = f + off;
	size_t n = end - off;
	bool v6 = m->l3 == PKT_L3_IPV6;

	switch (m->proto) {
	case P_TCP:
		parse_tcp(p, n, m);
		break;
	case P_UDP:
	case P_UDPLITE:
		parse_udp(p, n, m);
		break;
	case P_SCTP:
	case P_DCCP:
		parse_ports(p, n, 12, m); /* common header / generic header */
		break;
	case P_ICMP:
		if (!v6)
			parse_icmp(p, n, false, m);
		break;
	case P_ICMPV6:
		if (v6)
			parse_icmp(p, n, true, m);
		break;
	default:
		break;
	}
}

/*
 * The L4 header of an unfragmented packet or of a first fragment. A first
 * fragment may legally end inside its L4 header (RFC 791 allows 8-byte
 * fragments): that is judged on the reassembled datagram (nf/defrag.h),
 * so here only its L3 part can make it malformed, and it names no L4
 * fields (PKT_HAS_L4 clear) unless the header was whole.
 */
static void parse_l4_first(const uint8_t *f, size_t off, size_t end, struct pkt_meta *m)
{
	uint32_t was = m->flags;

	parse_l4(f, off, end, m);
	if ((m->flags & PKT_FIRST_FRAG) && !(was & PKT_MALFORMED) && (m->flags & PKT_MALFORMED)) {
		m->flags &= ~(uint32_t)(PKT_MALFORMED | PKT_HAS_L4 | PKT_ICMP_ERROR);
		m->inner_valid = false;
	}
}

/* Record where the L4 part sits. Offsets fit 16 bits: see the bounds in the callers. */
static void set_l4(struct pkt_meta *m, size_t off, size_t end)
{
	m->l4_off = (uint16_t)off;
	m->l4_len = (uint16_t)(end - off);
	m->payload_off = (uint16_t)off;
}

static void parse_ipv4(const uint8_t *f, size_t off, size_t len, struct pkt_meta *m)
{
	const uint8_t *ip = f + off;
	size_t avail = len - off, ihl, tot;
	uint16_t fo;

	m->l3 = PKT_L3_IPV4;
	if (avail < 20 || ip[0] >> 4 != 4) {
		bad(m);
		return;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || ihl > avail) {
		bad(m);
		return;
	}
	m->ttl = ip[8];
	m->proto = ip[9];
	memcpy(m->saddr.b, ip + 12, 4);
	memcpy(m->daddr.b, ip + 16, 4);
	m->frag_id = rd16(ip + 4);
	if (ihl > 20)
		m->flags |= PKT_IP_OPTS; /* skipped, not interpreted (no source routing here) */
	if (csum16(ip, ihl) != 0)
		bad(m);
	tot = rd16(ip + 2);
	/* Inconsistent lengths: keep parsing inside what both allow, but flag it. */
	if (tot < ihl) {
		bad(m);
		tot = ihl;
	}
	if (tot > avail) {
		bad(m);
		tot = avail;
	}
	fo = rd16(ip + 6);
	m->frag_off = (uint16_t)((fo & 0x1fff) * 8);
	if (fo & 0x3fff) { /* MF or an offset */
		m->flags |= PKT_FRAGMENT;
		if (!m->frag_off)
			m->flags |= PKT_FIRST_FRAG;
	}
	/* Reassembly beyond 64 KiB (ping of death): no legitimate sender does this. */
	if ((size_t)m->frag_off + (tot - ihl) > 65535)
		bad(m);
	/* off <= 22 and tot <= 65535: offsets fit 16 bits. */
	set_l4(m, off + ihl, off + tot);
	/*
	 * No RFC 1858 check on offset 8 here: TCP is only ever tracked and
	 * classified after reassembly (nf/defrag.h), which refuses overlaps.
	 */
	if (m->frag_off)
		return;
	parse_l4_first(f, off + ihl, off + tot, m);
}

static void parse_ipv6(const uint8_t *f, size_t off, size_t len, struct pkt_meta *m)
{
	const uint8_t *ip = f + off;
	size_t avail = len - off, plen;
	struct v6walk w;
	bool ok;

	m->l3 = PKT_L3_IPV6;
	if (avail < 40 || ip[0] >> 4 != 6) {
		bad(m);
		return;
	}
	m->ttl = ip[7];
	m->proto = ip[6];
	memcpy(m->saddr.b, ip + 8, 16);
	memcpy(m->daddr.b, ip + 24, 16);
	plen = rd16(ip + 4);
	/* Zero is a jumbogram (impossible on Ethernet) unless nothing follows at all. */
	if (plen == 0 && ip[6] != 59)
		bad(m);
	if (plen > avail - 40) {
		bad(m);
		plen = avail - 40;
	}
	ok = v6_walk(f, off + 40, off + 40 + plen, ip[6], &w);
	m->proto = w.nh;
	if (w.ext)
		m->flags |= PKT_IP_OPTS;
	if (w.frag) {
		m->frag_id = w.id;
		m->frag_off = w.frag_off;
		m->frag_hdr_off = (uint16_t)w.frag_hdr;
		m->frag_nh_off = (uint16_t)w.frag_nh;
		/* Offset 0 without M is an atomic fragment (RFC 6946): a whole packet. */
		if (w.frag_off || w.more)
			m->flags |= PKT_FRAGMENT;
		if (!w.frag_off && w.more)
			m->flags |= PKT_FIRST_FRAG;
	}
	/* The walk is bounded (V6_EXT_MAX headers of <= 2 KiB): offsets fit 16 bits. */
	set_l4(m, w.off, off + 40 + plen);
	if (!ok) {
		bad(m);
		return;
	}
	if (w.frag && w.frag_off)
		return;
	parse_l4_first(f, w.off, off + 40 + plen, m);
}

static void parse_arp(const uint8_t *f, size_t off, size_t len, struct pkt_meta *m)
{
	const uint8_t *a = f + off;

	m->l3 = PKT_L3_ARP;
	if (len - off < 8) {
		bad(m);
		return;
	}
	m->arp_op = rd16(a + 6);
	/* Only Ethernet/IPv4 ARP has addresses we can report; others keep just the opcode. */
	if (rd16(a) != 1 || rd16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4)
		return;
	if (len - off < 28) {
		bad(m);
		return;
	}
	memcpy(m->saddr.b, a + 14, 4);
	memcpy(m->daddr.b, a + 24, 4);
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == ETH_P_QINQ_OLD;
}

/*
 * Ethernet header and VLAN tags. Returns the offset of the L3 header, or 0
 * if there is none to parse (truncated tag or too many tags).
 */
static size_t parse_eth(const uint8_t *f, size_t len, struct pkt_meta *m)
{
	size_t off = ETH_HLEN;
	uint16_t t = rd16(f + 12);

	for (unsigned int tags = 0; is_vlan_tpid(t); tags++) {
		if (tags == 2)
			break; /* see the header comment: stop at a third tag */
		if (len - off < 4) {
			bad(m);
			m->ethertype = t;
			return 0;
		}
		if (tags == 0) {
			m->vlan = rd16(f + off) & 0x0fff;
			m->flags |= PKT_VLAN;
		} else {
			m->flags |= PKT_QINQ;
		}
		t = rd16(f + off + 2);
		off += 4;
	}
	m->ethertype = t;
	return is_vlan_tpid(t) ? 0 : off;
}

int pkt_parse(const uint8_t *frame, size_t len, uint32_t ifindex, struct pkt_meta *meta)
{
	size_t off;

	if (!meta || (!frame && len))
		return -EINVAL;
	memset(meta, 0, sizeof(*meta));
	meta->ifindex = ifindex;
	meta->frame_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	meta->tcp_wscale = 0xff;
	if (len < ETH_HLEN) {
		bad(meta);
		return 0;
	}
	off = parse_eth(frame, len, meta);
	if (!off)
		return 0;
	meta->l3_off = (uint16_t)off; /* <= 22 */
	switch (meta->ethertype) {
	case ETH_P_IP:
		parse_ipv4(frame, off, len, meta);
		break;
	case ETH_P_IPV6:
		parse_ipv6(frame, off, len, meta);
		break;
	case ETH_P_ARP:
		parse_arp(frame, off, len, meta);
		break;
	default:
		break;
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsed packet metadata: what the firewall's classifier and connection
 * tracker look at. pkt_parse() fills it from an Ethernet frame (untrusted
 * bytes off the wire: every length is checked against the frame before it is
 * used; a malformed frame yields PKT_MALFORMED, never a crash).
 * Pure logic: built into the kernel and into host tests and tools.
 */
#ifndef SLUICE_PKTMETA_H
#define SLUICE_PKTMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pkt_l3 { PKT_L3_OTHER, PKT_L3_IPV4, PKT_L3_IPV6, PKT_L3_ARP };

/* Parse outcome flags. */
#define PKT_MALFORMED 0x01  /* truncated or inconsistent headers */
#define PKT_FRAGMENT 0x02   /* an IP fragment */
#define PKT_FIRST_FRAG 0x04 /* the fragment with offset 0 (has the L4 header if it fits) */
#define PKT_HAS_L4 0x08	    /* ports / ICMP type are valid */
#define PKT_VLAN 0x10
#define PKT_ICMP_ERROR 0x20 /* ICMP/ICMPv6 error message; see inner_valid */
#define PKT_IP_OPTS 0x40    /* IPv4 options or IPv6 extension headers present */
#define PKT_QINQ 0x80	    /* two VLAN tags: vlan is the outer one, the inner was skipped */
/*
 * Set by nf/defrag.h only, never by the parser. PKT_REASM: a whole
 * datagram's meta (the frame holds its headers only). PKT_REASM_TAIL: a
 * later fragment of one, forwarded after its first fragment and given its
 * verdict (it is not tracked or classified again).
 */
#define PKT_REASM 0x100
#define PKT_REASM_TAIL 0x200

struct pkt_addr {
	uint8_t b[16]; /* IPv4 in the first 4 bytes, rest zero */
};

struct pkt_meta {
	uint32_t flags;
	uint32_t ifindex;   /* the NIC it arrived on (netdev index) */
	uint16_t ethertype; /* after any VLAN tag */
	uint16_t vlan;	    /* VLAN id, valid with PKT_VLAN */
	uint8_t l3;	    /* enum pkt_l3 */
	uint8_t proto;	    /* IP protocol / IPv6 upper-layer next header */
	uint8_t ttl;
	struct pkt_addr saddr, daddr;
	uint16_t sport, dport; /* host byte order; TCP/UDP/SCTP */
	uint8_t tcp_flags;     /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* echo request/reply identifier */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_wscale;	 /* from a SYN's options, 0xff if absent */
	uint16_t l3_off, l4_off; /* offsets into the frame */
	uint16_t l4_len;	 /* bytes from l4_off to the end of the IP payload */
	uint16_t payload_off;	 /* first byte after the L4 header */
	uint32_t frame_len;
	/* For ICMP errors: the embedded (offending) packet's flow, if parseable. */
	bool inner_valid;
	uint8_t inner_proto;
	struct pkt_addr inner_saddr, inner_daddr;
	uint16_t inner_sport, inner_dport;
	uint16_t inner_icmp_id;
	/* Added with pkt_parse() (nf/pktparse.c). */
	uint8_t inner_icmp_type; /* embedded ICMP message's type (orients echo flows) */
	uint16_t arp_op;	 /* ARP opcode; saddr/daddr = sender/target IPv4 */
	uint16_t frag_off;	 /* fragment offset in bytes, with PKT_FRAGMENT */
	uint32_t frag_id;	 /* IPv4 identification / IPv6 fragment header id */
	/* IPv6 fragments: the fragment header's offset, and that of the byte naming it. */
	uint16_t frag_hdr_off, frag_nh_off;
};

/* Parse an Ethernet frame. Returns 0 (see meta->flags for what was found). */
int pkt_parse(const uint8_t *frame, size_t len, uint32_t ifindex, struct pkt_meta *meta);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the firewall rule tests: packets as pkt_meta, compiling text. */
#ifndef FWTEST_H
#define FWTEST_H

#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/fwrules.h"
#include "sluice/nf/pktmeta.h"

/* The example from the language reference (docs/firewall-rules.md). */
static const char fwt_example[] =
	"policy drop                                  # or accept\n"
	"set web_ports { 80, 443, 8080-8090 }\n"
	"set admins { 10.0.0.0/8, 192.168.1.7, 2001:db8::/32 }\n"
	"ct state established,related accept\n"
	"ct state invalid drop\n"
	"iif net0 oif net1 ip saddr @admins tcp dport 22 accept\n"
	"ip saddr 10.0.0.0/8 tcp dport { 22, 80, 443 } accept\n"
	"ip6 daddr 2001:db8::/32 udp dport 53 accept\n"
	"icmp type echo-request limit rate 100/second accept\n"
	"icmpv6 type { echo-request, nd-neighbor-solicit } accept\n"
	"tcp flags syn,!ack tcp dport 80 counter accept\n"
	"ether type arp accept\n"
	"vlan id 10 drop\n"
	"meta l4proto { tcp, udp } th dport 53 accept\n"
	"ip protocol gre drop\n"
	"ip saddr != 10.0.0.0/8 log prefix \"outside: \" drop   # negation\n"
	"tcp dport 23 reject\n"
	"udp sport 1024-65535 counter\n"
	"tcp dport @web_ports accept\n";

/* Deterministic pseudo-random numbers (xorshift64): failures reproduce. */
static uint64_t fwt_rng = 0x243f6a8885a308d3ull;

static inline uint32_t rnd(void)
{
	fwt_rng ^= fwt_rng << 13;
	fwt_rng ^= fwt_rng >> 7;
	fwt_rng ^= fwt_rng << 17;
	return (uint32_t)(fwt_rng >> 11);
}

/* A packet, the way a test describes it; unset fields mean "absent". */
struct pspec {
	const char *src, *dst; /* IPv4 or IPv6 text; NULL: not IP (see ethertype) */
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags, icmp_type;
	uint32_t iif;
	int vlan;	    /* with tagged */
	bool tagged;	    /* a VLAN tag is present */
	uint16_t ethertype; /* for non-IP packets */
	bool no_l4;	    /* a non-first fragment: no ports */
};

static inline void fwt_addr(const char *s, struct pkt_addr *a, bool *v6)
{
	memset(a, 0, sizeof(*a));
	*v6 = strchr(s, ':') != NULL;
	ck_assert_msg(inet_pton(*v6 ? AF_INET6 : AF_INET, s, a->b) == 1, "bad test address %s", s);
}

static inline struct pkt_meta fwt_pkt(const struct pspec *p)
{
	struct pkt_meta m;
	bool v6 = false;

	memset(&m, 0, sizeof(m));
	m.ifindex = p->iif;
	m.frame_len = 100;
	m.tcp_wscale = 0xff;
	if (p->tagged) {
		m.flags |= PKT_VLAN;
		m.vlan = (uint16_t)p->vlan;
	}
	if (!p->src) {
		m.l3 = p->ethertype == 0x0806 ? PKT_L3_ARP : PKT_L3_OTHER;
		m.ethertype = p->ethertype;
		return m;
	}
	fwt_addr(p->src, &m.saddr, &v6);
	fwt_addr(p->dst, &m.daddr, &v6);
	m.l3 = v6 ? PKT_L3_IPV6 : PKT_L3_IPV4;
	m.ethertype = v6 ? 0x86dd : 0x0800;
	m.proto = p->proto;
	m.ttl = 64;
	if (!p->no_l4)
		m.flags |= PKT_HAS_L4;
	else
		m.flags |= PKT_FRAGMENT;
	m.sport = p->sport;
	m.dport = p->dport;
	m.tcp_flags = p->tcp_flags;
	m.icmp_type = p->icmp_type;
	return m;
}

/* Compile or fail the test with the formatted error. */
static inline struct fw_ruleset *fwt_compile(const char *text)
{
	struct fw_ruleset *rs = NULL;
	struct fw_error e;
	char msg[256];
	int rc = fw_compile(text, strlen(text), &rs, &e);

	if (rc) {
		fw_error_format(&e, "rules", msg, sizeof(msg));
		fprintf(stderr, "--- text:\n%.2000s\n", text);
		ck_abort_msg("compile failed (%d): %s", rc, msg);
	}
	ck_assert_ptr_nonnull(rs);
	return rs;
}

/* Compile expecting an error; returns the code and writes "rules:L:C: msg". */
static inline int fwt_compile_err(const char *text, size_t len, const struct fw_limits *lim,
				  char *msg, size_t msglen)
{
	struct fw_ruleset *rs = (struct fw_ruleset *)1;
	struct fw_error e;
	int rc = fw_compile_limits(text, len, lim ? lim : &fw_default_limits, &rs, &e);

	if (rc == 0) {
		fw_ruleset_free(rs);
		snprintf(msg, msglen, "(compiled)");
		return 0;
	}
	ck_assert_ptr_null(rs);
	fw_error_format(&e, "rules", msg, msglen);
	return rc;
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Route lookup for a routing network function, over the addresses lwIP
 * holds for each port (netN.ip=, netN.ip6=, DHCP, SLAAC).
 *
 * Longest prefix first: static routes (PREFIX,via=GW or PREFIX,dev=netN;
 * on a tie a static route wins), the ports' subnets (IPv4 address/prefix;
 * each valid IPv6 address's /64, lwIP's on-link rule), and last the
 * default gateways (netN.gw: the first port that has one; netN.gw6
 * likewise). A via= gateway must lie in a port's subnet.
 *
 * The parser (nf/route_parse.c) is pure and host-tested; the lookup
 * (nf/route.c) reads lwIP's netifs.
 */
#ifndef SLUICE_NF_ROUTE_H
#define SLUICE_NF_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pipeline.h"
#include "sluice/nf/pktmeta.h"

#define NF_ROUTES_MAX 64

struct netif;

struct nf_route {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t has_via;
	uint32_t dev; /* dev=netN, or PL_IF_NONE */
	struct pkt_addr prefix, via;
};

struct nf_routes {
	struct nf_route r[NF_ROUTES_MAX];
	unsigned int n;
	unsigned int nports;	       /* ports 0..nports-1 */
	struct netif *nif[PL_IFS_MAX]; /* lwIP's netif of each port, or NULL */
};

/* "PREFIX,via=GW" or "PREFIX,dev=netN" (see docs/firewall.md). 0 or -EINVAL (@err). */
int nf_route_parse(const char *s, struct nf_route *r, char *err, size_t errlen);
/* Parse @s and add it to @rt (a route= option). 0 or -EINVAL (@err). */
int nf_route_add(struct nf_routes *rt, const char *s, char *err, size_t errlen);
/* Strict address parsers: 0 or -EINVAL; *@end after the address. */
int nf_addr_parse4(const char *s, const char **end, struct pkt_addr *a);
int nf_addr_parse6(const char *s, const char **end, struct pkt_addr *a);

/* Port and next hop for @dst: true, or false (no route). */
bool nf_route_lookup(const struct nf_routes *rt, bool v6, const struct pkt_addr *dst, uint32_t *oif,
		     struct pkt_addr *nh);
/* Addressed to us (the parsed packet @m): one of our addresses, broadcast or multicast. */
bool nf_route_for_us(const struct nf_routes *rt, const struct pkt_meta *m);
/* Warn (prefix @who) about via= gateways that lie in no port's subnet (yet). */
void nf_routes_check(const struct nf_routes *rt, const char *who);

#endif

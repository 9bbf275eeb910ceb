// SPDX-License-Identifier: BSD-2-Clause
/*
 * Route lookup over lwIP's addresses (sluice/nf/route.h). lwIP owns the
 * addresses (it answers ARP and ND for them, runs DAD, SLAAC and DHCP);
 * the table of static routes is ours, because lwIP's is sized for a host.
 */
#include <stdio.h>
#include <string.h>

#include "lwip/netif.h"
#include "sluice/net.h"
#include "sluice/nf/route.h"

static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned int plen)
{
	unsigned int whole = plen / 8, rest = plen % 8;

	if (memcmp(a, p, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ p[whole]) & (0xff00 >> rest)) == 0;
}

/* IPv4: the connected subnet of @n holding @a, a longer one than @best: its length. */
static int connected4(struct netif *n, const struct pkt_addr *a, int best)
{
	uint32_t addr = netif_ip4_addr(n)->addr, mask = netif_ip4_netmask(n)->addr, x;

	memcpy(&x, a->b, 4);
	if (addr && ((x ^ addr) & mask) == 0 && __builtin_popcount(mask) > best)
		return __builtin_popcount(mask);
	return -1;
}

/* The connected subnet of some port holding @a: its prefix length, or -1. */
static int connected(const struct nf_routes *rt, bool v6, const struct pkt_addr *a, uint32_t *oif)
{
	int best = -1;

	for (uint32_t i = 0; i < rt->nports; i++) {
		struct netif *n = rt->nif[i];
		int l;

		if (!n)
			continue;
		if (!v6) {
			if ((l = connected4(n, a, best)) >= 0) {
				best = l;
				*oif = i;
			}
			continue;
		}
		for (s8_t k = 0; k < LWIP_IPV6_NUM_ADDRESSES; k++) {
			const ip6_addr_t *ip = netif_ip6_addr(n, k);

			if (ip6_addr_isvalid(netif_ip6_addr_state(n, k)) &&
			    !ip6_addr_islinklocal(ip) &&
			    prefix_match(a->b, (const uint8_t *)ip->addr, 64) && best < 64) {
				best = 64;
				*oif = i;
			}
		}
	}
	return best;
}

/* The default gateway: the first port with one (netN.gw / DHCP, netN.gw6). */
static bool default_route(const struct nf_routes *rt, bool v6, uint32_t *oif, struct pkt_addr *nh)
{
	for (uint32_t i = 0; i < rt->nports; i++) {
		struct netif *n = rt->nif[i];
		const ip6_addr_t *gw6;

		if (!n)
			continue;
		if (!v6 && !ip4_addr_isany(netif_ip4_gw(n))) {
			memset(nh, 0, sizeof(*nh));
			memcpy(nh->b, &netif_ip4_gw(n)->addr, 4);
			*oif = i;
			return true;
		}
		if (v6 && (gw6 = net_nd6_gateway(n, NULL))) {
			memcpy(nh->b, gw6->addr, 16);
			*oif = i;
			return true;
		}
	}
	return false;
}

bool nf_route_lookup(const struct nf_routes *rt, bool v6, const struct pkt_addr *dst, uint32_t *oif,
		     struct pkt_addr *nh)
{
	int best = connected(rt, v6, dst, oif);

	*nh = *dst;
	for (unsigned int i = 0; i < rt->n; i++) {
		const struct nf_route *r = &rt->r[i];
		uint32_t via_oif = r->dev;

		if (r->family != (v6 ? 6 : 4) || (int)r->plen < best ||
		    !prefix_match(dst->b, r->prefix.b, r->plen))
			continue;
		/* The gateway's own port, unless dev= names it. */
		if (via_oif == PL_IF_NONE && connected(rt, v6, &r->via, &via_oif) < 0)
			continue;
		if (via_oif >= rt->nports || !rt->nif[via_oif])
			continue;
		best = r->plen;
		*oif = via_oif;
		*nh = r->has_via ? r->via : *dst;
	}
	return best >= 0 || default_route(rt, v6, oif, nh);
}

/* Our IPv4 address on @n, or its subnet's directed broadcast. */
static bool for_us4(struct netif *n, const uint8_t *dst)
{
	uint32_t d, addr, mask;

	memcpy(&d, dst, 4);
	if (ip4_addr_isany(netif_ip4_addr(n)))
		return false;
	addr = netif_ip4_addr(n)->addr;
	mask = netif_ip4_netmask(n)->addr;
	return d == addr || (((d ^ addr) & mask) == 0 && (d | mask) == 0xffffffffu);
}

bool nf_route_for_us(const struct nf_routes *rt, const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6;
	ip6_addr_t a6;

	if (v6 ? m->daddr.b[0] == 0xff : m->daddr.b[0] >= 224)
		return true; /* multicast; and 255.255.255.255 */
	if (v6)
		memcpy(a6.addr, m->daddr.b, 16);
	for (uint32_t i = 0; i < rt->nports; i++) {
		struct netif *n = rt->nif[i];

		if (!n)
			continue;
		if (v6) {
			ip6_addr_clear_zone(&a6);
			if (netif_get_ip6_addr_match(n, &a6) >= 0)
				return true;
		} else if (for_us4(n, m->daddr.b)) {
			return true;
		}
	}
	return false;
}

void nf_routes_check(const struct nf_routes *rt, const char *who)
{
	for (unsigned int i = 0; i < rt->n; i++) {
		uint32_t oif;

		if (rt->r[i].dev == PL_IF_NONE &&
		    connected(rt, rt->r[i].family == 6, &rt->r[i].via, &oif) < 0)
			printf("%s: route %u: the gateway is in no NIC's subnet (yet)\n", who, i);
	}
}

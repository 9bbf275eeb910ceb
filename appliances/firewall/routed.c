// SPDX-License-Identifier: BSD-2-Clause
/*
 * Routed mode (mode=routed): the appliance is an IPv4/IPv6 router with an
 * address on each NIC (netN.ip=, netN.ip6= through the net library), and
 * every packet it forwards runs through the same filter as in bridge mode.
 *
 *   parse -0-> route -0-> conntrack -> filter -0-> accepted -> forward
 *     |          '-1-> local (lwIP)          '-1-> reject branch
 *     '-1-> snoop -> local                 (ARP, ND, MLD: never filtered)
 *
 * lwIP owns the addresses: it answers ARP and neighbour solicitations for
 * them, runs DAD, SLAAC and DHCP, and answers ping. Forwarding is done
 * here, not by lwIP: the receive handler lwIP installed is replaced by
 * the pipeline's, which hands lwIP what is addressed to the appliance (its
 * addresses, multicast, broadcast) and forwards the rest itself, in
 * place: the TTL is decremented and the Ethernet header rewritten in the
 * received page, which then leaves through the egress NIC without a copy.
 * lwIP's forwarding (IP_FORWARD) would copy every packet into a TX page,
 * would need options in the lwipopts.h that every appliance shares (and
 * turn them all into routers), and its routing and neighbour tables are
 * sized for a host; the route table is here and next hops are resolved by
 * neigh.c. Packets for the appliance itself are not filtered (they meet
 * lwIP, which has no services beyond ping); the rules see what is routed.
 *
 * Routes, longest prefix first: static routes (route=PREFIX,via=GW or
 * PREFIX,dev=netN; on a tie a static route wins), the NICs' subnets (IPv4
 * address/prefix; each valid IPv6 address's /64, lwIP's on-link rule), and
 * last the default gateways (netN.gw: the first NIC that has one; netN.gw6
 * likewise). A via= gateway must lie in a NIC's subnet. Link-local IPv6
 * packets are never forwarded (RFC 4291 2.5.6), nor frames sent to a
 * link-layer group address, nor VLAN-tagged frames.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwapp.h"
#include "lwip/netif.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/netdev.h"

#define ROUTES_MAX 64

struct lwip_in {
	netdev_rx_fn fn;
	void *arg;
};

static struct fw_route routes[ROUTES_MAX];
static unsigned int nroutes;
static struct netif *nifs[PL_IFS_MAX];
static struct lwip_in lwip_in[PL_IFS_MAX];
static struct pl_elem parse_e, route_e, ct_e, filter_e, accepted_e, fwd_e, local_e, snoop_e;
static struct fw_parse parse_cfg;
static struct pl_counter accepted_cnt, local_cnt;

int fw_route_opt(const char *value, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (nroutes == ROUTES_MAX) {
		snprintf(err, errlen, "too many routes (at most %u)", ROUTES_MAX);
		return -EINVAL;
	}
	if (fwconf_route(value, &routes[nroutes], err, errlen) < 0)
		return -EINVAL;
	nroutes++;
	return 0;
}

struct netif *fw_netif(uint32_t ifindex)
{
	return ifindex < PL_IFS_MAX ? nifs[ifindex] : NULL;
}

static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned int plen)
{
	unsigned int whole = plen / 8, rest = plen % 8;

	if (memcmp(a, p, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ p[whole]) & (0xff00 >> rest)) == 0;
}

/* The connected subnet of some NIC holding @a: its prefix length, or -1. */
static int connected(bool v6, const struct pkt_addr *a, uint32_t *oif)
{
	int best = -1;

	for (uint32_t i = 0; i < fw_nnics; i++) {
		struct netif *n = nifs[i];

		if (!n)
			continue;
		if (!v6) {
			uint32_t addr = netif_ip4_addr(n)->addr, mask = netif_ip4_netmask(n)->addr;
			uint32_t x;

			memcpy(&x, a->b, 4);
			if (addr && ((x ^ addr) & mask) == 0 && __builtin_popcount(mask) > best) {
				best = __builtin_popcount(mask);
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

/* The default gateway: the first NIC with one (netN.gw / DHCP, netN.gw6). */
static bool default_route(bool v6, uint32_t *oif, struct pkt_addr *nh)
{
	for (uint32_t i = 0; i < fw_nnics; i++) {
		struct netif *n = nifs[i];
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

static bool lookup(bool v6, const struct pkt_addr *dst, uint32_t *oif, struct pkt_addr *nh)
{
	int best = connected(v6, dst, oif);

	*nh = *dst;
	for (unsigned int i = 0; i < nroutes; i++) {
		const struct fw_route *r = &routes[i];
		uint32_t via_oif = r->dev;

		if (r->family != (v6 ? 6 : 4) || (int)r->plen < best ||
		    !prefix_match(dst->b, r->prefix.b, r->plen))
			continue;
		/* The gateway's own NIC, unless dev= names it. */
		if (via_oif == PL_IF_NONE && connected(v6, &r->via, &via_oif) < 0)
			continue;
		if (via_oif >= fw_nnics || !nifs[via_oif])
			continue;
		best = r->plen;
		*oif = via_oif;
		*nh = r->has_via ? r->via : *dst;
	}
	return best >= 0 || default_route(v6, oif, nh);
}

/* Addressed to the appliance: one of its addresses, broadcast or multicast. */
static bool for_us(const struct pkt_meta *m)
{
	bool v6 = m->l3 == PKT_L3_IPV6;
	ip6_addr_t a6;

	if (v6 ? m->daddr.b[0] == 0xff : m->daddr.b[0] >= 224)
		return true; /* multicast; and 255.255.255.255 */
	if (v6)
		memcpy(a6.addr, m->daddr.b, 16);
	for (uint32_t i = 0; i < fw_nnics; i++) {
		struct netif *n = nifs[i];
		uint32_t d, addr, mask;

		if (!n)
			continue;
		if (v6) {
			ip6_addr_clear_zone(&a6);
			if (netif_get_ip6_addr_match(n, &a6) >= 0)
				return true;
			continue;
		}
		memcpy(&d, m->daddr.b, 4);
		if (ip4_addr_isany(netif_ip4_addr(n)))
			continue;
		addr = netif_ip4_addr(n)->addr;
		mask = netif_ip4_netmask(n)->addr;
		/* Our address, or our subnet's directed broadcast. */
		if (d == addr || (((d ^ addr) & mask) == 0 && (d | mask) == 0xffffffffu))
			return true;
	}
	return false;
}

static bool v6_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Unicast frames for other hosts: a promiscuous NIC sees them; a router ignores them. */
static bool not_ours(const struct pl_pkt *p)
{
	return !(p->frame[0] & 1) && memcmp(p->frame, fw_nics[p->iif]->mac, 6) != 0;
}

static int route_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	bool v6 = m->l3 == PKT_L3_IPV6;

	(void)e;
	p->reason = FWD_NOT_OURS;
	if (p->iif >= fw_nnics || !nifs[p->iif] || not_ours(p))
		return PL_DROP;
	p->reason = FWD_UNSUPPORTED;
	if (m->flags & PKT_VLAN)
		return PL_DROP;
	if (m->l3 != PKT_L3_IPV4 && !v6)
		return 1; /* lwIP takes what it knows and drops the rest */
	if (for_us(m))
		return 1;
	p->reason = FWD_NOT_OURS;
	if (p->frame[0] & 1)
		return PL_DROP; /* a unicast packet in a link-layer group frame */
	p->reason = FWD_MALFORMED;
	if (p->len < (size_t)m->l3_off + (v6 ? 40 : 20))
		return PL_DROP; /* the header to be rewritten is not all there */
	p->reason = FWD_TTL;
	if (m->ttl <= 1)
		return PL_DROP;
	p->reason = FWD_NO_ROUTE;
	if (v6 && (v6_link_local(m->saddr.b) || v6_link_local(m->daddr.b)))
		return PL_DROP;
	if (!lookup(v6, &m->daddr, &p->oif, &p->nexthop))
		return PL_DROP;
	p->reason = 0;
	return 0;
}

/* TTL - 1 in the received page; IPv4's checksum updated incrementally (RFC 1624). */
static int fwd_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	bool v6 = m->l3 == PKT_L3_IPV6;
	uint8_t *ip = pkt_data(p->buf) + m->l3_off;

	(void)e;
	/* The header lies in the first buffer (and so in the page we write). */
	if (p->buf->len < m->l3_off + (v6 ? 40u : 20u)) {
		p->reason = FWD_UNSUPPORTED;
		return PL_DROP;
	}
	if (v6) {
		ip[7]--;
	} else {
		/* ~HC' = ~HC + ~m + m': the word holding the TTL drops by 0x100. */
		uint32_t sum = (uint16_t) ~(ip[10] << 8 | ip[11]);

		sum += 0xffff - (uint32_t)(ip[8] << 8 | ip[9]);
		ip[8]--;
		sum += (uint32_t)(ip[8] << 8 | ip[9]);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
	}
	if (fw_neigh_output(p->buf, p->iif, p->oif, v6, &p->nexthop, p->now) < 0)
		fw_count_drop(p->iif, FWD_NO_NEIGH);
	return PL_STOLEN;
}

static int local_push(struct pl_elem *e, struct pl_pkt *p)
{
	(void)e;
	p->reason = FWD_OTHER;
	if (p->iif >= fw_nnics || !lwip_in[p->iif].fn)
		return PL_DROP;
	lwip_in[p->iif].fn(fw_nics[p->iif], p->buf, lwip_in[p->iif].arg);
	return PL_STOLEN;
}

static int snoop_push(struct pl_elem *e, struct pl_pkt *p)
{
	(void)e;
	p->reason = FWD_NOT_OURS;
	if (p->iif >= fw_nnics || !nifs[p->iif] || not_ours(p))
		return PL_DROP;
	fw_neigh_snoop(p);
	return 0;
}

static const struct pl_class route_class = {.name = "route", .nports = 2, .push = route_push};
static const struct pl_class fwd_class = {.name = "forward", .nports = 0, .push = fwd_push};
static const struct pl_class local_class = {.name = "local", .nports = 0, .push = local_push};
static const struct pl_class snoop_class = {.name = "snoop", .nports = 1, .push = snoop_push};

static struct pl_elem lwip_e;

static int add_elements(void)
{
	int rc = pl_add(&fw_graph, &parse_e, &fw_parse_class, "parse", &parse_cfg);

	if (rc == 0)
		rc = pl_add(&fw_graph, &route_e, &route_class, "route", NULL);
	if (rc == 0)
		rc = pl_add(&fw_graph, &ct_e, &fw_ct_class, "conntrack", &fw_ct);
	if (rc == 0)
		rc = pl_add(&fw_graph, &filter_e, &fw_filter_class, "filter", &fw_filter);
	if (rc == 0)
		rc = pl_add(&fw_graph, &accepted_e, &pl_counter_class, "accepted", &accepted_cnt);
	if (rc == 0)
		rc = pl_add(&fw_graph, &fwd_e, &fwd_class, "forward", NULL);
	if (rc == 0)
		rc = pl_add(&fw_graph, &snoop_e, &snoop_class, "snoop", NULL);
	if (rc == 0)
		rc = pl_add(&fw_graph, &local_e, &pl_counter_class, "local", &local_cnt);
	if (rc == 0)
		rc = pl_add(&fw_graph, &lwip_e, &local_class, "lwip", NULL);
	return rc;
}

static int build_graph(void)
{
	struct pl_elem *rej;
	int rc;

	for (unsigned int i = 0; i < PL_IFS_MAX; i++)
		parse_cfg.peer[i] = PL_IF_NONE; /* the route decides */
	rc = add_elements();
	if (rc == 0)
		rc = fw_add_reject(&rej);
	if (rc < 0)
		return rc;
	/* Every port is wired; pl_connect can only fail on a programming error. */
	pl_connect(&parse_e, 0, &route_e);
	pl_connect(&parse_e, 1, &snoop_e);
	pl_connect(&route_e, 0, &ct_e);
	pl_connect(&route_e, 1, &local_e);
	pl_connect(&ct_e, 0, &filter_e);
	pl_connect(&filter_e, 0, &accepted_e);
	pl_connect(&filter_e, 1, rej);
	pl_connect(&accepted_e, 0, &fwd_e);
	pl_connect(&snoop_e, 0, &local_e);
	pl_connect(&local_e, 0, &lwip_e);
	pl_set_entry(&fw_graph, &parse_e);
	fw_filter_elem = &filter_e;
	return 0;
}

static void check_ready(void *arg)
{
	(void)arg;
	if (net_all_up())
		fw_set_ready();
}

/* Take every NIC lwIP runs on; lwIP's receive handler is kept for local delivery. */
static int take_nics(char *err, size_t errlen)
{
	for (unsigned int i = 0; i < net_count(); i++) {
		struct netdev *dev = net_netdev(i);

		if (dev->index >= PL_IFS_MAX)
			continue;
		nifs[dev->index] = net_netif(i);
		fw_nics[dev->index] = dev;
		fw_nnics = MAX(fw_nnics, dev->index + 1);
		lwip_in[dev->index] = (struct lwip_in){dev->rx_handler, dev->rx_arg};
		netdev_set_rx_handler(dev, fw_rx, NULL);
	}
	if (fw_nnics == 0) {
		snprintf(err, errlen, "routed mode needs at least one NIC in service");
		return -ENODEV;
	}
	return 0;
}

int fw_routed_start(char *err, size_t errlen)
{
	int rc = net_init();

	if (rc == -EINVAL)
		return rc; /* the net library printed what is wrong */
	if (rc < 0) {
		snprintf(err, errlen, "network start failed (%d)", rc);
		return rc;
	}
	rc = take_nics(err, errlen);
	if (rc == 0)
		rc = fw_neigh_init();
	fw_reject_pool_init();
	if (rc == 0)
		rc = build_graph();
	if (rc == 0)
		rc = pl_check(&fw_graph, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < nroutes; i++) {
		uint32_t oif;

		if (routes[i].dev == PL_IF_NONE &&
		    connected(routes[i].family == 6, &routes[i].via, &oif) < 0)
			printf("firewall: route %u: the gateway is in no NIC's subnet (yet)\n", i);
	}
	net_set_change_handler(check_ready, NULL);
	check_ready(NULL);
	return 0;
}

size_t fw_routed_format(char *buf, size_t len)
{
	uint64_t fwd = 0, local = 0;
	size_t pos;

	if (fw_opts.mode != FW_MODE_ROUTED || len == 0)
		return 0;
	for (unsigned int i = 0; i < PL_IFS_MAX; i++) {
		fwd += accepted_cnt.packets[i];
		local += local_cnt.packets[i];
	}
	pos = (size_t)snprintf(buf, len, "routed forwarded=%llu local=%llu routes=%u\n",
			       (unsigned long long)fwd, (unsigned long long)local, nroutes);
	if (pos < len)
		pos += fw_neigh_format(buf + pos, len - pos);
	return MIN(pos, len - 1);
}

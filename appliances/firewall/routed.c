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
 * sized for a host; the route table and the neighbour cache are nf/'s. Packets for the appliance
 * itself are not filtered (they meet lwIP, which has no services beyond ping); the rules see what
 * is routed.
 *
 * Routes (route=PREFIX,via=GW or PREFIX,dev=netN, the NICs' subnets, the
 * default gateways) are looked up by the shared layer (sluice/nf/route.h),
 * next hops resolved by its neighbour cache (sluice/nf/neigh.h). Link-local
 * IPv6 packets are never forwarded (RFC 4291 2.5.6), nor frames sent to a
 * link-layer group address, nor VLAN-tagged frames.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwelem.h"
#include "fwmode.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/nf/csum.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/stats.h"

typedef unsigned long long ull;

struct lwip_in {
	netdev_rx_fn fn;
	void *arg;
};

static struct {
	struct fw_ctx *ctx;
	struct lwip_in lwip_in[PL_IFS_MAX];
	struct pl_elem parse, route, ct, filter, accepted, fwd, local, snoop, lwip;
	struct pl_counter accepted_cnt, local_cnt;
	struct nf_stats_section sec, sec_neigh;
} rt;

static bool v6_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Unicast frames for other hosts: a promiscuous NIC sees them; a router ignores them. */
static bool not_ours(const struct pl_pkt *p)
{
	const struct netdev *dev = nf_port(&rt.ctx->app.ports, p->iif);

	return !dev || (!(p->frame[0] & 1) && memcmp(p->frame, dev->mac, 6) != 0);
}

/* Where an IP packet goes: 0 forward (p->oif, p->nexthop), 1 to lwIP, or a drop reason. */
static int route_ip(const struct nf_routes *routes, struct pl_pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	bool v6 = m->l3 == PKT_L3_IPV6;

	if (nf_route_for_us(routes, m))
		return 1;
	if (p->frame[0] & 1)
		return -NF_DROP_NOT_OURS; /* a unicast packet in a link-layer group frame */
	if (p->len < (size_t)m->l3_off + (v6 ? 40 : 20))
		return -NF_DROP_MALFORMED; /* the header to be rewritten is not all there */
	if (m->ttl <= 1)
		return -NF_DROP_TTL;
	if (v6 && (v6_link_local(m->saddr.b) || v6_link_local(m->daddr.b)))
		return -NF_DROP_NO_ROUTE;
	if (!nf_route_lookup(routes, v6, &m->daddr, &p->oif, &p->nexthop))
		return -NF_DROP_NO_ROUTE;
	return 0;
}

static int route_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct nf_routes *routes = e->priv;
	int rc;

	p->reason = NF_DROP_NOT_OURS;
	if (p->iif >= routes->nports || !routes->nif[p->iif] || not_ours(p))
		return PL_DROP;
	p->reason = NF_DROP_UNSUPPORTED;
	if (p->meta.flags & PKT_VLAN)
		return PL_DROP;
	if (p->meta.l3 != PKT_L3_IPV4 && p->meta.l3 != PKT_L3_IPV6)
		return 1; /* lwIP takes what it knows and drops the rest */
	rc = route_ip(routes, p);
	if (rc < 0) {
		p->reason = (uint8_t)-rc;
		return PL_DROP;
	}
	p->reason = 0;
	return rc;
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
		p->reason = NF_DROP_UNSUPPORTED;
		return PL_DROP;
	}
	if (v6) {
		ip[7]--;
	} else {
		/* The word holding the TTL and the protocol drops by 0x100. */
		uint16_t old = (uint16_t)(ip[8] << 8 | ip[9]), c;

		ip[8]--;
		c = nf_csum_update16((uint16_t)(ip[10] << 8 | ip[11]), old,
				     (uint16_t)(ip[8] << 8 | ip[9]));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	if (nf_neigh_output(p->buf, p->iif, p->oif, v6, &p->nexthop, p->now) < 0)
		nf_count_drop(&rt.ctx->app.ports, p->iif, NF_DROP_NO_NEIGH);
	return PL_STOLEN;
}

static int local_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct netdev *dev = nf_port(&rt.ctx->app.ports, p->iif);

	(void)e;
	p->reason = NF_DROP_OTHER;
	if (!dev || !rt.lwip_in[p->iif].fn)
		return PL_DROP;
	rt.lwip_in[p->iif].fn(dev, p->buf, rt.lwip_in[p->iif].arg);
	return PL_STOLEN;
}

static int snoop_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct nf_routes *routes = e->priv;

	p->reason = NF_DROP_NOT_OURS;
	if (p->iif >= routes->nports || !routes->nif[p->iif] || not_ours(p))
		return PL_DROP;
	nf_neigh_snoop(p);
	return 0;
}

static const struct pl_class route_class = {.name = "route", .nports = 2, .push = route_push};
static const struct pl_class fwd_class = {.name = "forward", .nports = 0, .push = fwd_push};
static const struct pl_class local_class = {.name = "local", .nports = 0, .push = local_push};
static const struct pl_class snoop_class = {.name = "snoop", .nports = 1, .push = snoop_push};

static int add_elements(struct fw_ctx *ctx)
{
	struct pl_graph *g = &ctx->graph;
	int rc = pl_add(g, &rt.parse, &fw_parse_class, "parse", &ctx->parse);

	if (rc == 0)
		rc = pl_add(g, &rt.route, &route_class, "route", &ctx->routes);
	if (rc == 0)
		rc = pl_add(g, &rt.ct, &nf_ct_class, "conntrack", &ctx->ct.t);
	if (rc == 0)
		rc = pl_add(g, &rt.filter, &fw_filter_class, "filter", &ctx->filter);
	if (rc == 0)
		rc = pl_add(g, &rt.accepted, &pl_counter_class, "accepted", &rt.accepted_cnt);
	if (rc == 0)
		rc = pl_add(g, &rt.fwd, &fwd_class, "forward", NULL);
	if (rc == 0)
		rc = pl_add(g, &rt.snoop, &snoop_class, "snoop", &ctx->routes);
	if (rc == 0)
		rc = pl_add(g, &rt.local, &pl_counter_class, "local", &rt.local_cnt);
	if (rc == 0)
		rc = pl_add(g, &rt.lwip, &local_class, "lwip", NULL);
	return rc;
}

static int build_graph(struct fw_ctx *ctx)
{
	struct pl_elem *rej;
	int rc;

	for (unsigned int i = 0; i < PL_IFS_MAX; i++)
		ctx->parse.peer[i] = PL_IF_NONE; /* the route decides */
	rc = add_elements(ctx);
	if (rc == 0)
		rc = fw_add_reject(ctx, &rej);
	if (rc < 0)
		return rc;
	/* Every port is wired; pl_connect can only fail on a programming error. */
	pl_connect(&rt.parse, 0, &rt.route);
	pl_connect(&rt.parse, 1, &rt.snoop);
	pl_connect(&rt.route, 0, &rt.ct);
	pl_connect(&rt.route, 1, &rt.local);
	pl_connect(&rt.ct, 0, &rt.filter);
	pl_connect(&rt.filter, 0, &rt.accepted);
	pl_connect(&rt.filter, 1, rej);
	pl_connect(&rt.accepted, 0, &rt.fwd);
	pl_connect(&rt.snoop, 0, &rt.local);
	pl_connect(&rt.local, 0, &rt.lwip);
	pl_set_entry(&ctx->graph, &rt.parse);
	ctx->filter_elem = &rt.filter;
	return 0;
}

static void check_ready(void *arg)
{
	struct fw_ctx *ctx = arg;

	if (net_all_up())
		ctx->ready(ctx);
}

/* Take every NIC lwIP runs on; lwIP's receive handler is kept for local delivery. */
static int take_nics(struct fw_ctx *ctx, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < net_count(); i++) {
		struct netdev *dev = net_netdev(i);

		if (dev->index >= PL_IFS_MAX)
			continue;
		ctx->routes.nif[dev->index] = net_netif(i);
		rt.lwip_in[dev->index] = (struct lwip_in){dev->rx_handler, dev->rx_arg};
		nf_port_bind(&ctx->app.ports, dev);
	}
	ctx->routes.nports = ctx->app.ports.n;
	if (ctx->routes.nports == 0) {
		snprintf(err, errlen, "routed mode needs at least one NIC in service");
		return -ENODEV;
	}
	return 0;
}

/* "routed forwarded=N local=N routes=N", then the neighbour cache's line. */
static size_t routed_format(void *arg, char *buf, size_t len)
{
	const struct fw_ctx *ctx = arg;
	uint64_t fwd = 0, local = 0;
	int n;

	for (unsigned int i = 0; i < PL_IFS_MAX; i++) {
		fwd += rt.accepted_cnt.packets[i];
		local += rt.local_cnt.packets[i];
	}
	n = snprintf(buf, len, "routed forwarded=%llu local=%llu routes=%u\n", (ull)fwd, (ull)local,
		     ctx->routes.n);
	return n < 0 ? 0 : (size_t)n;
}

int fw_routed_start(struct fw_ctx *ctx, char *err, size_t errlen)
{
	int rc = net_init();

	if (rc == -EINVAL)
		return rc; /* the net library printed what is wrong */
	if (rc < 0) {
		snprintf(err, errlen, "network start failed (%d)", rc);
		return rc;
	}
	rt.ctx = ctx;
	rc = take_nics(ctx, err, errlen);
	if (rc == 0)
		rc = nf_neigh_init(&ctx->app.ports, &ctx->routes);
	fw_reject_pool(ctx);
	if (rc == 0)
		rc = build_graph(ctx);
	if (rc == 0)
		rc = nf_app_check(&ctx->app, err, errlen);
	if (rc < 0)
		return rc;
	nf_routes_check(&ctx->routes, "firewall");
	net_set_change_handler(check_ready, ctx);
	check_ready(ctx);
	return 0;
}

void fw_routed_stats(struct fw_ctx *ctx)
{
	nf_stats_add(&ctx->app.stats, &rt.sec, "routed", routed_format, ctx);
	nf_stats_add(&ctx->app.stats, &rt.sec_neigh, "neigh", nf_neigh_format, NULL);
}

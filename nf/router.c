// SPDX-License-Identifier: BSD-2-Clause
/*
 * Router elements (sluice/nf/router.h): an IPv4/IPv6 router between the
 * NICs lwIP addresses, forwarding in place. lwIP owns the addresses (it
 * answers ARP and neighbour solicitations for them, runs DAD, SLAAC and
 * DHCP, and answers ping); forwarding is done here, not by lwIP: the
 * receive handler lwIP installed is replaced by the graph's, which hands
 * lwIP what is addressed to us and forwards the rest itself, in place:
 * the TTL is decremented and the Ethernet header rewritten in the
 * received page, which then leaves through the egress NIC without a copy.
 * lwIP's forwarding (IP_FORWARD) would copy every packet into a TX page,
 * would need options in the lwipopts.h that every appliance shares, and
 * its routing and neighbour tables are sized for a host.
 *
 * Link-local IPv6 packets are never forwarded (RFC 4291 2.5.6), nor
 * frames sent to a link-layer group address, nor VLAN-tagged frames.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sluice/net.h"
#include "sluice/nf/csum.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/router.h"

static bool v6_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Unicast frames for other hosts: a promiscuous NIC sees them; a router ignores them. */
static bool not_ours(const struct nf_router *r, const struct pl_pkt *p)
{
	const struct netdev *dev = nf_port(r->ports, p->iif);

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
	const struct nf_router *r = e->priv;
	const struct nf_routes *routes = r->routes;
	int rc;

	p->reason = NF_DROP_NOT_OURS;
	if (p->iif >= routes->nports || !routes->nif[p->iif] || not_ours(r, p))
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
	struct nf_router *r = e->priv;
	const struct pkt_meta *m = &p->meta;
	bool v6 = m->l3 == PKT_L3_IPV6;
	uint8_t *ip = pkt_data(p->buf) + m->l3_off;

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
	if (nf_neigh_output(r->neigh, p->buf, p->iif, p->oif, v6, &p->nexthop, p->now) < 0)
		nf_count_drop(r->ports, p->iif, NF_DROP_NO_NEIGH);
	return PL_STOLEN;
}

static int local_push(struct pl_elem *e, struct pl_pkt *p)
{
	struct nf_router *r = e->priv;
	struct netdev *dev = nf_port(r->ports, p->iif);

	p->reason = NF_DROP_OTHER;
	if (!dev || !r->lwip_in[p->iif].fn)
		return PL_DROP;
	r->lwip_in[p->iif].fn(dev, p->buf, r->lwip_in[p->iif].arg);
	return PL_STOLEN;
}

static int snoop_push(struct pl_elem *e, struct pl_pkt *p)
{
	const struct nf_router *r = e->priv;
	const struct nf_routes *routes = r->routes;

	p->reason = NF_DROP_NOT_OURS;
	if (p->iif >= routes->nports || !routes->nif[p->iif] || not_ours(r, p))
		return PL_DROP;
	nf_neigh_snoop(r->neigh, p);
	return 0;
}

const struct pl_class nf_route_class = {.name = "route", .nports = 2, .push = route_push};
const struct pl_class nf_forward_class = {.name = "forward", .nports = 0, .push = fwd_push};
const struct pl_class nf_local_class = {.name = "local", .nports = 0, .push = local_push};
const struct pl_class nf_snoop_class = {.name = "snoop", .nports = 1, .push = snoop_push};

/* Take every NIC lwIP runs on; lwIP's receive handler is kept for local delivery. */
int nf_router_take_nics(struct nf_router *r, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < net_count(); i++) {
		struct netdev *dev = net_netdev(i);

		if (dev->index >= PL_IFS_MAX)
			continue;
		r->routes->nif[dev->index] = net_netif(i);
		r->lwip_in[dev->index].fn = dev->rx_handler;
		r->lwip_in[dev->index].arg = dev->rx_arg;
		nf_port_bind(r->ports, dev);
	}
	r->routes->nports = r->ports->n;
	if (r->routes->nports == 0) {
		snprintf(err, errlen, "routed mode needs at least one NIC in service");
		return -ENODEV;
	}
	return 0;
}

int nf_router_start(struct nf_router *r, struct nf_ports *ports, struct nf_routes *routes,
		    char *err, size_t errlen)
{
	int rc = net_init();

	if (rc == -EINVAL)
		return rc; /* the net library printed what is wrong */
	if (rc < 0) {
		snprintf(err, errlen, "network start failed (%d)", rc);
		return rc;
	}
	r->ports = ports;
	r->routes = routes;
	rc = nf_router_take_nics(r, err, errlen);
	if (rc == 0 && !(r->neigh = nf_neigh_new(ports, routes))) {
		snprintf(err, errlen, "no memory or no entropy for the neighbour cache");
		rc = -ENOMEM;
	}
	return rc;
}

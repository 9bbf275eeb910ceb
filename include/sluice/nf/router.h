/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Router elements for a network function that forwards between the NICs
 * lwIP addresses (nf/router.c):
 *
 *   route    port 0: forward (p->oif, p->nexthop from sluice/nf/route.h),
 *            port 1: for us (lwIP); drops with an nf_drop reason
 *   forward  TTL - 1 in place, then the neighbour cache sends it
 *   snoop    learn from ARP and ND on their way to lwIP; one output
 *   local    hand the frame to lwIP's own receive handler
 *
 * Every element's priv is the struct nf_router.
 */
#ifndef SLUICE_NF_ROUTER_H
#define SLUICE_NF_ROUTER_H

#include <stddef.h>

#include "sluice/netdev.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/pipeline.h"
#include "sluice/nf/port.h"
#include "sluice/nf/route.h"

struct nf_router {
	struct nf_ports *ports;
	struct nf_routes *routes;
	struct nf_neigh *neigh; /* next hops of forwarded packets */
	struct {
		netdev_rx_fn fn;
		void *arg;
	} lwip_in[PL_IFS_MAX]; /* lwIP's receive handlers, for local delivery */
};

extern const struct pl_class nf_route_class, nf_forward_class, nf_snoop_class, nf_local_class;

/*
 * Bind every NIC lwIP runs on (net_init done) as a port, keeping lwIP's
 * receive handler for local delivery; fills @r->routes' netifs. 0, or
 * -ENODEV (none: @err says so).
 */
int nf_router_take_nics(struct nf_router *r, char *err, size_t errlen);
/*
 * A routed appliance's start: the net library up (its addresses, lwIP),
 * every NIC taken (nf_router_take_nics) and the neighbour cache made.
 * 0, or -errno with the reason in @err (-EINVAL: the net library said it).
 */
int nf_router_start(struct nf_router *r, struct nf_ports *ports, struct nf_routes *routes,
		    char *err, size_t errlen);

#endif

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Routed mode (mode=routed): the appliance is an IPv4/IPv6 router with an
 * address on each NIC (netN.ip=, netN.ip6= through the net library), and
 * every packet it forwards runs through the same filter as in bridge mode.
 *
 *   parse -0-> route -0-> defrag -> conntrack -> filter -0-> accepted -> forward
 *     |          '-1-> local (lwIP)                    '-1-> reject branch
 *     '-1-> snoop -> local                 (ARP, ND, MLD: never filtered)
 *
 * route, forward, snoop and local are the shared layer's router elements
 * (sluice/nf/router.h: lwIP keeps the addresses, forwarding is done in
 * place), with its route table (route=, sluice/nf/route.h) and neighbour
 * cache. Packets for the appliance itself are not filtered (they meet
 * lwIP, which has no services beyond ping); the rules see what is routed.
 */
#include <errno.h>
#include <stdio.h>

#include "fwelem.h"
#include "fwmode.h"
#include "sluice/net.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/router.h"
#include "sluice/nf/stats.h"

typedef unsigned long long ull;

static struct {
	struct nf_router router;
	struct pl_elem parse, route, defrag, ct, filter, accepted, fwd, local, snoop, lwip;
	struct pl_counter accepted_cnt, local_cnt;
	struct nf_stats_section sec, sec_neigh;
} rt;

static int add_elements(struct fw_ctx *ctx)
{
	struct pl_graph *g = &ctx->graph;
	struct nf_router *r = &rt.router;
	int rc = pl_add(g, &rt.parse, &nf_parse_class, "parse", &ctx->parse);

	if (rc == 0)
		rc = pl_add(g, &rt.route, &nf_route_class, "route", r);
	if (rc == 0)
		rc = pl_add(g, &rt.defrag, &nf_defrag_class, "defrag", &ctx->defrag);
	if (rc == 0)
		rc = pl_add(g, &rt.ct, &nf_ct_class, "conntrack", &ctx->ct.t);
	if (rc == 0)
		rc = pl_add(g, &rt.filter, &fw_filter_class, "filter", &ctx->filter);
	if (rc == 0)
		rc = pl_add(g, &rt.accepted, &pl_counter_class, "accepted", &rt.accepted_cnt);
	if (rc == 0)
		rc = pl_add(g, &rt.fwd, &nf_forward_class, "forward", r);
	if (rc == 0)
		rc = pl_add(g, &rt.snoop, &nf_snoop_class, "snoop", r);
	if (rc == 0)
		rc = pl_add(g, &rt.local, &pl_counter_class, "local", &rt.local_cnt);
	if (rc == 0)
		rc = pl_add(g, &rt.lwip, &nf_local_class, "lwip", r);
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
	/* Fragments for lwIP itself are reassembled by lwIP; forwarded ones here. */
	pl_connect(&rt.route, 0, &rt.defrag);
	pl_connect(&rt.defrag, 0, &rt.ct);
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

/* "routed forwarded=N local=N routes=N" (the neighbour cache's line follows). */
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
	int rc = nf_router_start(&rt.router, &ctx->app.ports, &ctx->routes, err, errlen);

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
	nf_stats_add(&ctx->app.stats, &rt.sec_neigh, "neigh", nf_neigh_format, rt.router.neigh);
}

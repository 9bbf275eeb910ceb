// SPDX-License-Identifier: BSD-2-Clause
/*
 * Bridge mode (the default): a transparent bump in the wire between net0
 * and net1. The appliance has no address of its own; every frame that
 * arrives on one NIC is parsed, tracked and classified, and an accepted
 * frame leaves through the other NIC unchanged: the same pktbuf, never
 * copied (netdev_tx takes the page received on the other NIC).
 *
 *   parse -0-> defrag -> conntrack -> filter -0-> accepted(counter) -> tx
 *     |                                   '-1-> reject-limit(ratelimit) -0-> reject
 *     '-1-> bypass(counter) -> tx          (ARP, ND, MLD: never filtered)
 *
 * defrag holds IP fragments until their datagram is whole, so conntrack
 * and the rules classify the datagram once; the fragments then leave
 * unchanged (sluice/nf/defrag.h).
 */
#include <errno.h>
#include <stdio.h>

#include "fwelem.h"
#include "fwmode.h"

static struct {
	struct pl_elem parse, defrag, ct, filter, accepted, bypass, tx;
	struct pl_counter accepted_cnt, bypass_cnt;
} br;

static int add_elements(struct fw_ctx *ctx)
{
	struct pl_graph *g = &ctx->graph;
	int rc;

	rc = pl_add(g, &br.parse, &nf_parse_class, "parse", &ctx->parse);
	if (rc == 0)
		rc = pl_add(g, &br.defrag, &nf_defrag_class, "defrag", &ctx->defrag);
	if (rc == 0)
		rc = pl_add(g, &br.ct, &nf_ct_class, "conntrack", &ctx->ct.t);
	if (rc == 0)
		rc = pl_add(g, &br.filter, &fw_filter_class, "filter", &ctx->filter);
	if (rc == 0)
		rc = pl_add(g, &br.accepted, &pl_counter_class, "accepted", &br.accepted_cnt);
	if (rc == 0)
		rc = pl_add(g, &br.bypass, &pl_counter_class, "bypass", &br.bypass_cnt);
	if (rc == 0)
		rc = pl_add(g, &br.tx, &nf_tx_class, "tx", &ctx->app.ports);
	return rc;
}

static int build_graph(struct fw_ctx *ctx)
{
	struct pl_elem *rej;
	int rc;

	ctx->parse.peer[0] = 1;
	ctx->parse.peer[1] = 0;
	for (unsigned int i = 2; i < PL_IFS_MAX; i++)
		ctx->parse.peer[i] = PL_IF_NONE;
	rc = add_elements(ctx);
	if (rc == 0)
		rc = fw_add_reject(ctx, &rej);
	if (rc < 0)
		return rc;
	/* Every port is wired; pl_connect can only fail on a programming error. */
	pl_connect(&br.parse, 0, &br.defrag);
	pl_connect(&br.defrag, 0, &br.ct);
	pl_connect(&br.parse, 1, &br.bypass);
	pl_connect(&br.ct, 0, &br.filter);
	pl_connect(&br.filter, 0, &br.accepted);
	pl_connect(&br.filter, 1, rej);
	pl_connect(&br.accepted, 0, &br.tx);
	pl_connect(&br.bypass, 0, &br.tx);
	pl_set_entry(&ctx->graph, &br.parse);
	ctx->filter_elem = &br.filter;
	return 0;
}

/* Both links up: before that nothing can be forwarded. */
static void links_up(struct nf_ports *ps, void *arg)
{
	struct fw_ctx *ctx = arg;

	(void)ps;
	ctx->ready(ctx);
}

int fw_bridge_start(struct fw_ctx *ctx, char *err, size_t errlen)
{
	struct nf_ports *ps = &ctx->app.ports;
	int rc;

	if (netdev_count() < 2) {
		snprintf(err, errlen, "bridge mode needs two NICs (net0, net1), found %u",
			 netdev_count());
		return -ENODEV;
	}
	if (netdev_count() > 2)
		printf("firewall: bridging net0 and net1; the other %u NIC(s) stay unused\n",
		       netdev_count() - 2);
	rc = build_graph(ctx);
	if (rc < 0 || (rc = nf_app_check(&ctx->app, err, errlen)) < 0)
		return rc;
	nf_port_bind(ps, netdev_get(0));
	nf_port_bind(ps, netdev_get(1));
	rc = nf_ports_start(ps, err, errlen);
	if (rc < 0)
		return rc;
	fw_reject_pool(ctx);
	nf_ports_when_up(ps, links_up, ctx);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * The load balancer appliance (docs/loadbalancer.md): an L4 balancer for
 * virtual services (VIP:PORT, TCP or UDP, IPv4 or IPv6) over pools of
 * backends, with Maglev consistent hashing, health checks, draining and
 * live changes. A router between its NICs (net0: clients, net1: backends;
 * addresses from netN.ip=, netN.ip6=), on the shared layer's router
 * elements, with the balancer in front:
 *
 *   parse -0-> defrag -> lb -0-> route(nat) -0-> forward
 *     |                   |            '-1-> local -> lwip
 *     |                   '-1-> route -0-> gate -0-> forward   (forward=1 only)
 *     |                             '-1-> local -> lwip  (checks' replies, ping)
 *     '-1-> snoop -> local                                   (ARP, ND, MLD)
 *
 * defrag holds IP fragments until their datagram is whole (nf/defrag.h):
 * the balancer then sees the datagram's ports once, through its first
 * fragment, and gives every fragment the same flow and translation.
 *
 * lwIP holds the addresses, answers ARP and ND for them, and runs the
 * health checks (lbcheck.c); forwarding is done in place by nf/router.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lb.h"
#include "lwip/netif.h"
#include "sluice/app.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/nf/neigh.h"
#include "sluice/nf/router.h"
#include "sluice/random.h"

#define MS 1000000ull
#define TICK_MS 100
#define SWEEP_S 10 /* every flow slot visited for expiry this often */

/* Zero-initialised (.bss, not in the image); the defaults are set by build_options. */
static struct lb_ctx lb;

static struct {
	struct nf_router router;
	struct pl_elem parse, defrag, lb, route_nat, route, gate, fwd, snoop, local, lwip;
	struct pl_counter local_cnt;
} g;

/* ---- options ---- */

/* A config-disk path: printable, so that messages may quote it (it is untrusted). */
static int config_file_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	return nf_app_path_opt(v, lb.opts.config_file, sizeof(lb.opts.config_file), err, errlen);
}

static int route_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	return nf_route_add(&lb.routes, v, err, errlen);
}

static const struct cmdline_opt own_opts[] = {
	{.key = "config",
	 .type = CMDLINE_STR,
	 .dst = lb.opts.config,
	 .dst_size = sizeof(lb.opts.config),
	 .help = "configuration text, ';' between lines"},
	{.key = "config-file",
	 .type = CMDLINE_FUNC,
	 .fn = config_file_opt,
	 .help = "configuration file on the config disk"},
	{.key = "route",
	 .type = CMDLINE_FUNC,
	 .fn = route_opt,
	 .repeat = true,
	 .help = "PREFIX,via=GW or PREFIX,dev=netN"},
	{.key = "flows",
	 .type = CMDLINE_U64,
	 .dst = &lb.opts.flows,
	 .min = 16,
	 .max = 1u << 22,
	 .help = "flow table entries"},
	{.key = "stats-interval-ms",
	 .type = CMDLINE_U64,
	 .dst = &lb.opts.stats_interval_ms,
	 .min = 0,
	 .max = 86400000,
	 .help = "publish counters (0: never)"},
	{.key = "stats-console",
	 .type = CMDLINE_BOOL,
	 .dst = &lb.opts.stats_console,
	 .help = "also print the counters every interval"},
	{.key = "forward",
	 .type = CMDLINE_BOOL,
	 .dst = &lb.opts.forward,
	 .help = "route traffic that is not balanced between the NICs"},
};

static struct cmdline_opt lb_cmdline[NF_APP_OPTS_MAX(ARRAY_SIZE(own_opts))];

/* C constructors run before the kernel parses the command line. */
__attribute__((constructor)) static void build_options(void)
{
	lb.opts.flows = 65536;
	lb.opts.stats_interval_ms = 5000;
	nf_app_opts(own_opts, ARRAY_SIZE(own_opts), lb_cmdline, ARRAY_SIZE(lb_cmdline));
}

/* ---- addresses ---- */

bool lb_port_addr(struct lb_ctx *c, uint32_t port, bool v6, struct pkt_addr *out)
{
	struct netif *nif = port < PL_IFS_MAX ? c->routes.nif[port] : NULL;

	memset(out, 0, sizeof(*out));
	if (!nif)
		return false;
	if (!v6) {
		if (ip4_addr_isany_val(*netif_ip4_addr(nif)))
			return false;
		memcpy(out->b, &netif_ip4_addr(nif)->addr, 4);
		return true;
	}
	/* A global (valid, not link-local) address: slot 0 is the link-local one. */
	for (int i = 1; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		if (ip6_addr_isvalid(netif_ip6_addr_state(nif, i))) {
			memcpy(out->b, &netif_ip6_addr(nif, i)->addr, 16);
			return true;
		}
	}
	return false;
}

/* ---- the graph ---- */

static int add_elements(struct lb_ctx *c)
{
	struct pl_graph *gr = &c->graph;
	struct nf_router *r = &g.router;
	int rc = pl_add(gr, &g.parse, &nf_parse_class, "parse", &c->parse);

	if (rc == 0)
		rc = pl_add(gr, &g.defrag, &nf_defrag_class, "defrag", &c->defrag);
	if (rc == 0)
		rc = pl_add(gr, &g.lb, &lb_class, "lb", c);
	if (rc == 0)
		rc = pl_add(gr, &g.route_nat, &nf_route_class, "route-nat", r);
	if (rc == 0)
		rc = pl_add(gr, &g.route, &nf_route_class, "route", r);
	if (rc == 0)
		rc = pl_add(gr, &g.gate, &lb_gate_class, "gate", c);
	if (rc == 0)
		rc = pl_add(gr, &g.fwd, &nf_forward_class, "forward", r);
	if (rc == 0)
		rc = pl_add(gr, &g.snoop, &nf_snoop_class, "snoop", r);
	if (rc == 0)
		rc = pl_add(gr, &g.local, &pl_counter_class, "local", &g.local_cnt);
	if (rc == 0)
		rc = pl_add(gr, &g.lwip, &nf_local_class, "lwip", r);
	return rc;
}

static int build_graph(struct lb_ctx *c)
{
	int rc;

	for (unsigned int i = 0; i < PL_IFS_MAX; i++)
		c->parse.peer[i] = PL_IF_NONE; /* the route decides */
	c->parse.bypass = lb_bypass;
	rc = add_elements(c);
	if (rc < 0)
		return rc;
	/* Every port is wired; pl_connect can only fail on a programming error. */
	pl_connect(&g.parse, 0, &g.defrag);
	pl_connect(&g.defrag, 0, &g.lb);
	pl_connect(&g.parse, 1, &g.snoop);
	pl_connect(&g.lb, 0, &g.route_nat);
	pl_connect(&g.lb, 1, &g.route);
	pl_connect(&g.route_nat, 0, &g.fwd);
	pl_connect(&g.route_nat, 1, &g.local);
	pl_connect(&g.route, 0, &g.gate);
	pl_connect(&g.route, 1, &g.local);
	pl_connect(&g.gate, 0, &g.fwd);
	pl_connect(&g.snoop, 0, &g.local);
	pl_connect(&g.local, 0, &g.lwip);
	pl_set_entry(&c->graph, &g.parse);
	return 0;
}

size_t lb_neigh_format(void *arg, char *buf, size_t len)
{
	(void)arg;
	return nf_neigh_format(g.router.neigh, buf, len);
}

/* ---- running ---- */

static void tick(struct timer *t, void *arg)
{
	struct lb_ctx *c = arg;
	uint64_t now = now_ns();
	unsigned int budget = c->flows.max / (SWEEP_S * 1000 / TICK_MS) + 1;

	lb_flows_expire(&c->flows, now, budget, lb_flow_gone, c);
	lb_checks_run(c, now);
	lb_slots_reap(c);
	timer_arm_in(t, TICK_MS * MS);
}

static void check_ready(void *arg)
{
	struct lb_ctx *c = arg;
	char sum[96];

	if (!net_all_up() || c->app.ready)
		return;
	lb_summary(c, sum, sizeof(sum));
	printf("lb: balancing %s between %u NICs, generation %llu, %u flow entries\n", sum,
	       net_count(), (unsigned long long)lb_config_generation(), c->flows.max);
	nf_app_ready(&c->app);
}

static int start_net(struct lb_ctx *c, char *err, size_t errlen)
{
	int rc = nf_router_start(&g.router, &c->app.ports, &c->routes, err, errlen);

	if (rc == 0 && nf_tx_pool_init(&c->app.ports, 64, 8) < 0) {
		snprintf(err, errlen, "no memory for the transmit pool");
		rc = -ENOMEM;
	}
	if (rc == 0)
		rc = build_graph(c);
	if (rc == 0)
		rc = nf_app_check(&c->app, err, errlen);
	return rc;
}

static int start(struct nf_app *app, void *arg)
{
	struct lb_ctx *c = arg;
	char err[200] = "";
	int rc;

	(void)app;
	nf_drop_reason(&c->app.ports, LBD_NO_BACKEND, "no_backend");
	nf_drop_reason(&c->app.ports, LBD_TABLE_FULL, "table_full");
	nf_drop_reason(&c->app.ports, LBD_NO_FLOW, "no_flow");
	nf_drop_reason(&c->app.ports, LBD_NOT_SERVICE, "not_service");
	nf_drop_reason(&c->app.ports, LBD_UNSUPPORTED, "unsupported");
	nf_drop_reason(&c->app.ports, LBD_NO_PORT, "no_port");
	nf_drop_reason(&c->app.ports, LBD_BACKEND_DOWN, "backend_down");
	pl_tbf_init(&c->rst_tbf, 1000, 100, now_ns()); /* RSTs for on-down reset */
	if (random_bytes(&c->seed, sizeof(c->seed)) < 0)
		return -EIO;
	rc = lb_flows_init(&c->flows, (uint32_t)c->opts.flows, c->seed ^ 0x5a5a5a5a5a5a5a5aull);
	if (rc < 0) {
		printf("lb: no memory for %llu flow entries\n", (unsigned long long)c->opts.flows);
		return rc;
	}
	/* Fragments: Linux's limits and timeouts (docs/firewall.md, IP fragments). */
	rc = nf_defrag_init(&c->defrag, NULL);
	if (rc < 0) {
		printf("lb: no memory for the fragment table\n");
		return rc;
	}
	rc = start_net(c, err, sizeof(err));
	if (rc == 0)
		rc = lb_config_boot(c); /* after the NICs: full NAT needs their addresses */
	if (rc < 0) {
		if (err[0])
			printf("lb: %s\n", err);
		return rc;
	}
	nf_routes_check(&c->routes, "lb");
	lb_stats_start(c);
	lb_config_start(c); /* failures are reported; the boot configuration stays */
	timer_init(&c->tick, tick, c);
	timer_arm_in(&c->tick, TICK_MS * MS);
	net_set_change_handler(check_ready, c);
	check_ready(c);
	return 0;
}

static int lb_main(void)
{
	nf_app_init(&lb.app, "lb", "lb", &lb.graph);
	return nf_app_main(&lb.app, start, &lb);
}

const struct sluice_app sluice_app = {
	.name = "lb",
	.opts = lb_cmdline,
	.main = lb_main,
};

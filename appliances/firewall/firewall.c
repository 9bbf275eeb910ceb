// SPDX-License-Identifier: BSD-2-Clause
/*
 * The firewall appliance (docs/firewall.md): a stateful packet filter with
 * an nftables-like rule language (docs/firewall-rules.md), as a
 * transparent bridge between net0 and net1 (the default) or as a router
 * between addressed NICs (mode=routed).
 *
 * Packets run through a pipeline of elements (sluice/pipeline.h) built
 * here from the configuration: bridge.c or routed.c wires the graph,
 * fwfilter.c holds the parse, conntrack and filter elements. Receive
 * handlers only queue; one work item runs the queue in batches from the
 * event loop. Rules come from config.c (command line, config disk,
 * xenstore), counters and logs go through stats.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwapp.h"
#include "sluice/app.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/mm.h"
#include "sluice/net.h"
#include "sluice/netdev.h"
#include "sluice/plat.h"
#include "sluice/random.h"

#define CT_TICK_S 5
#define CT_SWEEP_S 60 /* the whole table is swept for expired entries this often */
#define CT_AUTO_MAX (256u * 1024)
#define CT_MIN 256

struct fw_opts fw_opts = {
	.mode = FW_MODE_BRIDGE,
	.stats_interval_ms = 5000,
	.reject_rate = 100,
	.reject_burst = 20,
	.log_rate = 10,
	.log_burst = 20,
	.logsink = true,
};

struct pl_graph fw_graph;
struct ct_table fw_ct;
struct fw_filter fw_filter;
struct pl_elem *fw_filter_elem;
unsigned int fw_nnics;
struct netdev *fw_nics[PL_IFS_MAX];

static struct work pl_work;
static struct timer ct_timer;
static bool ready, net_keys_given, routes_given;

/* ---- options ---- */

static int mode_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (strcmp(v, "bridge") == 0)
		fw_opts.mode = FW_MODE_BRIDGE;
	else if (strcmp(v, "routed") == 0)
		fw_opts.mode = FW_MODE_ROUTED;
	else {
		snprintf(err, errlen, "expected bridge or routed");
		return -EINVAL;
	}
	return 0;
}

/* A config-disk path: printable, so that messages may quote it (it is untrusted). */
static int rules_file_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	size_t n = strlen(v);

	(void)ctx;
	if (n == 0 || n >= sizeof(fw_opts.rules_file)) {
		snprintf(err, errlen, "a path of 1 to %zu bytes", sizeof(fw_opts.rules_file) - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '\'' || v[i] == '"') {
			snprintf(err, errlen,
				 "the path must be printable ASCII without blanks "
				 "or quotes");
			return -EINVAL;
		}
	}
	memcpy(fw_opts.rules_file, v, n + 1);
	return 0;
}

static int route_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	int rc = fw_route_opt(v, ctx, err, errlen);

	routes_given |= rc == 0;
	return rc;
}

/* The net library's keys, wrapped to notice them: bridge mode has no addresses. */
static int net_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	const struct cmdline_opt *orig = ctx;

	net_keys_given = true;
	return orig->fn(v, orig->ctx, err, errlen);
}

#define U64(k, field, lo, hi, h)                                                                   \
	{                                                                                          \
		.key = k, .type = CMDLINE_U64, .dst = &fw_opts.field, .min = lo, .max = hi,        \
		.help = h                                                                          \
	}
#define BOOL(k, field, h)                                                                          \
	{                                                                                          \
		.key = k, .type = CMDLINE_BOOL, .dst = &fw_opts.field, .help = h                   \
	}

static const struct cmdline_opt own_opts[] = {
	{.key = "mode", .type = CMDLINE_FUNC, .fn = mode_opt, .help = "bridge (default) or routed"},
	{.key = "rules",
	 .type = CMDLINE_STR,
	 .dst = fw_opts.rules,
	 .dst_size = sizeof(fw_opts.rules),
	 .help = "rule text, ';' between lines"},
	{.key = "rules-file",
	 .type = CMDLINE_FUNC,
	 .fn = rules_file_opt,
	 .help = "rule file on the config disk"},
	{.key = "route",
	 .type = CMDLINE_FUNC,
	 .fn = route_opt,
	 .repeat = true,
	 .help = "routed: PREFIX,via=GW or PREFIX,dev=netN"},
	U64("stats-interval-ms", stats_interval_ms, 0, 86400000, "publish counters (0: never)"),
	BOOL("stats-console", stats_console, "also print the counters every interval"),
	U64("ct-max", ct_max, 0, CT_MAX_ENTRIES, "connection table entries (0: from memory)"),
	BOOL("ct-loose", ct_loose, "pick up TCP connections mid-stream"),
	U64("reject-rate", reject_rate, 0, 1000000, "answers to rejected packets per second"),
	U64("reject-burst", reject_burst, 1, 1000000, "answers in a burst"),
	U64("log-rate", log_rate, 0, 1000000, "log lines per second"),
	U64("log-burst", log_burst, 1, 1000000, "log lines in a burst"),
	BOOL("logsink", logsink, "log to the first writable disk too"),
};

/* Ours, then the net library's (wrapped), then the terminator: filled at start-up. */
static struct cmdline_opt fw_cmdline[ARRAY_SIZE(own_opts) + 4 * NET_CFG_MAX + 8];

/* C constructors run before the kernel parses the command line. */
__attribute__((constructor)) static void build_options(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(own_opts); i++)
		fw_cmdline[n++] = own_opts[i];
	for (const struct cmdline_opt *o = net_cmdline_opts; o->key; o++) {
		if (n + 1 >= ARRAY_SIZE(fw_cmdline))
			panic("firewall: option table too small");
		fw_cmdline[n] = *o;
		if (o->type == CMDLINE_FUNC) {
			fw_cmdline[n].fn = net_opt;
			fw_cmdline[n].ctx = (void *)o;
		}
		n++;
	}
	fw_cmdline[n].key = NULL;
}

/* ---- the packet path ---- */

void fw_rx(struct netdev *dev, struct pktbuf *pkt, void *arg)
{
	(void)arg;
	/* A full queue drops (counted): the budget per poll keeps that rare. */
	pl_enqueue(&fw_graph, pkt, dev->index);
	work_post(&pl_work);
}

/* One pass of the event loop's deliveries, in batches (a state swap can fall between). */
static void pl_work_fn(struct work *w)
{
	(void)w;
	pl_run(&fw_graph, now_ns(), now_ns);
}

static void ct_tick(struct timer *t, void *arg)
{
	(void)arg;
	ct_expire(&fw_ct, now_ns(), fw_ct.max / (CT_SWEEP_S / CT_TICK_S) + 1);
	timer_arm_in(t, CT_TICK_S * 1000000000ull);
}

static int ct_setup(void)
{
	uint64_t free_heap = mm_heap_size() - mm_heap_used();
	unsigned int max = (unsigned int)fw_opts.ct_max;
	struct ct_cfg cfg;
	uint64_t seed;
	int rc;

	/* A quarter of the free heap by default: room is left for rule updates. */
	if (!max)
		max = MIN(ct_entries_for_bytes((size_t)(free_heap / 4)), CT_AUTO_MAX);
	max = MAX(max, CT_MIN);
	/* The seed keys the flow hash: it must be secret, or flows can be aimed at a bucket. */
	rc = random_bytes(&seed, sizeof(seed));
	if (rc == 0)
		rc = ct_init(&fw_ct, max, seed);
	if (rc < 0) {
		printf("firewall: cannot allocate a connection table of %u entries (%d)\n", max,
		       rc);
		return rc;
	}
	ct_cfg_default(&cfg);
	cfg.tcp_loose = fw_opts.ct_loose;
	ct_set_cfg(&fw_ct, &cfg);
	fw_filter.ct = &fw_ct;
	timer_init(&ct_timer, ct_tick, NULL);
	timer_arm_in(&ct_timer, CT_TICK_S * 1000000000ull);
	return 0;
}

void fw_set_ready(void)
{
	const struct fw_ruleset *rs = fw_live_rules();

	if (ready)
		return;
	ready = true;
	if (fw_opts.mode == FW_MODE_BRIDGE)
		printf("firewall: bridging net0 <-> net1, %u rules, generation %llu, "
		       "conntrack %u entries\n",
		       rs ? fw_ruleset_nrules(rs) : 0, (unsigned long long)fw_config_generation(),
		       fw_ct.max);
	else
		printf("firewall: routing between %u NICs, %u rules, generation %llu, "
		       "conntrack %u entries\n",
		       net_count(), rs ? fw_ruleset_nrules(rs) : 0,
		       (unsigned long long)fw_config_generation(), fw_ct.max);
	kernel_mark_ready();
}

/* Options that only one mode takes. */
static int check_mode_opts(void)
{
	if (fw_opts.mode == FW_MODE_BRIDGE && (net_keys_given || routes_given)) {
		printf("firewall: %s are for mode=routed: a bridge has no address\n",
		       routes_given ? "route= keys" : "netN.ip/gw keys");
		return -EINVAL;
	}
	return 0;
}

static int start(void)
{
	char err[200], desc[600];
	int rc;

	pl_init(&fw_graph, fw_release, NULL);
	pl_work.fn = pl_work_fn;
	rc = check_mode_opts();
	if (rc == 0)
		rc = fw_config_boot();
	if (rc == 0)
		rc = ct_setup();
	if (rc < 0)
		return rc;
	err[0] = '\0';
	rc = fw_opts.mode == FW_MODE_BRIDGE ? fw_bridge_start(err, sizeof(err))
					    : fw_routed_start(err, sizeof(err));
	if (rc < 0) {
		if (err[0])
			printf("firewall: %s\n", err);
		return rc;
	}
	pl_describe(&fw_graph, desc, sizeof(desc));
	printf("firewall: pipeline: %s\n", desc);
	fw_stats_start();
	if (plat_kind == PLAT_XEN)
		fw_config_xen_start(); /* failures are reported; the boot rules stay */
	return 0;
}

static int fw_main(void)
{
	int rc, status;

	if (plat->publish)
		plat->publish("appliance", "firewall");
	rc = start();
	if (rc == -EINVAL || rc == -ENODEV)
		return SLUICE_EXIT_CONFIG;
	if (rc < 0) {
		printf("firewall: start failed (%d)\n", rc);
		return SLUICE_EXIT_FAILURE;
	}
	status = evloop_run();
	printf("firewall: stopping; final counters:\n");
	fw_stats_print();
	return status;
}

const struct sluice_app sluice_app = {
	.name = "firewall",
	.opts = fw_cmdline,
	.main = fw_main,
};

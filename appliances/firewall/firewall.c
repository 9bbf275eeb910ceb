// SPDX-License-Identifier: BSD-2-Clause
/*
 * The firewall appliance (docs/firewall.md): a stateful packet filter with
 * an nftables-like rule language (docs/firewall-rules.md), as a
 * transparent bridge between net0 and net1 (the default) or as a router
 * between addressed NICs (mode=routed).
 *
 * A pipeline appliance on the shared layer (sluice/nf/app.h): the ports,
 * the pipeline, connection tracking and the stats registry are nf/'s;
 * bridge.c or routed.c wires the graph around the firewall's own elements
 * (fwfilter.c, fwreply.c). Rules come from config.c (command line, config
 * disk, xenstore), counters and logs go through stats.c. Everything shares
 * one context, struct fw_ctx (fw.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwelem.h"
#include "fwmode.h"
#include "fwsvc.h"
#include "sluice/app.h"
#include "sluice/kernel.h"
#include "sluice/net.h"
#include "sluice/plat.h"

static struct fw_ctx fw = {
	.opts =
		{
			.mode = FW_MODE_BRIDGE,
			.stats_interval_ms = 5000,
			.reject_rate = 100,
			.reject_burst = 20,
			.log_rate = 10,
			.log_burst = 20,
			.logsink = true,
		},
};
static bool routes_given;

/* ---- options ---- */

static int mode_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (strcmp(v, "bridge") == 0)
		fw.opts.mode = FW_MODE_BRIDGE;
	else if (strcmp(v, "routed") == 0)
		fw.opts.mode = FW_MODE_ROUTED;
	else {
		snprintf(err, errlen, "expected bridge or routed");
		return -EINVAL;
	}
	return 0;
}

/* A config-disk path: printable, so that messages may quote it (it is untrusted). */
static int rules_file_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	return nf_app_path_opt(v, fw.opts.rules_file, sizeof(fw.opts.rules_file), err, errlen);
}

static int route_opt(const char *v, void *ctx, char *err, size_t errlen)
{
	int rc = nf_route_add(&fw.routes, v, err, errlen);

	(void)ctx;
	routes_given |= rc == 0;
	return rc;
}

#define U64(k, field, lo, hi, h)                                                                   \
	{                                                                                          \
		.key = k, .type = CMDLINE_U64, .dst = &fw.opts.field, .min = lo, .max = hi,        \
		.help = h                                                                          \
	}
#define BOOL(k, field, h)                                                                          \
	{                                                                                          \
		.key = k, .type = CMDLINE_BOOL, .dst = &fw.opts.field, .help = h                   \
	}

/* A timeout key: 1 s .. CT_TIMEOUT_MAX (fragments: 1 h); unset keeps Linux's default. */
#define TMO(k, i, hi, h) U64(k, timeouts[i], 1, hi, h)

static const struct cmdline_opt own_opts[] = {
	{.key = "mode", .type = CMDLINE_FUNC, .fn = mode_opt, .help = "bridge (default) or routed"},
	{.key = "rules",
	 .type = CMDLINE_STR,
	 .dst = fw.opts.rules,
	 .dst_size = sizeof(fw.opts.rules),
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
	TMO("ct-timeout-syn-sent", FWT_SYN_SENT, CT_TIMEOUT_MAX, "TCP SYN_SENT(2) s (120)"),
	TMO("ct-timeout-syn-recv", FWT_SYN_RECV, CT_TIMEOUT_MAX, "TCP SYN_RECV s (60)"),
	TMO("ct-timeout-established", FWT_ESTABLISHED, CT_TIMEOUT_MAX,
	    "TCP ESTABLISHED s (432000)"),
	TMO("ct-timeout-fin-wait", FWT_FIN_WAIT, CT_TIMEOUT_MAX, "TCP FIN_WAIT s (120)"),
	TMO("ct-timeout-close-wait", FWT_CLOSE_WAIT, CT_TIMEOUT_MAX, "TCP CLOSE_WAIT s (60)"),
	TMO("ct-timeout-last-ack", FWT_LAST_ACK, CT_TIMEOUT_MAX, "TCP LAST_ACK s (30)"),
	TMO("ct-timeout-time-wait", FWT_TIME_WAIT, CT_TIMEOUT_MAX, "TCP TIME_WAIT s (120)"),
	TMO("ct-timeout-close", FWT_CLOSE, CT_TIMEOUT_MAX, "TCP CLOSE s (10)"),
	TMO("ct-timeout-udp", FWT_UDP, CT_TIMEOUT_MAX, "UDP unreplied s (30)"),
	TMO("ct-timeout-udp-stream", FWT_UDP_STREAM, CT_TIMEOUT_MAX, "UDP stream s (120)"),
	TMO("ct-timeout-icmp", FWT_ICMP, CT_TIMEOUT_MAX, "ICMP/ICMPv6 s (30)"),
	TMO("ct-timeout-generic", FWT_GENERIC, CT_TIMEOUT_MAX, "other protocols s (600)"),
	TMO("frag-timeout", FWT_FRAG, 3600, "IPv4 reassembly s (30)"),
	TMO("frag6-timeout", FWT_FRAG6, 3600, "IPv6 reassembly s (60)"),
	U64("reject-rate", reject_rate, 0, 1000000, "answers to rejected packets per second"),
	U64("reject-burst", reject_burst, 1, 1000000, "answers in a burst"),
	U64("log-rate", log_rate, 0, 1000000, "log lines per second"),
	U64("log-burst", log_burst, 1, 1000000, "log lines in a burst"),
	BOOL("logsink", logsink, "log to the first writable disk too"),
};

/* Ours, then the net library's (bridge mode refuses them: it has no address). */
static struct cmdline_opt fw_cmdline[NF_APP_OPTS_MAX(ARRAY_SIZE(own_opts))];

/* C constructors run before the kernel parses the command line. */
__attribute__((constructor)) static void build_options(void)
{
	nf_app_opts(own_opts, ARRAY_SIZE(own_opts), fw_cmdline, ARRAY_SIZE(fw_cmdline));
}

/* ---- running ---- */

/* Forwarding runs: the summary, then ready (once). */
static void fw_ready(struct fw_ctx *ctx)
{
	const struct fw_ruleset *rs = ctx->filter.rs;

	if (ctx->app.ready)
		return;
	if (ctx->opts.mode == FW_MODE_BRIDGE)
		printf("firewall: bridging net0 <-> net1, %u rules, generation %llu, "
		       "conntrack %u entries\n",
		       rs ? fw_ruleset_nrules(rs) : 0, (unsigned long long)fw_config_generation(),
		       ctx->ct.t.max);
	else
		printf("firewall: routing between %u NICs, %u rules, generation %llu, "
		       "conntrack %u entries\n",
		       net_count(), rs ? fw_ruleset_nrules(rs) : 0,
		       (unsigned long long)fw_config_generation(), ctx->ct.t.max);
	nf_app_ready(&ctx->app);
}

/* The timeout keys given on the command line over Linux's defaults. */
static void apply_timeouts(const struct fw_opts *o, struct ct_cfg *c, struct df_cfg *d)
{
	static const uint8_t tcp_state[FWT_CLOSE + 1] = {
		[FWT_SYN_SENT] = CT_TCP_SYN_SENT,	[FWT_SYN_RECV] = CT_TCP_SYN_RECV,
		[FWT_ESTABLISHED] = CT_TCP_ESTABLISHED, [FWT_FIN_WAIT] = CT_TCP_FIN_WAIT,
		[FWT_CLOSE_WAIT] = CT_TCP_CLOSE_WAIT,	[FWT_LAST_ACK] = CT_TCP_LAST_ACK,
		[FWT_TIME_WAIT] = CT_TCP_TIME_WAIT,	[FWT_CLOSE] = CT_TCP_CLOSE,
	};
	uint32_t *other[FWT_N] = {[FWT_UDP] = &c->udp,	       [FWT_UDP_STREAM] = &c->udp_stream,
				  [FWT_ICMP] = &c->icmp,       [FWT_GENERIC] = &c->generic,
				  [FWT_FRAG] = &d->timeout4_s, [FWT_FRAG6] = &d->timeout6_s};

	/* The option table bounds every value (1 .. CT_TIMEOUT_MAX): they fit 32 bits. */
	for (int i = 0; i < FWT_N; i++) {
		if (!o->timeouts[i])
			continue;
		if (i <= FWT_CLOSE)
			c->tcp_timeout[tcp_state[i]] = (uint32_t)o->timeouts[i];
		else
			*other[i] = (uint32_t)o->timeouts[i];
	}
	/* SYN_SENT2 (a simultaneous open) lives as long as SYN_SENT, as in Linux. */
	if (o->timeouts[FWT_SYN_SENT])
		c->tcp_timeout[CT_TCP_SYN_SENT2] = (uint32_t)o->timeouts[FWT_SYN_SENT];
}

/* Connection table and fragment reassembly, with the timeouts asked for. */
static int start_tracking(struct fw_ctx *ctx)
{
	struct ct_cfg c;
	struct df_cfg d;
	int rc = nf_ct_start(&ctx->ct, (unsigned int)ctx->opts.ct_max, ctx->opts.ct_loose,
			     "firewall");

	if (rc < 0)
		return rc;
	c = ctx->ct.t.cfg;
	df_cfg_default(&d);
	apply_timeouts(&ctx->opts, &c, &d);
	ct_set_cfg(&ctx->ct.t, &c); /* cannot fail: every value is in range */
	rc = nf_defrag_init(&ctx->defrag, &d);
	if (rc < 0)
		printf("firewall: cannot allocate fragment reassembly (%d)\n", rc);
	else
		ctx->ct.defrag = &ctx->defrag.df;
	return rc;
}

/* Options that only one mode takes. */
static int check_mode_opts(void)
{
	if (fw.opts.mode == FW_MODE_BRIDGE && (nf_app_net_opts_given() || routes_given)) {
		printf("firewall: %s are for mode=routed: a bridge has no address\n",
		       routes_given ? "route= keys" : "netN.ip/gw keys");
		return -EINVAL;
	}
	return 0;
}

static int start(struct nf_app *app, void *arg)
{
	struct fw_ctx *ctx = arg;
	char err[200];
	int rc;

	(void)app;
	ctx->ready = fw_ready;
	ctx->filter.log = fw_log;
	ctx->filter.log_arg = ctx;
	ctx->parse.bypass = fw_always_pass;
	nf_drop_reason(&ctx->app.ports, FWD_RULES, "rules");
	nf_drop_reason(&ctx->app.ports, FWD_REJECT, "rejected");
	nf_drop_reason(&ctx->app.ports, FWD_CT_FULL, "ct_full");
	rc = check_mode_opts();
	if (rc == 0)
		rc = fw_config_boot(ctx);
	boot_mark("firewall: rules read and compiled");
	if (rc == 0)
		rc = start_tracking(ctx);
	if (rc < 0)
		return rc;
	ctx->filter.ct = &ctx->ct.t;
	err[0] = '\0';
	rc = ctx->opts.mode == FW_MODE_BRIDGE ? fw_bridge_start(ctx, err, sizeof(err))
					      : fw_routed_start(ctx, err, sizeof(err));
	if (rc < 0) {
		if (err[0])
			printf("firewall: %s\n", err);
		return rc;
	}
	boot_mark("firewall: tracking, ports started");
	fw_stats_start(ctx);
	fw_config_start(); /* failures are reported; the boot rules stay */
	return 0;
}

static int fw_main(void)
{
	nf_app_init(&fw.app, "firewall", "fw", &fw.graph);
	return nf_app_main(&fw.app, start, &fw);
}

const struct sluice_app sluice_app = {
	.name = "firewall",
	.opts = fw_cmdline,
	.main = fw_main,
};

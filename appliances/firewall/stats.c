// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counters, their publication, and the `log` statement's output.
 *
 * Counters: per NIC (the netdev's, plus what the firewall dropped of what
 * arrived there, by reason: the shared ports'), per rule (kept by the
 * ruleset and carried across swaps), the connection table's, the
 * pipeline's, each a section of the shared stats registry
 * (sluice/nf/stats.h) in the order docs/firewall.md gives. Every
 * stats-interval-ms they are published on the host channel as one chunked
 * value, stats (only when they changed: an idle appliance makes no host
 * traffic; sluice/nf/confchan.h), and printed on the console with
 * stats-console=1; the final values are printed at shutdown.
 *
 * Logging: each fired `log` prints one line through the shared layer's
 * rate-limited log (sluice/nf/log.h: log-rate per second, log-burst).
 * The line holds only numbers, our NIC names and the rule's prefix, which
 * the compiler allows to be printable ASCII only: packet bytes never
 * reach the console as text.
 */
#include <stdio.h>
#include <string.h>

#include "fwelem.h"
#include "fwmode.h"
#include "fwsvc.h"
#include "sluice/crc32.h"
#include "sluice/evloop.h"
#include "sluice/hostcfg.h"
#include "sluice/kernel.h"
#include "sluice/nf/confchan.h"
#include "sluice/nf/log.h"
#include "sluice/nf/stats.h"

#define STATS_TAIL 128 /* room kept for the truncation line */
#define MS 1000000ull

typedef unsigned long long ull;

static struct fw_ctx *ctx;  /* the firewall's, given at start */
static struct nf_log lines; /* `log` statements' lines */
static struct timer stats_timer;
static struct nf_publisher publisher;
static struct nf_stats_section sec_gen, sec_ct, sec_reject, sec_rules;

/* ---- logging ---- */

static const char *verdict_name(const struct fw_verdict *v)
{
	return v->action == FW_ACCEPT ? "accept" : v->action == FW_REJECT ? "reject" : "drop";
}

void fw_log(void *arg, const struct pl_pkt *p, const struct fw_verdict *v,
	    const struct fw_logs *logs)
{
	const struct fw_ruleset *rs = ((struct fw_ctx *)arg)->filter.rs;
	char pkt[256], line[400];

	nf_log_missed(&lines, logs->missed);
	for (unsigned int i = 0; i < logs->n && i < FW_LOG_MAX; i++) {
		struct fw_rule_info info;

		if (!nf_log_take(&lines, p->now) || !rs ||
		    fw_rule_info(rs, logs->rule[i], &info) < 0)
			continue;
		nf_format_pkt(p, pkt, sizeof(pkt));
		snprintf(line, sizeof(line), "%s%s rule=%u verdict=%s", info.log_prefix ?: "", pkt,
			 logs->rule[i], verdict_name(v));
		nf_log_line(&lines, line);
	}
}

/* ---- the counters as text ---- */

/* "policy ..." then one "rule N ..." per rule while they fit, then a truncation line. */
static size_t format_rules(void *arg, char *buf, size_t len)
{
	const struct fw_ruleset *rs = ((struct fw_ctx *)arg)->filter.rs;
	size_t pos = 0;
	unsigned int n = rs ? fw_ruleset_nrules(rs) : 0, i;
	struct fw_rule_info info;

	if (rs && pos < len && fw_rule_info(rs, FW_RULE_POLICY, &info) == 0)
		pos += (size_t)snprintf(buf + pos, len - pos, "policy packets=%llu bytes=%llu\n",
					(ull)info.packets, (ull)info.bytes);
	for (i = 0; i < n && pos + STATS_TAIL < len; i++) {
		if (fw_rule_info(rs, i, &info) < 0)
			break;
		pos += (size_t)snprintf(buf + pos, len - pos, "rule %u packets=%llu bytes=%llu\n",
					i, (ull)info.packets, (ull)info.bytes);
	}
	if (i < n && pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos, "rules-truncated shown=%u total=%u\n",
					i, n);
	return pos;
}

static size_t format_generation(void *arg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "generation=%llu\n", (ull)fw_config_generation());

	(void)arg;
	return n < 0 ? 0 : (size_t)n;
}

/* The text's order (docs/firewall.md): generation, nics, ct, reject, pipeline, routed, rules. */
static void add_sections(struct fw_ctx *c)
{
	struct nf_stats *st = &c->app.stats;

	nf_stats_add(st, &sec_gen, "generation", format_generation, NULL);
	nf_app_stats_ports(&c->app);
	nf_stats_add(st, &sec_ct, "ct", nf_ct_format, &c->ct);
	nf_stats_add(st, &sec_reject, "reject", fw_reject_format, &c->rej);
	nf_app_stats_pipeline(&c->app);
	if (c->opts.mode == FW_MODE_ROUTED)
		fw_routed_stats(c);
	nf_stats_add(st, &sec_rules, "rules", format_rules, c);
}

/* ---- publishing ---- */

static void stats_tick(struct timer *t, void *arg)
{
	(void)arg;
	nf_publish(&publisher);
	if (ctx->opts.stats_console)
		nf_app_print(&ctx->app);
	timer_arm_in(t, ctx->opts.stats_interval_ms * MS);
}

int fw_stats_start(struct fw_ctx *c)
{
	ctx = c;
	add_sections(ctx);
	nf_log_init(&lines, "fw", ctx->opts.log_rate, ctx->opts.log_burst, now_ns(),
		    ctx->opts.logsink);
	timer_init(&stats_timer, stats_tick, NULL);
	/* Nobody to publish to and nothing to print: no timer waking an idle appliance. */
	if (!ctx->opts.stats_interval_ms || (!hc_present() && !ctx->opts.stats_console))
		return 0;
	/* The text is the publisher's own: it belongs to the host channel while a write runs. */
	if (nf_publish_init(&publisher, &ctx->app.stats, "firewall", NF_STATS_TEXT) < 0)
		printf("firewall: no memory to publish the counters\n");
	nf_publish(&publisher); /* the host can read the counters' shape from the start */
	timer_arm_in(&stats_timer, ctx->opts.stats_interval_ms * MS);
	return 0;
}

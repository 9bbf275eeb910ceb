// SPDX-License-Identifier: BSD-2-Clause
/*
 * Configuration sources and counters of the load balancer.
 *
 * Sources: config= on the command line (';' between lines) or
 * config-file= on the config disk at boot, then live updates through the
 * shared configuration channel (sluice/nf/confchan.h; `sluice-ctl push`).
 * Every source is untrusted text: it is parsed and prepared to the side
 * (lbstate.c), and only a configuration that is whole replaces the one in
 * force, between packet batches; a bad one changes nothing and says why as
 * "NAME:LINE:COL: message". Established flows never move on a swap.
 *
 * Counters: sections of the shared stats registry, published on the host
 * channel (only when changed) and printed with stats-console=1:
 *   generation=N
 *   nic ... / pipeline ... / neigh ...          (the shared layer's)
 *   lb flows=N max=N created=N expired=N evicted=N table_full=N
 *      rebuilds=N not_service=N
 *   service VIP:PORT/PROTO method=.. scheduler=.. backends=N up=N
 *      new_flows=N active=N packets_in=N bytes_in=N packets_out=N
 *      bytes_out=N no_backend=N
 *   backend VIP:PORT/PROTO ADDR:PORT state=up|down|drain|removed weight=N
 *      checks=N checks_failed=N changed_s=N new_flows=N active=N ...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "sluice/configdisk.h"
#include "sluice/evloop.h"
#include "sluice/hostcfg.h"
#include "sluice/nf/confchan.h"
#include "sluice/nf/stats.h"

#define MS 1000000ull
#define STATS_TAIL 160 /* room kept for the truncation line */

typedef unsigned long long ull;

static struct nf_confchan chan;
static struct nf_publisher publisher;
static struct timer stats_timer;
static struct nf_stats_section sec_gen, sec_lb, sec_svc, sec_neigh;
static struct lb_ctx *ctx;

/* ---- boot ---- */

static int boot_text(struct lb_ctx *c, char **text, size_t *len, const char **name)
{
	int rc;

	*text = NULL;
	if (c->opts.config[0] && c->opts.config_file[0]) {
		printf("lb: give config= or config-file=, not both\n");
		return -EINVAL;
	}
	if (c->opts.config[0]) {
		*name = "config";
		*text = strdup(c->opts.config);
		if (!*text)
			return -ENOMEM;
		/* Byte for byte: error columns stay right. */
		for (char *p = *text; *p; p++)
			if (*p == ';')
				*p = '\n';
		*len = strlen(*text);
		return 0;
	}
	if (!c->opts.config_file[0])
		return 0;
	*name = c->opts.config_file; /* checked printable when the option was parsed */
	if (!configdisk_mounted() && (rc = configdisk_mount(NULL)) < 0 && rc != -EBUSY) {
		printf("lb: config-file '%s': the config disk cannot be used (%d)\n", *name, rc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = configdisk_load(*name, LB_TEXT_MAX, text, len);
	if (rc < 0) {
		printf("lb: config-file '%s': cannot read it (%d)\n", *name, rc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

int lb_config_boot(struct lb_ctx *c)
{
	const char *name = "config";
	char msg[NF_CONF_MSG_MAX], sum[96];
	struct lb_plan *pl;
	size_t len = 0;
	char *text;
	int rc;

	ctx = c;
	rc = boot_text(c, &text, &len, &name);
	if (rc < 0)
		return rc;
	if (!text && !hc_present()) {
		printf("lb: no configuration: give config=\"...\" or config-file=NAME\n");
		return -EINVAL;
	}
	if (!text)
		printf("lb: no boot configuration: no services until the host sends one (%s)\n",
		       hc_transport());
	rc = lb_plan_make(c, text ? text : "", text ? len : 0, name, &pl, msg, sizeof(msg));
	free(text);
	if (rc < 0) {
		printf("lb: %s\n", msg);
		nf_confchan_boot_error(msg); /* tell the host why the appliance stops */
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	lb_plan_apply(c, pl, sum, sizeof(sum));
	printf("lb: %s from %s\n", sum, name);
	return 0;
}

/* ---- live updates ---- */

static int chan_compile(void *arg, const char *text, size_t len, void **out, char *msg,
			size_t msglen)
{
	struct lb_plan *pl;
	/*
	 * "rules" is the name the host side of the protocol replaces with the
	 * pushed file's (tools/ctl_proto.c, ctl_parse_error): FILE:LINE:COL.
	 */
	int rc = lb_plan_make(arg, text, len, "rules", &pl, msg, msglen);

	if (rc == 0)
		*out = pl;
	return rc;
}

/* Called from the event loop, never inside a batch: the swap is atomic for packets. */
static void chan_apply(void *arg, void *compiled, char *sum, size_t sumlen)
{
	lb_plan_apply(arg, compiled, sum, sumlen);
}

static const struct nf_confchan_ops chan_ops = {
	.compile = chan_compile,
	.apply = chan_apply,
};

uint64_t lb_config_generation(void)
{
	return nf_confchan_generation(&chan);
}

int lb_config_start(struct lb_ctx *c)
{
	char sum[96];

	lb_summary(c, sum, sizeof(sum));
	return nf_confchan_start(&chan, &chan_ops, c, "lb", sum);
}

/* ---- counters ---- */

static size_t put(size_t len, size_t pos, int n)
{
	return n < 0 ? pos : pos + (size_t)n > len ? len : pos + (size_t)n;
}

static size_t format_generation(void *arg, char *buf, size_t len)
{
	(void)arg;
	return put(len, 0, snprintf(buf, len, "generation=%llu\n", (ull)lb_config_generation()));
}

static size_t format_lb(void *arg, char *buf, size_t len)
{
	const struct lb_ctx *c = arg;
	const struct lb_flows *t = &c->flows;
	const struct df_stats *d = &c->defrag.df.stats;
	size_t pos;

	pos = put(len, 0,
		  snprintf(buf, len,
			   "lb flows=%u max=%u created=%llu expired=%llu evicted=%llu "
			   "table_full=%llu rebuilds=%llu not_service=%llu resets=%llu "
			   "backend_resets=%llu\n",
			   t->n, t->max, (ull)t->st.created, (ull)t->st.expired, (ull)t->st.evicted,
			   (ull)t->st.full, (ull)c->rebuilds, (ull)c->not_service, (ull)c->resets,
			   (ull)c->backend_resets));
	/* The firewall's defrag line (docs/firewall.md, counters). */
	return put(len, pos,
		   snprintf(buf + pos, len - pos,
			    "defrag held=%u done=%llu overlaps=%llu duplicates=%llu bad=%llu "
			    "timeouts=%llu evicted=%llu limited=%llu\n",
			    df_held(&c->defrag.df), (ull)d->done, (ull)d->overlap, (ull)d->dup,
			    (ull)d->bad, (ull)d->timeouts, (ull)d->evicted,
			    (ull)(d->src_limit + d->too_many)));
}

static const char *be_state(const struct lb_be *b)
{
	if (b->state == LB_SLOT_REMOVED)
		return "removed";
	if (!b->health.up)
		return "down";
	return b->drain || !b->weight ? "drain" : "up";
}

static int ctr(char *buf, size_t len, const struct lb_ctr *k)
{
	return snprintf(buf, len,
			"new_flows=%llu active=%u packets_in=%llu bytes_in=%llu packets_out=%llu "
			"bytes_out=%llu",
			(ull)k->new_flows, k->active, (ull)k->pkts_in, (ull)k->bytes_in,
			(ull)k->pkts_out, (ull)k->bytes_out);
}

static size_t format_be(const struct lb_ctx *c, const struct lb_be *b, const char *svc, char *buf,
			size_t len)
{
	const struct lb_svc *s = &c->svc[b->svc];
	char ep[64];
	size_t pos;

	lb_format_ep(&b->addr, s->cfg.v6, b->port, ep, sizeof(ep));
	pos = put(len, 0,
		  snprintf(buf, len,
			   "backend %s %s state=%s weight=%u checks=%llu checks_failed=%llu "
			   "changed_s=%llu ",
			   svc, ep, be_state(b), b->weight, (ull)b->health.checks,
			   (ull)b->health.failed,
			   (ull)((now_ns() - b->changed_ns) / 1000000000ull)));
	pos = put(len, pos, ctr(buf + pos, len - pos, &b->c));
	return put(len, pos, snprintf(buf + pos, len - pos, "\n"));
}

static size_t format_svc(const struct lb_ctx *c, const struct lb_svc *s, char *buf, size_t len)
{
	static const char *const meth[] = {"nat", "fullnat", "dsr"}, *const sch[] = {"maglev",
										     "wrr", "lc"};
	unsigned int up = 0;
	char ep[80];
	size_t pos;

	for (unsigned int i = 0; i < s->nbe; i++)
		up += lb_be_eligible(&c->be[s->be[i]]);
	lb_format_ep(&s->cfg.vip, s->cfg.v6, s->cfg.port, ep, sizeof(ep));
	strncat(ep, s->cfg.proto == 6 ? "/tcp" : "/udp", sizeof(ep) - strlen(ep) - 1);
	pos = put(len, 0,
		  snprintf(buf, len,
			   "service %s state=%s method=%s scheduler=%s backends=%u up=%u ", ep,
			   s->state == LB_SLOT_LIVE ? "live" : "removed", meth[s->cfg.method],
			   sch[s->cfg.sched], s->nbe, up));
	pos = put(len, pos, ctr(buf + pos, len - pos, &s->c));
	pos = put(len, pos,
		  snprintf(buf + pos, len - pos, " no_backend=%llu\n", (ull)s->no_backend));
	for (int i = 0; i < LB_BE_SLOTS && pos + STATS_TAIL < len; i++)
		if (c->be[i].state != LB_SLOT_FREE && c->be[i].svc == s - c->svc)
			pos = put(len, pos, format_be(c, &c->be[i], ep, buf + pos, len - pos));
	return pos;
}

static size_t format_services(void *arg, char *buf, size_t len)
{
	const struct lb_ctx *c = arg;
	size_t pos = 0;
	int i;

	for (i = 0; i < LB_SVC_SLOTS && pos + STATS_TAIL < len; i++)
		if (c->svc[i].state != LB_SLOT_FREE)
			pos = put(len, pos, format_svc(c, &c->svc[i], buf + pos, len - pos));
	if (i < LB_SVC_SLOTS && pos < len)
		pos = put(len, pos, snprintf(buf + pos, len - pos, "services-truncated\n"));
	return pos;
}

static void stats_tick(struct timer *t, void *arg)
{
	(void)arg;
	nf_publish(&publisher);
	if (ctx->opts.stats_console)
		nf_app_print(&ctx->app);
	timer_arm_in(t, ctx->opts.stats_interval_ms * MS);
}

int lb_stats_start(struct lb_ctx *c)
{
	struct nf_stats *st = &c->app.stats;

	ctx = c;
	nf_stats_add(st, &sec_gen, "generation", format_generation, NULL);
	nf_app_stats_ports(&c->app);
	nf_stats_add(st, &sec_lb, "lb", format_lb, c);
	nf_app_stats_pipeline(&c->app);
	nf_stats_add(st, &sec_neigh, "neigh", lb_neigh_format, NULL);
	nf_stats_add(st, &sec_svc, "services", format_services, c);
	timer_init(&stats_timer, stats_tick, NULL);
	/* Nobody to publish to and nothing to print: no timer waking an idle appliance. */
	if (!c->opts.stats_interval_ms || (!hc_present() && !c->opts.stats_console))
		return 0;
	if (nf_publish_init(&publisher, st, "lb", NF_STATS_TEXT) < 0)
		printf("lb: no memory to publish the counters\n");
	nf_publish(&publisher);
	timer_arm_in(&stats_timer, c->opts.stats_interval_ms * MS);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counters, their publication, and the `log` statement's output.
 *
 * Counters: per NIC (the netdev's, plus what the firewall dropped of what
 * arrived there, by reason), per rule (kept by the ruleset and carried
 * across swaps), the connection table's, the pipeline's. Every
 * stats-interval-ms they are written to xenstore as one chunked value,
 * data/sluice/stats (only when they changed: an idle appliance makes no
 * xenstore traffic), and printed on the console with stats-console=1; the
 * final values are printed at shutdown. The format is in docs/firewall.md.
 *
 * Logging: each fired `log` prints one line, through a token bucket
 * (log-rate per second, log-burst), so a flood of logged packets cannot
 * drown the console or the log disk; suppressed lines are counted and
 * reported once logging resumes. The line holds only numbers, our NIC
 * names and the rule's prefix, which the compiler allows to be printable
 * ASCII only: packet bytes never reach the console as text.
 */
#include <stdio.h>
#include <string.h>

#include "fwapp.h"
#include "sluice/blkdev.h"
#include "sluice/configdisk.h"
#include "sluice/crc32.h"
#include "sluice/evloop.h"
#include "sluice/kernel.h"
#include "sluice/logsink.h"
#include "sluice/netdev.h"
#include "sluice/plat.h"
#include "sluice/xen_plat.h"

#define STATS_MAX (64 * 1024) /* bytes of published text: 32 xenstore chunks */
#define STATS_TAIL 128	      /* room kept for the truncation line */
#define MS 1000000ull

typedef unsigned long long ull;

const char *const fw_drop_names[FWD_REASONS] = {
	[FWD_OTHER] = "other",		 [FWD_MALFORMED] = "malformed",
	[FWD_LINK_LOCAL] = "link_local", [FWD_RULES] = "rules",
	[FWD_REJECT] = "rejected",	 [FWD_CT_FULL] = "ct_full",
	[FWD_QUEUE] = "queue_full",	 [FWD_NOT_OURS] = "not_ours",
	[FWD_NO_ROUTE] = "no_route",	 [FWD_TTL] = "ttl",
	[FWD_NO_NEIGH] = "no_neigh",	 [FWD_UNSUPPORTED] = "unsupported",
	[FWD_NOBUF] = "nobuf",
};

static uint64_t drops[PL_IFS_MAX][FWD_REASONS];
static struct pl_tbf log_tbf;
static uint64_t log_suppressed, log_lines;
static bool logsink_on;
static struct timer stats_timer;
static uint32_t last_crc;
static bool published_once, publish_failing;
static char text[STATS_MAX];

void fw_count_drop(uint32_t iif, enum fw_drop why)
{
	if (iif < PL_IFS_MAX && (unsigned int)why < FWD_REASONS)
		drops[iif][why]++;
}

void fw_release(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by)
{
	enum fw_drop why = (enum fw_drop)p->reason;

	(void)g;
	if (!by) /* the core's own reasons */
		why = p->reason == PL_CORE_QUEUE_FULL ? FWD_QUEUE : FWD_MALFORMED;
	fw_count_drop(p->iif, why);
	pktbuf_free(p->buf);
}

/* ---- addresses ---- */

void fw_format_addr(const struct pkt_addr *a, bool v6, char *buf, size_t len)
{
	uint16_t w[8];
	int best = -1, best_n = 1, pos = 0;

	if (!v6) {
		snprintf(buf, len, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
		return;
	}
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
	/* RFC 5952: the longest run of two or more zero groups (the first of equals) is "::". */
	for (int i = 0; i < 8;) {
		int n = 0;

		while (i + n < 8 && w[i + n] == 0)
			n++;
		if (n > best_n) {
			best = i;
			best_n = n;
		}
		i += n ? n : 1;
	}
	buf[0] = '\0';
	for (int i = 0; i < 8 && pos < (int)len; i++) {
		if (i == best) {
			pos += snprintf(buf + pos, len - (size_t)pos, "::");
			i += best_n - 1;
			continue;
		}
		pos += snprintf(buf + pos, len - (size_t)pos, "%s%x",
				i && i != best + best_n ? ":" : "", w[i]);
	}
}

/* ---- logging ---- */

static const char *verdict_name(const struct fw_verdict *v)
{
	return v->action == FW_ACCEPT ? "accept" : v->action == FW_REJECT ? "reject" : "drop";
}

static size_t format_l4(const struct pkt_meta *m, char *b, size_t len)
{
	static const char flag_names[] = "FSRPAU";
	char flags[8];
	unsigned int n = 0;

	if (!(m->flags & PKT_HAS_L4))
		return (size_t)snprintf(b, len, " PROTO=%u", m->proto);
	if (m->proto == 1 || m->proto == 58)
		return (size_t)snprintf(b, len, " PROTO=%s TYPE=%u CODE=%u",
					m->proto == 1 ? "ICMP" : "ICMPv6", m->icmp_type,
					m->icmp_code);
	if (m->proto != 6)
		return (size_t)snprintf(b, len, " PROTO=%s SPT=%u DPT=%u",
					m->proto == 17 ? "UDP" : "L4", m->sport, m->dport);
	for (unsigned int i = 0; i < 6; i++)
		if (m->tcp_flags & (1u << i))
			flags[n++] = flag_names[i];
	flags[n] = '\0';
	return (size_t)snprintf(b, len, " PROTO=TCP SPT=%u DPT=%u FLAGS=%s", m->sport, m->dport,
				n ? flags : "-");
}

/* "IN=net0 OUT=net1 SRC=... DST=... LEN=60 PROTO=TCP SPT=.. DPT=.. FLAGS=S" */
static void format_packet(const struct pl_pkt *p, char *b, size_t len)
{
	const struct pkt_meta *m = &p->meta;
	char s[48], d[48], out[16] = "";
	size_t pos;

	if (p->oif != PL_IF_NONE)
		snprintf(out, sizeof(out), "net%u", p->oif);
	pos = (size_t)snprintf(b, len, "IN=net%u OUT=%s", p->iif, out);
	if (pos < len && (m->flags & PKT_VLAN))
		pos += (size_t)snprintf(b + pos, len - pos, " VLAN=%u", m->vlan);
	if (pos < len && (m->l3 == PKT_L3_IPV4 || m->l3 == PKT_L3_IPV6)) {
		fw_format_addr(&m->saddr, m->l3 == PKT_L3_IPV6, s, sizeof(s));
		fw_format_addr(&m->daddr, m->l3 == PKT_L3_IPV6, d, sizeof(d));
		/* LEN is the IP packet's, as iptables says it (the frame's for non-IP). */
		pos += (size_t)snprintf(b + pos, len - pos, " SRC=%s DST=%s LEN=%u TTL=%u%s", s, d,
					m->l4_off >= m->l3_off
						? (unsigned int)(m->l4_off + m->l4_len - m->l3_off)
						: p->len, /* a header too short to say */
					m->ttl, m->flags & PKT_FRAGMENT ? " FRAG" : "");
		if (pos < len && !(m->frag_off))
			pos += format_l4(m, b + pos, len - pos);
	} else if (pos < len) {
		pos += (size_t)snprintf(b + pos, len - pos, " ETHERTYPE=0x%04x LEN=%u",
					m->ethertype, p->len);
	}
	if (pos < len && (m->flags & PKT_MALFORMED))
		snprintf(b + pos, len - pos, " MALFORMED");
}

static void log_line(const char *line)
{
	printf("fw: %s\n", line);
	if (logsink_on)
		logsink_printf("fw: %s", line);
	log_lines++;
}

void fw_log(const struct pl_pkt *p, const struct fw_verdict *v, const struct fw_logs *logs)
{
	const struct fw_ruleset *rs = fw_live_rules();
	char pkt[256], line[400];

	log_suppressed += logs->missed;
	for (unsigned int i = 0; i < logs->n && i < FW_LOG_MAX; i++) {
		struct fw_rule_info info;

		if (!pl_tbf_take(&log_tbf, p->now)) {
			log_suppressed++;
			continue;
		}
		if (log_suppressed) {
			snprintf(line, sizeof(line), "%llu log messages suppressed (log-rate)",
				 (ull)log_suppressed);
			log_suppressed = 0;
			log_line(line);
		}
		if (!rs || fw_rule_info(rs, logs->rule[i], &info) < 0)
			continue;
		format_packet(p, pkt, sizeof(pkt));
		snprintf(line, sizeof(line), "%s%s rule=%u verdict=%s", info.log_prefix ?: "", pkt,
			 logs->rule[i], verdict_name(v));
		log_line(line);
	}
}

/* ---- the counters as text ---- */

/* Everything that arrived on NIC @i and was not forwarded, and what could not leave by it. */
static uint64_t nic_drops(unsigned int i)
{
	const struct netdev_stats *s = &fw_nics[i]->stats;
	uint64_t n = s->rx_drops + s->rx_errors + s->tx_drops + s->tx_errors;

	for (unsigned int r = 0; r < FWD_REASONS; r++)
		n += drops[i][r];
	return n;
}

static size_t format_head(char *buf, size_t len)
{
	const struct ct_stats *c = &fw_ct.stats;
	uint64_t sent, limited, unans, nobuf;
	size_t pos;

	pos = (size_t)snprintf(buf, len, "generation=%llu\n", (ull)fw_config_generation());
	for (unsigned int i = 0; i < fw_nnics && pos < len; i++) {
		const struct netdev_stats *s;

		if (!fw_nics[i])
			continue; /* routed: a NIC that failed to start */
		s = &fw_nics[i]->stats;
		pos += (size_t)snprintf(buf + pos, len - pos,
					"nic %s rx_packets=%llu rx_bytes=%llu tx_packets=%llu "
					"tx_bytes=%llu drops=%llu\n",
					fw_nics[i]->name, (ull)s->rx_packets, (ull)s->rx_bytes,
					(ull)s->tx_packets, (ull)s->tx_bytes, (ull)nic_drops(i));
	}
	if (pos < len)
		pos += (size_t)snprintf(buf + pos, len - pos,
					"ct entries=%u full=%llu evictions=%llu\n", c->entries,
					(ull)c->full, (ull)c->evictions);
	fw_reject_stats(&sent, &limited, &unans, &nobuf);
	if (pos < len)
		pos += (size_t)snprintf(
			buf + pos, len - pos,
			"reject sent=%llu limited=%llu unanswerable=%llu nobuf=%llu\n", (ull)sent,
			(ull)limited, (ull)unans, (ull)nobuf);
	if (pos < len)
		pos += (size_t)snprintf(
			buf + pos, len - pos, "pipeline batches=%llu packets=%llu max_batch=%llu\n",
			(ull)fw_graph.batches, (ull)fw_graph.packets, (ull)fw_graph.max_batch);
	return pos;
}

/* "policy ..." then one "rule N ..." per rule while they fit, then a truncation line. */
static size_t format_rules(char *buf, size_t len, size_t pos)
{
	const struct fw_ruleset *rs = fw_live_rules();
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

size_t fw_stats_format(char *buf, size_t len)
{
	size_t pos;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	pos = format_head(buf, len);
	if (pos < len)
		pos += fw_routed_format(buf + pos, len - pos);
	pos = format_rules(buf, len, MIN(pos, len));
	return MIN(pos, len - 1);
}

/* Console extras: where the drops went, per NIC. */
static void print_drops(void)
{
	for (unsigned int i = 0; i < fw_nnics; i++) {
		const struct netdev_stats *s;
		char line[400];
		size_t pos;

		if (!fw_nics[i])
			continue;
		s = &fw_nics[i]->stats;
		pos = (size_t)snprintf(line, sizeof(line), "fw: %s drops:", fw_nics[i]->name);

		for (unsigned int r = 0; r < FWD_REASONS && pos < sizeof(line); r++)
			if (drops[i][r])
				pos += (size_t)snprintf(line + pos, sizeof(line) - pos, " %s=%llu",
							fw_drop_names[r], (ull)drops[i][r]);
		if (pos < sizeof(line))
			snprintf(line + pos, sizeof(line) - pos,
				 " nic_rx_drops=%llu nic_rx_errors=%llu nic_tx_drops=%llu "
				 "nic_tx_errors=%llu",
				 (ull)s->rx_drops, (ull)s->rx_errors, (ull)s->tx_drops,
				 (ull)s->tx_errors);
		printf("%s\n", line);
	}
}

void fw_stats_print(void)
{
	size_t n = fw_stats_format(text, sizeof(text));
	const char *p = text, *end = text + n;

	/* Line by line with a prefix, so the console log greps cleanly. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int l = (int)((nl ? nl : end) - p);

		printf("fw: %.*s\n", l, p);
		p += l + 1;
	}
	print_drops();
}

/* ---- publishing ---- */

static void publish(void)
{
	size_t n = fw_stats_format(text, sizeof(text));
	uint32_t crc = crc32_update(0, text, n);
	int rc;

	if (published_once && crc == last_crc)
		return; /* nothing moved: no xenstore traffic */
	rc = xs_write_chunked(&xen_xs, "data/sluice/stats", text, n);
	if (rc < 0) {
		if (!publish_failing)
			printf("firewall: cannot publish data/sluice/stats (%d)\n", rc);
		publish_failing = true;
		return;
	}
	publish_failing = false;
	published_once = true;
	last_crc = crc;
}

static void stats_tick(struct timer *t, void *arg)
{
	(void)arg;
	if (plat_kind == PLAT_XEN)
		publish();
	if (fw_opts.stats_console)
		fw_stats_print();
	timer_arm_in(t, fw_opts.stats_interval_ms * MS);
}

/* The log disk: the first writable disk (the config disk is read-only). */
static void open_logsink(void)
{
	for (unsigned int i = 0; i < blkdev_count(); i++) {
		struct blkdev *dev = blkdev_get(i);

		if (dev->readonly || dev == configdisk_device())
			continue;
		/* logsink_open prints the outcome; it never overwrites a foreign disk. */
		logsink_on = logsink_open(dev) == 0;
		return;
	}
}

int fw_stats_start(void)
{
	pl_tbf_init(&log_tbf, fw_opts.log_rate, fw_opts.log_burst, now_ns());
	if (fw_opts.logsink)
		open_logsink();
	timer_init(&stats_timer, stats_tick, NULL);
	/* Nowhere to publish and nothing to print: no timer waking an idle appliance. */
	if (!fw_opts.stats_interval_ms || (plat_kind != PLAT_XEN && !fw_opts.stats_console))
		return 0;
	if (plat_kind == PLAT_XEN)
		publish(); /* the host can read the counters' shape from the start */
	timer_arm_in(&stats_timer, fw_opts.stats_interval_ms * MS);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The firewall appliance's types (docs/firewall.md): its options, its drop
 * reasons and the one context every part is handed, struct fw_ctx.
 *
 * Parts and their headers, each including only what it uses (no part's
 * header includes another part's):
 *   firewall.c  options, main, readiness
 *   fwelem.h    fwfilter.c (the filter element, the parse bypass),
 *               fwreject.c (which answer a reject gives), fwreply.c (the
 *               reject branch)
 *   fwmode.h    bridge.c, routed.c: the graph wiring of each mode
 *   fwsvc.h     config.c (rule sources), stats.c (counters, logging)
 *   fwconf.h    fwconf.c: pure parsing of configuration text
 * The generic parts (pipeline, parse and conntrack elements, ports,
 * answers, router elements, neighbours, routes, stats registry, log lines,
 * the appliance skeleton) are the shared layer's, in nf/ (sluice/nf/).
 */
#ifndef SLUICE_FW_H
#define SLUICE_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/fwrules.h"
#include "sluice/nf/app.h"
#include "sluice/nf/ct.h"
#include "sluice/nf/defrag.h"
#include "sluice/nf/parse.h"
#include "sluice/nf/pipeline.h"
#include "sluice/nf/port.h"
#include "sluice/nf/route.h"

enum fw_mode { FW_MODE_BRIDGE, FW_MODE_ROUTED };

/* The firewall's own drop reasons, after the shared layer's (enum nf_drop). */
enum fw_drop {
	FWD_RULES = NF_DROP_APP, /* a drop verdict (rule or policy) */
	FWD_REJECT,		 /* a reject verdict (an answer may have been sent) */
	FWD_CT_FULL,		 /* accepted, but the connection table was full */
};

/* pl_pkt.anno slots: the filter's verdict (const struct fw_verdict *) for the reject branch. */
#define FW_ANNO_VERDICT 0

/*
 * Timeout keys (seconds; 0: not given, Linux's default from
 * ct_cfg_default() / df_cfg_default()), fw_opts.timeouts[] by index.
 */
enum fw_timeout {
	FWT_SYN_SENT,
	FWT_SYN_RECV,
	FWT_ESTABLISHED,
	FWT_FIN_WAIT,
	FWT_CLOSE_WAIT,
	FWT_LAST_ACK,
	FWT_TIME_WAIT,
	FWT_CLOSE,
	FWT_UDP,
	FWT_UDP_STREAM,
	FWT_ICMP,
	FWT_GENERIC,
	FWT_FRAG,
	FWT_FRAG6,
	FWT_N,
};

struct fw_opts {
	enum fw_mode mode;
	char rules[4096];     /* rules= (';' separates lines) */
	char rules_file[128]; /* rules-file= on the config disk */
	uint64_t stats_interval_ms;
	bool stats_console;
	uint64_t ct_max; /* 0: sized from memory */
	bool ct_loose;
	uint64_t timeouts[FWT_N];
	uint64_t reject_rate, reject_burst;
	uint64_t log_rate, log_burst;
	bool logsink;
};

typedef void (*fw_log_fn)(void *arg, const struct pl_pkt *p, const struct fw_verdict *v,
			  const struct fw_logs *logs);

/* The filter element's state: the live ruleset. */
struct fw_filter {
	struct fw_ruleset *rs;
	struct ct_table *ct;
	uint64_t carry_failures; /* counters that could not be carried at a swap */
	fw_log_fn log;		 /* `log` statements that fired (NULL: ignored) */
	void *log_arg;
};

/* The reject branch: a rate limit, then an answer out of the ingress port. */
struct fw_rejecter {
	struct nf_ports *ports;
	struct pl_tbf tbf;
	struct pl_elem limit_e, reject_e;
	uint64_t sent, unanswerable, nobuf;
};

struct fw_ctx {
	struct fw_opts opts;
	struct nf_app app; /* ports, stats registry, the graph's runner */
	struct pl_graph graph;
	struct nf_ct ct;
	struct nf_defrag defrag; /* in front of ct: the rules see whole datagrams */
	struct fw_filter filter;
	struct nf_parse parse; /* bypass: fw_always_pass */
	struct fw_rejecter rej;
	struct pl_elem *filter_elem;	   /* where new rules are staged */
	struct nf_routes routes;	   /* routed mode */
	void (*ready)(struct fw_ctx *ctx); /* forwarding runs: once, from the mode */
};

#endif

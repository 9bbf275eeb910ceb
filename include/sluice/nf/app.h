/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The skeleton of a pipeline appliance: its main is "parse options (the
 * kernel did, from the app's table), bring ports up, build graphs, run".
 *
 *	static int start(struct nf_app *a, void *arg) { bind ports, build graphs }
 *	static int my_main(void) { nf_app_init(&app, "lb", "lb", &graph);
 *				   return nf_app_main(&app, start, NULL); }
 *
 * One image may run several network functions, each with its graph, joined
 * in a chain: a pl_join element at the end of one graph queues packets on
 * the next (nf_app_add_graph, then pl_join). One work item runs the chain
 * in order after every receive. The port set, the stats registry and the
 * readiness belong to the image.
 */
#ifndef SLUICE_NF_APP_H
#define SLUICE_NF_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/cmdline.h"
#include "sluice/evloop.h"
#include "sluice/nf/pipeline.h"
#include "sluice/nf/port.h"
#include "sluice/nf/stats.h"

#define NF_GRAPHS_MAX 4
#define NF_STATS_TEXT (64 * 1024) /* bytes of stats text (32 xenstore chunks) */

struct nf_app {
	const char *name;   /* console messages, e.g. "firewall" */
	const char *prefix; /* stats lines on the console, e.g. "fw" */
	struct pl_graph *graphs[NF_GRAPHS_MAX];
	unsigned int ngraphs;
	struct work run;
	struct nf_ports ports;
	struct nf_stats stats;
	struct nf_stats_section sec_ports, sec_pl[NF_GRAPHS_MAX];
	bool ready;
	char text[NF_STATS_TEXT]; /* the console summary's buffer */
};

/* Entries of an option table of @nown own options followed by the net library's. */
#define NF_APP_OPTS_MAX(nown) ((nown) + 40) /* the net library has ~4 keys per NIC (net.h) */
/*
 * Fill @out (@cap entries) with @own's options, then the net library's
 * (netN.ip= ...), each wrapped so that nf_app_net_opts_given() tells
 * whether any was given, then the terminator. From a constructor: the
 * kernel parses the command line before main.
 */
void nf_app_opts(const struct cmdline_opt *own, size_t nown, struct cmdline_opt *out, size_t cap);
bool nf_app_net_opts_given(void);
/*
 * A config-disk path option (rules-file=, config-file=) into @dst (@cap
 * bytes): printable ASCII without blanks or quotes, so that messages may
 * quote it. 0 or -EINVAL with the reason in @err.
 */
int nf_app_path_opt(const char *v, char *dst, size_t cap, char *err, size_t errlen);

/* Set up @a with @first as its entry graph: received frames are queued there. */
void nf_app_init(struct nf_app *a, const char *name, const char *prefix, struct pl_graph *first);
/* Add a downstream graph (fed by a pl_join); runs after those added before. 0 or -E2BIG. */
int nf_app_add_graph(struct nf_app *a, struct pl_graph *g);
/*
 * The shared stats sections, registered where the app wants them in its
 * text: the ports' "nic ..." lines, each graph's "pipeline ..." line.
 */
void nf_app_stats_ports(struct nf_app *a);
void nf_app_stats_pipeline(struct nf_app *a);
/* pl_check every graph: 0 or -EINVAL (@err). */
int nf_app_check(struct nf_app *a, char *err, size_t errlen);
/* Ready: mark the kernel ready once (the app printed its summary). */
void nf_app_ready(struct nf_app *a);
/* The console summary: every stats section, then the drops per port. */
void nf_app_print(struct nf_app *a);
/*
 * The appliance's main: @start (bind and start ports, build and check
 * graphs), print the graphs, run the event loop, print the final
 * counters. Returns the exit status (SLUICE_EXIT_CONFIG for -EINVAL and
 * -ENODEV from @start).
 */
int nf_app_main(struct nf_app *a, int (*start)(struct nf_app *a, void *arg), void *arg);

#endif

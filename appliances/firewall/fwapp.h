/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal interfaces of the firewall appliance (docs/firewall.md):
 * firewall.c (main, options), fwfilter.c (parse, conntrack and filter
 * elements), fwreject.c (answers to rejected packets), bridge.c (bridge
 * mode, output elements), routed.c and neigh.c (routed mode), config.c
 * (rule sources, xenstore updates), fwconf.c (their pure parsing),
 * stats.c (counters, publishing, logging).
 *
 * The pure parts (fwconf.c, fwreject.c's builders, fwfilter.c's
 * fw_always_pass) are also built into the host unit test
 * (tests/unit/test_fwapp.c); everything else runs in the kernel.
 */
#ifndef SLUICE_FWAPP_H
#define SLUICE_FWAPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/conntrack.h"
#include "sluice/fwrules.h"
#include "sluice/pipeline.h"
#include "sluice/pktmeta.h"

struct netdev;
struct netif;
struct pktbuf;

enum fw_mode { FW_MODE_BRIDGE, FW_MODE_ROUTED };

/* Why a packet was dropped (pl_pkt.reason), counted per ingress NIC. */
enum fw_drop {
	FWD_OTHER,	 /* no reason given (an unconnected port) */
	FWD_MALFORMED,	 /* shorter than an Ethernet header, bad buffer */
	FWD_LINK_LOCAL,	 /* 802.1D reserved group address (STP, LLDP): never bridged */
	FWD_RULES,	 /* a drop verdict (rule or policy) */
	FWD_REJECT,	 /* a reject verdict (an answer may have been sent) */
	FWD_CT_FULL,	 /* accepted, but the connection table was full */
	FWD_QUEUE,	 /* the pipeline's input queue was full */
	FWD_NOT_OURS,	 /* routed: a unicast frame for another MAC address */
	FWD_NO_ROUTE,	 /* routed: no route to the destination */
	FWD_TTL,	 /* routed: TTL / hop limit exhausted */
	FWD_NO_NEIGH,	 /* routed: the next hop did not answer ARP / ND */
	FWD_UNSUPPORTED, /* routed: VLAN-tagged or not IP; a checksum we cannot fill */
	FWD_NOBUF,	 /* no buffer for an answer */
	FWD_REASONS,
};

extern const char *const fw_drop_names[FWD_REASONS];

/* ---- firewall.c: options and shared state ---- */

struct fw_opts {
	enum fw_mode mode;
	char rules[4096];     /* rules= (';' separates lines) */
	char rules_file[128]; /* rules-file= on the config disk */
	uint64_t stats_interval_ms;
	bool stats_console;
	uint64_t ct_max; /* 0: sized from memory */
	bool ct_loose;
	uint64_t reject_rate, reject_burst;
	uint64_t log_rate, log_burst;
	bool logsink;
};

extern struct fw_opts fw_opts;
extern struct pl_graph fw_graph;
extern struct ct_table fw_ct;
extern struct fw_filter fw_filter;     /* the filter element's state: the live ruleset */
extern struct pl_elem *fw_filter_elem; /* the filter element of the graph */

/* NICs the appliance forwards between (by netdev index). */
extern unsigned int fw_nnics;
extern struct netdev *fw_nics[PL_IFS_MAX];

/* The netdev RX handler of both modes: queue for the pipeline. */
void fw_rx(struct netdev *dev, struct pktbuf *pkt, void *arg);
/* Ready once forwarding runs (prints the summary, kernel_mark_ready). */
void fw_set_ready(void);

/* ---- fwfilter.c: parse, conntrack, filter ---- */

struct fw_parse {
	uint32_t peer[PL_IFS_MAX]; /* bridge: the other port, else PL_IF_NONE */
};

struct fw_filter {
	struct fw_ruleset *rs;
	struct ct_table *ct;
	uint64_t carry_failures; /* counters that could not be carried at a swap */
};

/* Port 0: filter it; port 1: ARP, ND and MLD, which pass regardless of rules. */
extern const struct pl_class fw_parse_class;
extern const struct pl_class fw_ct_class;     /* priv: struct ct_table */
extern const struct pl_class fw_filter_class; /* port 0 accept, port 1 reject */
/* Well-formed ARP, IPv6 neighbour discovery (RS/RA/NS/NA) and MLD. */
bool fw_always_pass(const struct pkt_meta *m);
/* The live ruleset. */
const struct fw_ruleset *fw_live_rules(void);

/* ---- fwreject.c: answers (pure) ---- */

enum fw_answer { FWA_NONE, FWA_TCP_RST, FWA_ICMP, FWA_ICMPV6 };

/* Which answer a reject verdict gives @m; the ICMP type and code in *@type, *@code. */
enum fw_answer fw_reject_choose(const struct pkt_meta *m, uint8_t reject, uint8_t code,
				uint8_t *type, uint8_t *icode);
/*
 * Build the answer to @frame (@len bytes, parsed into @m) into @out: the
 * L2 header of the frame with the MAC addresses swapped, then a TCP RST or
 * an ICMP/ICMPv6 error from the packet's destination to its source.
 * Returns its length (padded to 60), or 0 when nothing may be sent.
 */
size_t fw_reject_build(const uint8_t *frame, size_t len, const struct pkt_meta *m, uint8_t reject,
		       uint8_t code, uint8_t *out, size_t cap);
/*
 * Fill in a checksum left blank by a peer (PKT_CSUM_BLANK): the ones'
 * complement sum from @start to the end, stored at @start + @offset. 0 or
 * -EINVAL (offsets outside the frame).
 */
int fw_csum_fill(uint8_t *frame, size_t len, uint16_t start, uint16_t offset);
/* Ones' complement sum helpers. */
uint32_t fw_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t fw_csum_fold(uint32_t sum);

/* ---- bridge.c: bridge mode, output elements ---- */

int fw_bridge_start(char *err, size_t errlen);
/* Transmit on p->oif (the same buffer): always PL_STOLEN. */
extern const struct pl_class fw_tx_class;
/* Answer a rejected packet out of its ingress NIC (bridge.c's own state). */
extern const struct pl_class fw_reject_class;
void fw_reject_pool_init(void);
/* A page for a frame of our own (answers, probes), or NULL. */
struct pktbuf *fw_tx_alloc(void);
/* Add the reject branch (rate limit, then answer) to fw_graph; *@first is its entry. */
int fw_add_reject(struct pl_elem **first);
void fw_reject_stats(uint64_t *sent, uint64_t *limited, uint64_t *unanswerable, uint64_t *nobuf);
/*
 * Send @buf on NIC @oif (ownership passes), filling in a checksum a peer
 * left blank (PKT_CSUM_BLANK) when the NIC cannot. 0, or -errno (then it
 * was freed): -EPROTO (a blank checksum we cannot fill: counted by the
 * caller), -ENODEV, and netdev_tx()'s (counted by netdev: -EAGAIN, the
 * ring was full).
 */
int fw_send(struct pktbuf *buf, uint32_t oif);

/* ---- routed.c, neigh.c: routed mode ---- */

/* route= (repeatable): parse and remember one static route. */
int fw_route_opt(const char *value, void *ctx, char *err, size_t errlen);
int fw_routed_start(char *err, size_t errlen);
/* Routed mode's counters for the stats ("routed ..." line); returns strlen. */
size_t fw_routed_format(char *buf, size_t len);
/* The lwIP netif of NIC @ifindex (routed mode), or NULL. */
struct netif *fw_netif(uint32_t ifindex);

/* neigh.c: next-hop resolution (ARP, IPv6 ND) for forwarded packets. */
int fw_neigh_init(void);
/*
 * Send @buf (an IP packet in an Ethernet frame, TTL already done) to next
 * hop @nh on NIC @oif: MAC addresses rewritten and sent at once when the
 * neighbour is known, else queued while it is resolved. 0 (sent or
 * queued); -EHOSTUNREACH (dropped, freed: the neighbour does not answer).
 */
int fw_neigh_output(struct pktbuf *buf, uint32_t iif, uint32_t oif, bool v6,
		    const struct pkt_addr *nh, uint64_t now);
/* Learn from ARP and ND seen on the way to lwIP. */
void fw_neigh_snoop(const struct pl_pkt *p);
size_t fw_neigh_format(char *buf, size_t len);

/* ---- config.c: rule sources ---- */

/* Boot rules from rules= / rules-file=: 0, or -errno with a message printed. */
int fw_config_boot(void);
/* Xen: announce the appliance and watch for rule updates. */
int fw_config_xen_start(void);
/* Active generation (0: the boot rules). */
uint64_t fw_config_generation(void);

/* ---- fwconf.c: pure parsing for config.c and routed.c ---- */

/*
 * Turn inline rules (';' separates lines, except inside "strings") into
 * rule text in place: each separator becomes '\n', so columns stay right.
 * Returns the number of lines.
 */
unsigned int fwconf_inline(char *text);
/*
 * A config-generation value: canonical decimal, above @last. 0, -EINVAL
 * (not a number: reason in @err), -ESTALE (not above @last).
 */
int fwconf_generation(const char *val, size_t len, uint64_t last, uint64_t *gen, char *err,
		      size_t errlen);
/* Copy @in to @out (cap @len) keeping printable ASCII and replacing the rest with '?'. */
void fwconf_sanitize(const char *in, size_t inlen, char *out, size_t len);

struct fw_route {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t has_via;
	uint32_t dev; /* dev=netN, or PL_IF_NONE */
	struct pkt_addr prefix, via;
};

/* "PREFIX,via=GW" or "PREFIX,dev=netN" (see docs/firewall.md). 0 or -EINVAL (@err). */
int fwconf_route(const char *s, struct fw_route *r, char *err, size_t errlen);
/* Strict address parsers: 0 or -EINVAL. */
int fwconf_ip4(const char *s, const char **end, struct pkt_addr *a);
int fwconf_ip6(const char *s, const char **end, struct pkt_addr *a);

/* ---- stats.c ---- */

/* The graph's release hook: count the drop, free the buffer. */
void fw_release(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by);
void fw_count_drop(uint32_t iif, enum fw_drop why);
/* A packet's `log` statements fired: print them, rate-limited. */
void fw_log(const struct pl_pkt *p, const struct fw_verdict *v, const struct fw_logs *logs);
/* Start the publishing timer and the log sink. */
int fw_stats_start(void);
/* The counters as text (docs/firewall.md); returns strlen. */
size_t fw_stats_format(char *buf, size_t len);
void fw_stats_print(void);
/* IPv4/IPv6 address text (RFC 5952 for IPv6). */
void fw_format_addr(const struct pkt_addr *a, bool v6, char *buf, size_t len);

#endif

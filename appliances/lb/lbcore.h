/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The load balancer's pure logic (docs/loadbalancer.md), shared by the
 * appliance, sluice-ctl's validator and the host unit tests:
 *
 *   lbconf.c, lbconf_val.c  the configuration language (services, backends,
 *                           checks) to a struct lb_config, errors as
 *                           "NAME:LINE:COL: message" like the firewall's
 *   maglev.c                Maglev lookup tables (NSDI'16) with weights,
 *                           the flow hash, weighted round robin and
 *                           least-connections picks
 *   lbnat.c                 NAT and full NAT rewriting in place with
 *                           RFC 1624 checksum updates, ICMP errors included
 *   lbhealth.c              the rise/fall health counter (HAProxy's meaning)
 *
 * No kernel calls: malloc/free and libc only.
 */
#ifndef SLUICE_LBCORE_H
#define SLUICE_LBCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pktmeta.h"

/* ---- configuration ---- */

#define LB_SERVICES_MAX 64
#define LB_BACKENDS_MAX 1024	/* in one configuration, every service's together */
#define LB_SVC_BACKENDS_MAX 256 /* in one service */
#define LB_WEIGHT_MAX 256	/* HAProxy's range; bounds the Maglev build's work */
#define LB_WEIGHT_DEFAULT 1
#define LB_TABLE_DEFAULT 65537u /* Envoy's and Katran's default */
#define LB_TABLE_MIN 7u
#define LB_TABLE_MAX 1048573u	  /* largest prime below 2^20 */
#define LB_TABLE_TOTAL (4u << 20) /* entries of all services' tables (2 bytes each) */
#define LB_TEXT_MAX (1u << 20)	  /* bytes of configuration text */
#define LB_LINE_MAX 1024	  /* bytes of one line */
#define LB_PATH_MAX 128		  /* an HTTP check's path, with its NUL */
#define LB_INTERVAL_MAX 3600000u  /* ms */
#define LB_RISEFALL_MAX 100

enum lb_method { LB_NAT, LB_FULLNAT, LB_DSR };
enum lb_sched { LB_MAGLEV, LB_WRR, LB_LC };
enum lb_check_kind { LB_CHECK_NONE, LB_CHECK_TCP, LB_CHECK_HTTP };
/* What a backend's flows do when health checks take it down (HAProxy's on-marked-down). */
enum lb_on_down { LB_DOWN_KEEP, LB_DOWN_RESET };

struct lb_check_cfg {
	uint8_t kind;	      /* enum lb_check_kind */
	uint8_t rise, fall;   /* 1..LB_RISEFALL_MAX; HAProxy's defaults 2 and 3 */
	uint16_t port;	      /* 0: the backend's port */
	uint16_t expect;      /* HTTP: the status wanted (default 200) */
	uint32_t interval_ms; /* default 2000 (HAProxy's inter 2s) */
	uint32_t timeout_ms;  /* default: the interval, at most it */
	char path[LB_PATH_MAX];
};

struct lb_backend_cfg {
	struct pkt_addr addr;
	uint16_t port;
	uint16_t weight; /* 0..LB_WEIGHT_MAX; 0 drains like `drain` */
	bool drain;
	unsigned int line; /* where it was declared (messages) */
};

struct lb_service_cfg {
	struct pkt_addr vip;
	uint16_t port;
	uint8_t v6;
	uint8_t proto;	 /* 6 (tcp) or 17 (udp) */
	uint8_t method;	 /* enum lb_method */
	uint8_t sched;	 /* enum lb_sched */
	uint8_t on_down; /* enum lb_on_down */
	uint32_t table_size;
	struct lb_check_cfg check;
	unsigned int first, n; /* its backends: lb_config.be[first .. first + n - 1] */
	unsigned int line;
};

struct lb_config {
	unsigned int nsvc, nbe;
	struct lb_service_cfg svc[LB_SERVICES_MAX];
	struct lb_backend_cfg be[LB_BACKENDS_MAX];
};

struct lb_error {
	unsigned int line; /* 1-based; 0 when not about a place in the text */
	unsigned int col;  /* 1-based byte column (a tab counts as one) */
	char msg[160];
};

/*
 * Parse @len bytes of untrusted @text into a new configuration (*@out,
 * free()). 0, or -EINVAL (@err says where and why) or -ENOMEM.
 */
int lb_config_parse(const char *text, size_t len, struct lb_config **out, struct lb_error *err);
/* "NAME:LINE:COL: MSG" (or "NAME: MSG" with line 0), like fw_error_format. */
int lb_error_format(const struct lb_error *e, const char *name, char *buf, size_t len);
/* True if @n is prime (table sizes). */
bool lb_is_prime(uint32_t n);
/* "ADDR:PORT" or "[ADDR]:PORT" for messages and counters. */
void lb_format_ep(const struct pkt_addr *a, bool v6, uint16_t port, char *buf, size_t len);

/* ---- backend selection ---- */

#define LB_MG_NONE 0xffffu /* a table entry when no backend can take flows */

/* One backend as the table builder sees it: its identity and weight (0: left out). */
struct lb_mg_in {
	uint64_t id; /* lb_backend_id(): the table depends on who, not on list order */
	uint32_t weight;
};

uint64_t lb_backend_id(const struct pkt_addr *a, bool v6, uint16_t port);
/*
 * Fill @table (@m entries, @m prime) with indices into @in (@n <
 * LB_MG_NONE entries) by Maglev's population: each backend walks its own
 * permutation of the slots (offset and skip from two hashes of its id);
 * backends take turns in proportion to their weights (Envoy's
 * weighted variant). 0, -EINVAL (@m not prime, too large) or -ENOMEM.
 */
int lb_maglev_build(uint16_t *table, uint32_t m, const struct lb_mg_in *in, unsigned int n);

/* A flow's 5-tuple hash under @seed (secret in the appliance: senders cannot aim flows). */
uint64_t lb_flow_hash(const struct pkt_addr *saddr, const struct pkt_addr *daddr, uint16_t sport,
		      uint16_t dport, uint8_t proto, uint64_t seed);

/* Smooth weighted round robin (nginx's): @cur is the caller's per-backend state. */
int lb_wrr_pick(const uint32_t *weight, int64_t *cur, unsigned int n);
/* Least connections, weighted: lowest active/weight; ties to the lowest index. */
int lb_lc_pick(const uint32_t *weight, const uint32_t *active, unsigned int n);

/* ---- NAT ---- */

/*
 * One flow's translation. Forward (client to VIP): the destination
 * VIP:vport becomes backend:bport; with full NAT the source client:cport
 * also becomes local:lport. Replies are translated back.
 */
struct lb_nat {
	struct pkt_addr caddr, vaddr, baddr, laddr;
	uint16_t cport, vport, bport, lport;
	uint8_t v6, proto, full;
};

enum lb_nat_dir { LB_NAT_FWD, LB_NAT_REPLY };

/*
 * Rewrite the frame @f (@len bytes, parsed into @m: the caller checked it
 * is this flow's packet, or an ICMP error about it) in direction @dir:
 * addresses, ports, the IPv4 header checksum and the L4 checksum by RFC
 * 1624 updates; for an ICMP error, the embedded packet too (translated the
 * other way) and the ICMP checksum. @partial: the L4 checksum field holds
 * the uncomplemented pseudo-header sum (a checksum left for offload: the
 * NIC sums the ports and payload), so only address changes update it.
 * TCP options (MSS) and the payload are untouched. 0, or -EINVAL
 * (the headers do not fit the frame: nothing was changed).
 */
int lb_nat_rewrite(uint8_t *f, size_t len, const struct pkt_meta *m, const struct lb_nat *n,
		   enum lb_nat_dir dir, bool partial);
/*
 * on-down reset, the backend's side: turn the (translated) TCP segment
 * @m in @f into a bare RST with the same addresses, ports, sequence
 * number and ACK, IP lengths and both checksums computed afresh. Returns
 * the frame's new length, or -EINVAL (not a whole unfragmented TCP
 * segment: nothing was changed).
 */
int lb_nat_to_rst(uint8_t *f, size_t len, const struct pkt_meta *m);

/* ---- health ---- */

/*
 * HAProxy's check counter: health runs 0 .. rise + fall - 1; the server is
 * up while health >= rise. A server starts up with health = rise (HAProxy's
 * default init-state "up": the first failure marks it down); @up false
 * starts it down (health 0: rise successes bring it up).
 */
struct lb_health {
	uint8_t rise, fall;
	uint16_t health;
	bool up;
	uint64_t checks, failed, changes;
};

void lb_health_init(struct lb_health *h, unsigned int rise, unsigned int fall, bool up);
/* One check's outcome; true if the state (up/down) changed. */
bool lb_health_result(struct lb_health *h, bool ok);

#endif

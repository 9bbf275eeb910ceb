/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The load balancer appliance's types (docs/loadbalancer.md): the one
 * context every part is handed, struct lb_ctx.
 *
 * Parts:
 *   lb.c       options, main, the graph (routed, over nf/'s router elements)
 *   lbelem.c   the "lb" element: flows, service match, selection, NAT
 *   lbflow.c   the flow table: two keys per flow (client side, backend side)
 *   lbstate.c  services and backends in force: slots that keep health and
 *              counters across configuration changes, Maglev tables
 *   lbcheck.c  health checks from our address through lwIP's raw TCP API
 *   lbcfg.c    boot configuration, live updates (nf/confchan), counters
 * and the pure core (lbcore.h) they share with sluice-ctl and the tests.
 *
 * Backend and service slots. A configuration names services and backends;
 * the flows and the counters need something that outlives a configuration
 * swap. So each service and backend occupies a slot, found again by its
 * identity (service: VIP, port, protocol; backend: service and address,
 * port) when a new configuration is applied. A backend the new
 * configuration no longer lists becomes REMOVED: out of selection, its
 * flows finish, and its slot is reused once none is left.
 */
#ifndef SLUICE_LB_H
#define SLUICE_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lbcore.h"
#include "sluice/evloop.h"
#include "sluice/nf/app.h"
#include "sluice/nf/defrag.h"
#include "sluice/nf/parse.h"
#include "sluice/nf/pipeline.h"
#include "sluice/nf/port.h"
#include "sluice/nf/route.h"

#define LB_SVC_SLOTS (2 * LB_SERVICES_MAX)
#define LB_BE_SLOTS (2 * LB_BACKENDS_MAX)
#define LB_NONE 0xffffu
#define LB_FPORT_LO 1024  /* full NAT source ports: below lwIP's ephemeral range */
#define LB_FPORT_HI 49151 /* (0xc000..0xffff), so health checks never collide */

/* The load balancer's drop reasons, after the shared layer's (enum nf_drop). */
enum lb_drop {
	LBD_NO_BACKEND = NF_DROP_APP, /* a service with no backend able to take flows */
	LBD_TABLE_FULL,		      /* no flow slot, nothing evictable */
	LBD_NO_FLOW,		      /* TCP mid-stream for an unknown flow */
	LBD_NOT_SERVICE,	      /* neither a service, a flow, nor for us (forward=0) */
	LBD_UNSUPPORTED,	      /* fragments, chained frames, headers NAT cannot rewrite */
	LBD_NO_PORT,		      /* full NAT: no free source port toward that backend */
	LBD_BACKEND_DOWN,	      /* on-down reset: the flow's backend failed its checks */
};

enum lb_slot_state { LB_SLOT_FREE, LB_SLOT_LIVE, LB_SLOT_REMOVED };

struct lb_ctr {
	uint64_t new_flows, pkts_in, bytes_in, pkts_out, bytes_out;
	uint32_t active;
};

struct lb_be {
	uint8_t state; /* enum lb_slot_state */
	bool drain;
	uint16_t weight;
	uint16_t svc; /* its service's slot */
	uint16_t port;
	struct pkt_addr addr;
	struct lb_health health;
	uint64_t changed_ns; /* last health change (or creation) */
	uint64_t next_check; /* ns: when lbcheck.c starts the next probe */
	int probe;	     /* lbcheck.c's probe slot, or -1 */
	struct lb_ctr c;
};

struct lb_svc {
	uint8_t state; /* enum lb_slot_state */
	struct lb_service_cfg cfg;
	uint16_t be[LB_SVC_BACKENDS_MAX]; /* backend slots, in configuration order */
	uint16_t nbe;
	uint16_t *table; /* Maglev: positions in be[], LB_MG_NONE when nobody can take flows */
	int64_t wrr[LB_SVC_BACKENDS_MAX];
	struct lb_ctr c;
	uint64_t no_backend;
};

/* Flow keys: one direction's 5-tuple as it arrives. 40 bytes, no padding. */
struct lb_fkey {
	struct pkt_addr s, d;
	uint16_t sp, dp;
	uint8_t proto, v6;
	uint8_t pad[2];
};

#define LB_F_REPLIED 0x01 /* the backend answered: never evicted for a newcomer */
#define LB_F_FIN0 0x02
#define LB_F_FIN1 0x04
#define LB_F_RST 0x08

struct lb_flow {
	struct lb_fkey k[2]; /* [0] client -> VIP, [1] backend -> us or the client */
	uint32_t next[2];    /* bucket chains of the two keys; the free list uses next[0] */
	uint64_t expires;
	uint16_t svc, be;
	uint8_t used, full, dsr, flags;
};

struct lb_flow_stats {
	uint64_t created, expired, evicted, full, closed;
};

struct lb_flows {
	struct lb_flow *f;
	uint32_t *bucket;
	uint32_t max, mask, n, free_head, cursor, ecursor;
	uint64_t seed;
	struct lb_flow_stats st;
};

struct lb_opts {
	char config[4096];     /* config= (';' separates lines) */
	char config_file[128]; /* config-file= on the config disk */
	uint64_t flows;	       /* flow table entries */
	uint64_t stats_interval_ms;
	bool stats_console;
	bool forward; /* route what is neither a service nor a flow */
};

/*
 * What lb_push did with a reassembled datagram's first fragment
 * (PKT_REASM, nf/defrag.h), for its later fragments (PKT_REASM_TAIL),
 * which the defrag element pushes right after it: the same flow, the same
 * translation, or the same way out. Keyed by the datagram's identity as
 * received, so a tail never takes another datagram's verdict.
 */
struct lb_reasm {
	struct lb_flow *f; /* NULL: the first fragment was not a flow's (port 1) */
	int dir;
	bool valid, v6;
	uint32_t id;
	struct pkt_addr s, d;
};

struct lb_ctx {
	struct lb_opts opts;
	struct nf_app app;
	struct pl_graph graph;
	struct nf_parse parse;
	struct nf_routes routes;
	struct lb_flows flows;
	struct lb_svc svc[LB_SVC_SLOTS];
	struct lb_be be[LB_BE_SLOTS];
	uint64_t seed;	   /* flow hash key (secret) */
	uint64_t rebuilds; /* Maglev tables rebuilt */
	uint64_t not_service;
	uint64_t resets;	 /* RSTs sent to clients of failed backends (on-down reset) */
	uint64_t backend_resets; /* ... and to those backends, for the same flows */
	struct pl_tbf rst_tbf;	 /* ... at most this many a second */
	struct timer tick;	 /* flow expiry, health checks */
	struct nf_defrag defrag; /* fragments held until their datagram is whole */
	struct lb_reasm reasm;	 /* the datagram whose later fragments follow */
};

/* lb.c */
/* Our address of family @v6 on port @port (lwIP's; IPv6: a global one). */
bool lb_port_addr(struct lb_ctx *c, uint32_t port, bool v6, struct pkt_addr *out);
/* Stats section: the neighbour cache's line. */
size_t lb_neigh_format(void *arg, char *buf, size_t len);

/* lbflow.c */
int lb_flows_init(struct lb_flows *t, uint32_t max, uint64_t seed);
/* The flow holding @k in either direction (*@dir: which), or NULL. */
struct lb_flow *lb_flow_find(struct lb_flows *t, const struct lb_fkey *k, int *dir);
/* A new flow with both keys (NULL: full and nothing evictable; counted). */
struct lb_flow *lb_flow_add(struct lb_flows *t, const struct lb_fkey *k0, const struct lb_fkey *k1,
			    uint64_t now, void (*gone)(void *, struct lb_flow *), void *arg);
void lb_flow_del(struct lb_flows *t, struct lb_flow *f);
/* Reap up to @budget slots' expired flows, calling @gone for each. */
void lb_flows_expire(struct lb_flows *t, uint64_t now, unsigned int budget,
		     void (*gone)(void *, struct lb_flow *), void *arg);
/* Packet @m's key (its own direction). */
void lb_fkey_of(const struct pkt_meta *m, struct lb_fkey *k);
/* Update @f's TCP flags and timeout for a packet of direction @dir. */
void lb_flow_seen(struct lb_flow *f, int dir, const struct pkt_meta *m, uint64_t now);

/* lbstate.c */
struct lb_plan;
/* Parse and prepare @text to the side: 0, or -errno with "NAME:LINE:COL: msg" in @msg. */
int lb_plan_make(struct lb_ctx *c, const char *text, size_t len, const char *name,
		 struct lb_plan **out, char *msg, size_t msglen);
/* Put @pl in force (between batches): slots matched, tables rebuilt; frees @pl. */
void lb_plan_apply(struct lb_ctx *c, struct lb_plan *pl, char *sum, size_t sumlen);
void lb_plan_free(struct lb_plan *pl);
/* Rebuild service @s's Maglev table from its backends' weights and health. */
void lb_svc_rebuild(struct lb_ctx *c, struct lb_svc *s);
/* The backend slot for a new flow of @m on @s, or LB_NONE. */
uint16_t lb_svc_pick(struct lb_ctx *c, struct lb_svc *s, const struct pkt_meta *m);
/* The live service @m is addressed to, or NULL. */
struct lb_svc *lb_svc_match(struct lb_ctx *c, const struct pkt_meta *m);
/* Is @m's destination a live service's VIP for its protocol (any port)? */
bool lb_vip_match(struct lb_ctx *c, const struct pkt_meta *m);
/* Can backend @b take new flows (live, weight, not drained, up)? */
bool lb_be_eligible(const struct lb_be *b);
/* Free REMOVED slots with no flow left. */
void lb_slots_reap(struct lb_ctx *c);
void lb_summary(const struct lb_ctx *c, char *buf, size_t len);

/* lbcheck.c */
void lb_checks_run(struct lb_ctx *c, uint64_t now);
void lb_check_stop(struct lb_ctx *c, struct lb_be *b);

/* lbelem.c */
extern const struct pl_class lb_class, lb_gate_class;
bool lb_bypass(const struct pkt_meta *m);
/* A flow ended: counters. */
void lb_flow_gone(void *ctx, struct lb_flow *f);

/* lbcfg.c */
int lb_config_boot(struct lb_ctx *c);
int lb_config_start(struct lb_ctx *c);
uint64_t lb_config_generation(void);
int lb_stats_start(struct lb_ctx *c);

#endif

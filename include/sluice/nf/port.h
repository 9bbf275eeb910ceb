/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ports: the NICs a network function forwards between, bound to its graph.
 *
 * Binding a netdev makes its receive handler queue every frame on the
 * graph and post the work that runs it (nf/app.c); the graph's release
 * hook (nf_ports_release) counts each drop against the ingress port with
 * a reason and frees the buffer. Reasons are a small registry: the codes
 * below are the shared layer's, an appliance names its own from
 * NF_DROP_APP on, and the console lists them by name.
 *
 * Frames of our own (answers, neighbour probes) come from one TX pool per
 * port set; nf_send() transmits, filling in a checksum a peer left blank
 * when the egress NIC cannot (a frame from a Xen neighbour leaving through
 * a NIC without checksum offload). Link readiness: a callback once every
 * bound link is up, with a periodic console report until then.
 */
#ifndef SLUICE_NF_PORT_H
#define SLUICE_NF_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/evloop.h"
#include "sluice/netdev.h"
#include "sluice/nf/pipeline.h"

#define NF_DROP_MAX 24

/* The shared layer's drop reasons (names in nf/port.c); the appliance's follow. */
enum nf_drop {
	NF_DROP_OTHER,	     /* no reason given (an unconnected port) */
	NF_DROP_MALFORMED,   /* shorter than an Ethernet header, bad buffer */
	NF_DROP_QUEUE,	     /* the pipeline's input queue was full */
	NF_DROP_NOT_OURS,    /* routed: a unicast frame for another MAC address */
	NF_DROP_NO_ROUTE,    /* routed: no route to the destination */
	NF_DROP_TTL,	     /* routed: TTL / hop limit exhausted */
	NF_DROP_NO_NEIGH,    /* routed: the next hop did not answer ARP / ND */
	NF_DROP_UNSUPPORTED, /* VLAN-tagged or not IP; a checksum we cannot fill */
	NF_DROP_NOBUF,	     /* no buffer for a frame of our own */
	NF_DROP_LINK_LOCAL,  /* 802.1D reserved group address (STP, LLDP): never forwarded */
	NF_DROP_APP,	     /* the first code an appliance may name */
};

struct nf_ports;
typedef void (*nf_ready_fn)(struct nf_ports *ps, void *arg);

struct nf_ports {
	unsigned int n; /* ports 0..n-1 by netdev index; routed mode may leave holes */
	struct netdev *dev[PL_IFS_MAX];
	struct pl_graph *g; /* where received frames are queued */
	struct work *run;   /* posted after each receive: runs the graph */
	struct pktbuf_pool pool;
	const char *reason[NF_DROP_MAX];
	uint64_t drops[PL_IFS_MAX][NF_DROP_MAX];
	const char *who; /* console prefix, e.g. "firewall" */
	/* Link readiness (nf_ports_when_up). */
	nf_ready_fn ready;
	void *ready_arg;
	bool is_ready;
	struct work link_work;
	struct timer link_timer;
};

/* An empty set feeding @g (whose release hook should be nf_ports_release, arg @ps). */
void nf_ports_init(struct nf_ports *ps, const char *who, struct pl_graph *g, struct work *run);
/* Name appliance code @code (NF_DROP_APP <= code < NF_DROP_MAX). 0 or -EINVAL. */
int nf_drop_reason(struct nf_ports *ps, unsigned int code, const char *name);
/* Bind @dev: it becomes port dev->index and feeds the graph. 0 or -E2BIG. */
int nf_port_bind(struct nf_ports *ps, struct netdev *dev);
/* The netdev of port @i, or NULL. */
struct netdev *nf_port(const struct nf_ports *ps, uint32_t i);
/* Start every bound netdev. 0, or the first failure (with a message in @err). */
int nf_ports_start(struct nf_ports *ps, char *err, size_t errlen);
/* Call @fn once every bound link is up (now, if they are); report the wait meanwhile. */
void nf_ports_when_up(struct nf_ports *ps, nf_ready_fn fn, void *arg);

void nf_count_drop(struct nf_ports *ps, uint32_t iif, unsigned int why);
/* The graph release hook (g->arg is the port set): count the drop, free the buffer. */
void nf_ports_release(struct pl_graph *g, struct pl_pkt *p, struct pl_elem *by);

/* The TX pool: up to @pages, at most a quarter of the free pages. 0 or -ENOMEM. */
int nf_tx_pool_init(struct nf_ports *ps, unsigned int pages, unsigned int min);
/* A page for a frame of our own, or NULL. */
struct pktbuf *nf_tx_alloc(struct nf_ports *ps);
/*
 * Send @buf on port @oif (ownership passes). 0, or -errno (then it was
 * freed): -EPROTO (a blank checksum we cannot fill: counted by the
 * caller), -ENODEV, and netdev_tx()'s (counted by netdev).
 */
int nf_send(struct nf_ports *ps, struct pktbuf *buf, uint32_t oif);
/* "tx": transmit on p->oif, the same buffer (priv: the port set); always PL_STOLEN. */
extern const struct pl_class nf_tx_class;

/* Stats section: one "nic NAME rx_packets=.. ... drops=N" line per port. */
size_t nf_ports_format(void *ps, char *buf, size_t len);
/* Console: "PREFIX: NAME drops: reason=N ... nic_rx_drops=..." per port. */
void nf_ports_print_drops(const struct nf_ports *ps, const char *prefix);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Next-hop resolution (ARP, IPv6 ND) for packets a network function
 * forwards between its ports (nf/neigh.c explains the trust rules).
 */
#ifndef SLUICE_NF_NEIGH_H
#define SLUICE_NF_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pipeline.h"

struct nf_neigh; /* the cache: fixed size, allocated whole by nf_neigh_new */
struct nf_ports;
struct nf_routes;
struct pktbuf;

/*
 * A cache whose probes leave through @ps's TX pool, from the addresses of
 * @rt's netifs (both kept). NULL: no memory, or no secret seed for its hash.
 */
struct nf_neigh *nf_neigh_new(struct nf_ports *ps, const struct nf_routes *rt);
/*
 * Send @buf (an IP packet in an Ethernet frame, TTL already done) to next
 * hop @nh on port @oif: MAC addresses rewritten and sent at once when the
 * neighbour is known, else queued while it is resolved. 0 (sent or
 * queued); -EHOSTUNREACH (dropped, freed: the neighbour does not answer).
 */
int nf_neigh_output(struct nf_neigh *nb, struct pktbuf *buf, uint32_t iif, uint32_t oif, bool v6,
		    const struct pkt_addr *nh, uint64_t now);
/* Learn from ARP and ND seen on the way to lwIP. */
void nf_neigh_snoop(struct nf_neigh *nb, const struct pl_pkt *p);
/* Stats section: "neigh entries=..." (arg: the cache). */
size_t nf_neigh_format(void *nb, char *buf, size_t len);

#endif

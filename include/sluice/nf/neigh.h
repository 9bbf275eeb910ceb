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

struct nf_ports;
struct nf_routes;
struct pktbuf;

/*
 * One cache per image: probes leave through @ps's TX pool, from the
 * addresses of @rt's netifs. 0 or -errno (no seed for the hash).
 */
int nf_neigh_init(struct nf_ports *ps, const struct nf_routes *rt);
/*
 * Send @buf (an IP packet in an Ethernet frame, TTL already done) to next
 * hop @nh on port @oif: MAC addresses rewritten and sent at once when the
 * neighbour is known, else queued while it is resolved. 0 (sent or
 * queued); -EHOSTUNREACH (dropped, freed: the neighbour does not answer).
 */
int nf_neigh_output(struct pktbuf *buf, uint32_t iif, uint32_t oif, bool v6,
		    const struct pkt_addr *nh, uint64_t now);
/* Learn from ARP and ND seen on the way to lwIP. */
void nf_neigh_snoop(const struct pl_pkt *p);
/* Stats section: "neigh entries=..." (arg unused). */
size_t nf_neigh_format(void *arg, char *buf, size_t len);

#endif

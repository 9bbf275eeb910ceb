/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parse element (nf/parse_elem.c): the first element of a graph.
 * pkt_parse() fills p->meta from the untrusted frame (the parser bounds
 * every length; a malformed frame is flagged, never trusted); frames to
 * 802.1D reserved group addresses (STP, LACP, LLDP, 802.1X) are dropped,
 * as no bridge forwards them; the egress port is preset from a peer map
 * (a bridge's other port). Port 0 carries what the function processes,
 * port 1 what its bypass predicate lets through untouched.
 */
#ifndef SLUICE_NF_PARSE_H
#define SLUICE_NF_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/nf/pipeline.h"

struct nf_parse {
	uint32_t peer[PL_IFS_MAX]; /* p->oif for each ingress port, or PL_IF_NONE */
	/* Port 1 when true (NULL: never): e.g. ARP and ND that must pass regardless of rules. */
	bool (*bypass)(const struct pkt_meta *m);
};

extern const struct pl_class nf_parse_class; /* priv: struct nf_parse */

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stats registry for network functions: each part (ports, connection
 * table, pipeline, the appliance's own counters) registers a section, a
 * callback that formats its lines; nf_stats_format() writes every section,
 * in registration order, into one caller-owned buffer. That buffer is
 * what the console summary prints and what a publisher hands the host
 * channel as one value (sluice/hostcfg.h, HC_WRITE_CHUNKED: the buffer
 * must then stay untouched until the batch completes, so a publisher
 * formats into a buffer of its own, never a shared one).
 *
 * Text format: "name key=value ...\n" lines (docs/firewall.md).
 * Pure logic: built into the kernel and into host tests.
 */
#ifndef SLUICE_NF_STATS_H
#define SLUICE_NF_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/nf/pipeline.h"
#include "sluice/nf/pktmeta.h"

/*
 * Write the section's lines into @buf (@len > 0 bytes) and return the
 * length written, or, like snprintf, the length it wanted when it did not
 * fit (the registry truncates).
 */
typedef size_t (*nf_stats_fn)(void *arg, char *buf, size_t len);

struct nf_stats_section {
	const char *name;
	nf_stats_fn format;
	void *arg;
	struct nf_stats_section *next;
};

struct nf_stats {
	struct nf_stats_section *head, *tail;
};

void nf_stats_init(struct nf_stats *st);
/* Append section @sec (the caller's, kept while registered). */
void nf_stats_add(struct nf_stats *st, struct nf_stats_section *sec, const char *name,
		  nf_stats_fn format, void *arg);
/* Every section into @buf (NUL-terminated, cut at @len - 1); returns strlen. */
size_t nf_stats_format(const struct nf_stats *st, char *buf, size_t len);
/* The console summary: every line of nf_stats_format(@buf) as "PREFIX: line". */
void nf_stats_print(const struct nf_stats *st, const char *prefix, char *buf, size_t len);

/* Section: "pipeline batches=N packets=N max_batch=N" (arg: struct pl_graph). */
size_t nf_stats_pipeline(void *g, char *buf, size_t len);

/* IPv4 dotted quad or IPv6 text (RFC 5952). */
void nf_format_addr(const struct pkt_addr *a, bool v6, char *buf, size_t len);
/*
 * A packet for a log line, iptables-like: "IN=net0 OUT=net1 SRC=.. DST=..
 * LEN=.. TTL=.. PROTO=TCP SPT=.. DPT=.. FLAGS=S". Numbers and our names
 * only: packet bytes never reach the console as text.
 */
void nf_format_pkt(const struct pl_pkt *p, char *buf, size_t len);

#endif
